"""Granulometry of the dark phase: real crops at the preset scale beside synthetic overviews.

Dark = lightness (CIELAB L*) more than 12 below the image's ferrite level (its 75th percentile);
for each image the share of the image that is dark, and what of it survives an opening by a disk
of radius 1-4 px (features at least 3, 5, 7, 9 px across). Synthetic images: the centre
1000 x 700 px of each named overview, dark pixels and the exact truth's pearlite.

    python granulometry.py REAL_DIR DATASET[=LABEL] ... > granulometry.md
"""

import sys
from pathlib import Path

import numpy as np
from PIL import Image
from skimage import color, morphology

RADII = (1, 2, 3, 4)
PRESET = 1.25  # workflow/presets/lom_check.yaml
OVERVIEWS = ("S2_annealed_03", "S2_annealed_05", "S3_annealed_01")


def dark(rgb: np.ndarray, below: float = 12.0) -> np.ndarray:
    lightness = color.rgb2lab(rgb)[..., 0]
    return np.percentile(lightness, 75) - lightness > below


def row(name: str, mask: np.ndarray) -> str:
    shares = [mask.mean()] + [morphology.opening(mask, morphology.disk(r)).mean() for r in RADII]
    return f"| {name} | " + " | ".join(f"{100 * s:.1f}" for s in shares) + " |"


def main(real: str, *datasets: str) -> None:
    print("| image | dark % | ≥ 3 px | ≥ 5 px | ≥ 7 px | ≥ 9 px |")
    print("|---|---|---|---|---|---|")
    for path in sorted(Path(real).glob("*.png")):
        image = Image.open(path).convert("RGB")
        size = tuple(round(PRESET * s) for s in image.size)
        rgb = np.asarray(image.resize(size, Image.BICUBIC)) / 255.0
        print(row(f"{path.stem} at {PRESET}×", dark(rgb)))
    for spec in datasets:
        for label, name, rgb, truth in overview_windows(spec):
            print(row(f"{label} {name}: dark", dark(rgb / 255.0)))
            print(row(f"{label} {name}: true pearlite", truth))


def overview_windows(spec: str):
    """(label, image name, RGB, true pearlite) of the centre 1000 x 700 px of each overview of
    a data set named DATASET[=LABEL]."""
    folder, _, label = spec.partition("=")
    window = np.s_[400:1100, 500:1500]
    for name in OVERVIEWS:
        rgb = np.asarray(Image.open(f"{folder}/images/{name}.png").convert("RGB"))[window]
        truth = np.asarray(Image.open(f"{folder}/truth/{name}.png"))[window] > 0
        yield label or folder, name, rgb, truth


if __name__ == "__main__":
    main(*sys.argv[1:])
