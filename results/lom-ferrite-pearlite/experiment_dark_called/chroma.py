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


def light(path: Path) -> str:
    """The illumination's colour: mean R : G : B of the brightest quarter (ferrite), max 1."""
    rgb = io.imread(path)[..., :3].astype(float)
    bright = rgb[rgb.mean(-1) > np.percentile(rgb.mean(-1), 75)].mean(0)
    return " : ".join(f"{c:.2f}" for c in bright / bright.max())


def true_shares(dataset: Path, probe: Path) -> dict[str, str]:
    with open(dataset / "samples.tsv", newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t")
        truth = {r["image"]: f"{100 * float(r['pearlite_fraction']):.1f}" for r in rows}
    for crop in (probe / "crops").glob("*.png"):
        mask = io.imread(probe / crop.stem.removeprefix("c22e_") / "truth/S1_annealed_01.png")
        truth[crop.stem] = f"{100 * np.mean(mask[CROP] == 1):.1f}"
    return truth


def main(out: Path, dataset: Path, probe: Path, checkpoint: str) -> None:
    groups = {
        "real": (1.25, sorted(REAL.glob("sae10*.png"))),
        "synthetic": (1, sorted(dataset.glob("images/S*_01.png")) + sorted(probe.glob("crops/*"))),
    }
    truth = true_shares(dataset, probe)
    lights = {p.stem: light(p) for _, paths in groups.values() for p in paths}
    called = {}
    for column, reference_name in REFERENCES.items():
        reference = lab(REAL / f"{reference_name}.png") if reference_name else None
        for group, (scale, paths) in groups.items():
            folder = out / f"{reference_name or 'original'}_{group}"
            folder.mkdir(parents=True, exist_ok=True)
            for path in paths:
                io.imsave(folder / path.name, shifted(lab(path), reference), check_contrast=False)
            for image, share in fractions(checkpoint, folder / "predictions", str(folder),
                                          scale, False).items():  # fmt: skip
                called.setdefault(image, {})[column] = f"{100 * share:.1f}"
    print("pearlite % called; true share where known (synthetic) or the lever-rule band (real)\n")
    print(
        "| image | light R : G : B | true | "
        + " | ".join(REFERENCES)
        + " |\n|---|---|---|---|---|---|"
    )
    bands = {"sae1020": "15–35", "sae1045": "50–75"}
    for image, row in called.items():
        true = truth.get(image, bands.get(image[:7], "?"))
        cells = " | ".join(row[c] for c in REFERENCES)
        print(f"| {image} | {lights[image]} | {true} | {cells} |")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4])
