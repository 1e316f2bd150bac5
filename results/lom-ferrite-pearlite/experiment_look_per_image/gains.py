# Experiment 31 (no training): experiment 29's chroma screen with the light changed as a light
# change acts, by a gain per channel (R, G, B scaled so that the brightest quarter's colour, the
# ferrite under the light, becomes a real crop's), instead of a constant a*, b* shift that tints
# the dark phase as much as the ferrite. Exposure kept: the gains average 1. Same images, scales
# and references as chroma.py; rows for each checkpoint given.
#   python gains.py OUT DATASET PROBE_DIR NAME=CHECKPOINT ...
import runpy
import sys
from pathlib import Path

import numpy as np
from skimage import io

HERE = Path(__file__).parent
chroma = runpy.run_path(str(HERE.parent / "experiment_dark_called/chroma.py"), run_name="gains")
fractions = runpy.run_path(str(HERE.parent / "experiment_train_seed/sweep.py"))["fractions"]
REAL, REFERENCES = chroma["REAL"], chroma["REFERENCES"]


def ferrite_colour(rgb: np.ndarray) -> np.ndarray:
    """Mean R, G, B of the brightest quarter, over its mean (the light's hue)."""
    tone = rgb.mean(-1)
    bright = rgb[tone > np.percentile(tone, 75)].mean(0)
    return bright / bright.mean()


def relit(image: np.ndarray, reference: np.ndarray | None) -> np.ndarray:
    """uint8 RGB of float `image`, its light's hue moved to `reference`'s (None: as it is)."""
    gains = np.ones(3) if reference is None else ferrite_colour(reference) / ferrite_colour(image)
    return np.clip(image * (gains / gains.mean()), 0, 255).round().astype(np.uint8)


def main(out: Path, dataset: Path, probe: Path, runs: list[str]) -> None:
    groups = {
        "real": (1.25, sorted(REAL.glob("sae10*.png"))),
        "synthetic": (1, sorted(dataset.glob("images/S*_01.png")) + sorted(probe.glob("crops/*"))),
    }
    truth = chroma["true_shares"](dataset, probe)
    called = {}
    for column, reference_name in REFERENCES.items():
        reference = None
        if reference_name:
            reference = io.imread(REAL / f"{reference_name}.png")[..., :3].astype(float)
        for group, (scale, paths) in groups.items():
            folder = out / f"{reference_name or 'original'}_{group}"
            folder.mkdir(parents=True, exist_ok=True)
            for path in paths:
                image = io.imread(path)[..., :3].astype(float)
                io.imsave(folder / path.name, relit(image, reference), check_contrast=False)
            for run in runs:
                name, checkpoint = run.split("=", 1)
                shares = fractions(checkpoint, folder / name, str(folder), scale, False)
                for image, share in shares.items():
                    called.setdefault((image, name), {})[column] = f"{100 * share:.1f}"
    print("pearlite % called, light changed by per-channel gains to a real crop's ferrite colour\n")
    columns = [c.replace("a*b* of", "light of") for c in REFERENCES]
    print("| image | model | true | " + " | ".join(columns) + " |\n|---|---|---|---|---|---|")
    bands = {"sae1020": "15–35", "sae1045": "50–75"}
    for (image, name), row in called.items():
        true = truth.get(image, bands.get(image[:7], "?"))
        print(f"| {image} | {name} | {true} | " + " | ".join(row[c] for c in REFERENCES) + " |")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4:])
