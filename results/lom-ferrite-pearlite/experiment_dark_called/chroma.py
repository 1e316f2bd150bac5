# Experiment 29 (no training): does a model's pearlite call follow the image's colour cast? Each
# image's CIELAB a*, b* shifted by a constant so that its mean matches a real crop's (SAE 1045 #1,
# warm beige; SAE 1020 #1, cool blue-violet), L* untouched: the structure, the lightness and the
# dark share stay as they are, only the hue of the light and of the etch changes. Real crops at the
# preset's 1.25x, the synthetic images (the first image of each training sample, and the C22E
# probe crops of synthetic_c22e.py) at 1x.
#   python chroma.py OUT DATASET PROBE_DIR CHECKPOINT
import csv
import runpy
import sys
from functools import cache
from pathlib import Path

import numpy as np
from skimage import color, io

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "experiment_texture_probe"))
from texture import CROP, REAL  # noqa: E402

fractions = runpy.run_path(str(HERE.parent / "experiment_train_seed/sweep.py"))["fractions"]
REAL = Path(REAL)
REFERENCES = {"as drawn / taken": None, "a*b* of SAE 1045 #1": "sae1045_1",
              "a*b* of SAE 1020 #1": "sae1020_1"}  # fmt: skip


def lab(path: Path) -> np.ndarray:
    return color.rgb2lab(io.imread(path)[..., :3])


def shifted(image: np.ndarray, reference: np.ndarray | None) -> np.ndarray:
    """uint8 RGB of `image` (Lab) with its mean a*, b* moved to `reference`'s."""
    out = image.copy()
    if reference is not None:
        out[..., 1:] += reference[..., 1:].mean((0, 1)) - image[..., 1:].mean((0, 1))
    return (np.clip(color.lab2rgb(out), 0, 1) * 255).round().astype(np.uint8)


def ferrite_rgb(rgb: np.ndarray) -> np.ndarray:
    """Mean R, G, B of the brightest quarter: the ferrite, nearly unetched, under the light."""
    tone = rgb.mean(-1)
    return rgb[tone > np.percentile(tone, 75)].mean(0)


def light(path: Path) -> str:
    """The illumination's colour: ``ferrite_rgb`` as R : G : B, max 1."""
    bright = ferrite_rgb(io.imread(path)[..., :3].astype(float))
    return " : ".join(f"{c:.2f}" for c in bright / bright.max())


def true_shares(dataset: Path, probe: Path) -> dict[str, str]:
    with open(dataset / "samples.tsv", newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t")
        truth = {r["image"]: f"{100 * float(r['pearlite_fraction']):.1f}" for r in rows}
    for crop in (probe / "crops").glob("*.png"):
        mask = io.imread(probe / crop.stem.removeprefix("c22e_") / "truth/S1_annealed_01.png")
        truth[crop.stem] = f"{100 * np.mean(mask[CROP] == 1):.1f}"
    return truth


BANDS = {"sae1020": "15–35", "sae1045": "50–75"}  # the lever-rule bands, by real crop


def image_groups(dataset: Path, probe: Path) -> dict[str, tuple[float, list[Path]]]:
    """group -> (predict --scale, images): the real crops at the preset's 1.25x; the first image
    of each training sample and the C22E probe crops at 1x."""
    return {
        "real": (1.25, sorted(REAL.glob("sae10*.png"))),
        "synthetic": (1, sorted(dataset.glob("images/S*_01.png")) + sorted(probe.glob("crops/*"))),
    }


def recoloured_calls(out: Path, dataset: Path, probe: Path, runs: dict[str, str], recolour):
    """Pearlite % called, {(image, run): {column of REFERENCES: "12.3"}}: each image of
    ``image_groups`` as ``recolour(path, reference name or None)`` returns it (uint8 RGB),
    predicted by every checkpoint of ``runs`` (prediction subfolder -> checkpoint) under
    out/<reference>_<group>/."""
    called = {}
    for column, reference_name in REFERENCES.items():
        for group, (scale, paths) in image_groups(dataset, probe).items():
            folder = out / f"{reference_name or 'original'}_{group}"
            folder.mkdir(parents=True, exist_ok=True)
            for path in paths:
                image = recolour(path, reference_name)
                io.imsave(folder / path.name, image, check_contrast=False)
            for run, checkpoint in runs.items():
                shares = fractions(checkpoint, folder / run, str(folder), scale, False)
                for image, share in shares.items():
                    called.setdefault((image, run), {})[column] = f"{100 * share:.1f}"
    return called


@cache
def _reference_lab(name: str) -> np.ndarray:
    return lab(REAL / f"{name}.png")


def shift_to(path: Path, reference_name: str | None) -> np.ndarray:
    return shifted(lab(path), _reference_lab(reference_name) if reference_name else None)


def main(out: Path, dataset: Path, probe: Path, checkpoint: str) -> None:
    truth = true_shares(dataset, probe)
    lights = {p.stem: light(p) for _, paths in image_groups(dataset, probe).values() for p in paths}
    called = recoloured_calls(out, dataset, probe, {"predictions": checkpoint}, shift_to)
    print("pearlite % called; true share where known (synthetic) or the lever-rule band (real)\n")
    print(
        "| image | light R : G : B | true | "
        + " | ".join(REFERENCES)
        + " |\n|---|---|---|---|---|---|"
    )
    for (image, _), row in called.items():
        true = truth.get(image, BANDS.get(image[:7], "?"))
        cells = " | ".join(row[c] for c in REFERENCES)
        print(f"| {image} | {lights[image]} | {true} | {cells} |")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4])
