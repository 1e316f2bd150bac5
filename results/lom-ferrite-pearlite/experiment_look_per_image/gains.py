# Experiment 31 (no training): experiment 29's chroma screen with the light changed as a light
# change acts, by a gain per channel (R, G, B scaled so that the brightest quarter's colour, the
# ferrite under the light, becomes a real crop's), instead of a constant a*, b* shift that tints
# the dark phase as much as the ferrite. Exposure kept: the gains average 1. Same images, scales
# and references as chroma.py; rows for each checkpoint given.
#   python gains.py OUT DATASET PROBE_DIR NAME=CHECKPOINT ...
import runpy
import sys
from functools import cache
from pathlib import Path

import numpy as np
from skimage import io

HERE = Path(__file__).parent
chroma = runpy.run_path(str(HERE.parent / "experiment_dark_called/chroma.py"), run_name="gains")
REAL, REFERENCES = chroma["REAL"], chroma["REFERENCES"]


def ferrite_colour(rgb: np.ndarray) -> np.ndarray:
    """The light's hue: chroma.py's ferrite R, G, B over their mean."""
    bright = chroma["ferrite_rgb"](rgb)
    return bright / bright.mean()


def relit(image: np.ndarray, reference: np.ndarray | None) -> np.ndarray:
    """uint8 RGB of float `image`, its light's hue moved to `reference`'s (None: as it is)."""
    gains = np.ones(3) if reference is None else ferrite_colour(reference) / ferrite_colour(image)
    return np.clip(image * (gains / gains.mean()), 0, 255).round().astype(np.uint8)


@cache
def _reference_rgb(name: str) -> np.ndarray:
    return io.imread(REAL / f"{name}.png")[..., :3].astype(float)


def gain_to(path: Path, reference_name: str | None) -> np.ndarray:
    reference = _reference_rgb(reference_name) if reference_name else None
    return relit(io.imread(path)[..., :3].astype(float), reference)


def main(out: Path, dataset: Path, probe: Path, runs: list[str]) -> None:
    truth = chroma["true_shares"](dataset, probe)
    runs = dict(run.split("=", 1) for run in runs)
    called = chroma["recoloured_calls"](out, dataset, probe, runs, gain_to)
    print("pearlite % called, light changed by per-channel gains to a real crop's ferrite colour\n")
    columns = [c.replace("a*b* of", "light of") for c in REFERENCES]
    print("| image | model | true | " + " | ".join(columns) + " |\n|---|---|---|---|---|---|")
    for (image, name), row in called.items():
        true = truth.get(image, chroma["BANDS"].get(image[:7], "?"))
        print(f"| {image} | {name} | {true} | " + " | ".join(row[c] for c in REFERENCES) + " |")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4:])
