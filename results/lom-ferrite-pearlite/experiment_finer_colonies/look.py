"""Side by side, at the preset scale: a real SAE 1045 crop, an experiment 41 overview (whole
grains) and an experiment 43 overview (finer colonies), each a 360 x 270 px window, with the
synthetic images' true pearlite outlined beneath them.

    python look.py REAL.png DATASET_41 DATASET_43 IMAGE OUT.png
"""

import sys

import matplotlib.pyplot as plt
import numpy as np
from PIL import Image
from skimage import segmentation

PRESET = 1.25  # workflow/presets/lom_check.yaml
WINDOW = np.s_[600:870, 800:1160]


def main(real: str, first: str, second: str, name: str, out: str) -> None:
    image = Image.open(real).convert("RGB")
    image = image.resize(tuple(round(PRESET * s) for s in image.size), Image.BICUBIC)
    fig, axes = plt.subplots(2, 3, figsize=(12, 6.6), layout="constrained")
    crop = np.asarray(image)[: WINDOW[0].stop - WINDOW[0].start, : WINDOW[1].stop - WINDOW[1].start]
    axes[0, 0].imshow(crop)
    axes[0, 0].set_title(f"real {real.split('/')[-1][:-4]} at {PRESET}×")
    axes[1, 0].axis("off")
    for column, (folder, label) in enumerate(
        [(first, "whole grains (exp. 41)"), (second, "finer colonies (exp. 43)")], start=1
    ):
        rgb = np.asarray(Image.open(f"{folder}/images/{name}.png").convert("RGB"))[WINDOW]
        truth = np.asarray(Image.open(f"{folder}/truth/{name}.png"))[WINDOW] > 0
        axes[0, column].imshow(rgb)
        axes[0, column].set_title(f"{label}: {name}")
        axes[1, column].imshow(segmentation.mark_boundaries(rgb, truth.astype(int), (1, 0.2, 0)))
        axes[1, column].set_title(f"true pearlite outlined ({100 * truth.mean():.0f} %)")
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    fig.savefig(out, dpi=90)


if __name__ == "__main__":
    main(*sys.argv[1:])
