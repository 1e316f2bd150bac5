# Experiment 34 (no training): how light the pearlite is, real against synthetic, and how much of
# each lightness a model calls pearlite. Lightness: each pixel's mean of R, G, B over the image's
# 75th percentile (the ferrite's level; experiment 22's optical density > 0.12 is lightness <
# 0.76). Real crops resampled 1.25x (the preset), with the model's masks there; the held-out C45E
# overviews at 1x, split by their exact truth, with the model's masks from `steelseg predict`.
#   python lightness.py RESULTS   (RESULTS: a run of experiment 31's data: sweep/s1.25/masks,
#   models/deeplabv3plus_mobilenetv2/checkpoint.pt, dataset/, split.tsv)
import runpy
import sys
from itertools import pairwise
from pathlib import Path

import numpy as np
from skimage import io, transform

HERE = Path(__file__).parent
REAL = Path("../shared/data/lom-ferrite-pearlite")
BINS = (0, 0.6, 0.7, 0.76, 0.82, 0.88, 0.94, np.inf)
overviews = runpy.run_path(str(HERE / "overviews.py"), run_name="lightness")


def lightness(rgb: np.ndarray) -> np.ndarray:
    brightness = rgb[..., :3].astype(float).mean(-1)
    return brightness / np.percentile(brightness, 75)


def cells(light: np.ndarray, called: np.ndarray, where: np.ndarray) -> list[str]:
    """Per lightness bin: % of the image there (within `where`), and % of that called pearlite."""
    out = []
    for low, high in pairwise(BINS):
        part = where & (light >= low) & (light < high)
        out.append(
            f"{100 * part.mean():.1f} / {100 * called[part].mean():.0f}" if part.any() else "0 / -"
        )
    return out


def main(results: Path) -> None:
    heads = [f"{low:.2f}–{high:.2f}" for low, high in pairwise(BINS)]
    heads[-1] = f"≥ {BINS[-2]:.2f}"
    print("% of the image at each lightness / % of it called pearlite\n")
    print("| image | pixels | " + " | ".join(heads) + " |\n|---|---|" + "---|" * len(heads))
    for mask_path in sorted((results / "sweep/s1.25/masks").glob("*.png")):
        rgb = io.imread(REAL / mask_path.name)[..., :3].astype(float)
        light = lightness(transform.rescale(rgb, 1.25, channel_axis=-1, preserve_range=True))
        called = io.imread(mask_path)
        called = transform.resize(called, light.shape, order=0, preserve_range=True) == 1
        everywhere = np.ones_like(called)
        print(
            f"| {mask_path.stem} (real, 1.25×) | all | "
            + " | ".join(cells(light, called, everywhere))
            + " |"
        )
    dataset = results / "dataset"
    images = [n for n, what in overviews["held_out"](dataset).items() if "C45E overview" in what]
    checkpoint = results / "models/deeplabv3plus_mobilenetv2/checkpoint.pt"
    calls = overviews["predicted"](str(checkpoint), dataset, images)
    for name in images:
        light = lightness(io.imread(dataset / "images" / f"{name}.png"))
        truth = io.imread(dataset / "truth" / f"{name}.png") == 1
        for label, where in (("true pearlite", truth), ("ferrite", ~truth)):
            row = cells(light, calls[name], where)
            print(f"| {name} (C45E overview, 1×) | {label} | " + " | ".join(row) + " |")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
