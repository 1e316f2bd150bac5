"""Which dark pixels of the real crops a model leaves out: its pearlite mask against 41's
lightness threshold (granulometry.py's `dark`: L* more than 12 below the crop's 75th percentile),
pixel by pixel, at the crop's own size.

For each crop: the threshold's and the model's pearlite %, the pixels both call dark, those only
the threshold calls dark (missed) and only the model calls pearlite (added); the missed pixels'
median darkness (L* below the ferrite level), and how they lie: the share of them in dark
features under 5 px across (gone after an opening by a disk of radius 2) and the share within
2 px of a model pearlite edge (the rim of a patch the model found) rather than in patches it
found nothing of.

With DATASET, the same for the centre of its synthetic overviews with the exact truth in the
model's place: how far the threshold itself over-reads pearlite where the answer is known.

    python missed.py REAL_DIR MASKS_DIR [DATASET] > missed.md
"""

import sys
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage
from skimage import color, morphology

sys.path.insert(0, str(Path(__file__).parents[1] / "experiment_grain_colonies"))
from granulometry import dark as threshold  # noqa: E402
from granulometry import overview_windows  # noqa: E402


def row(name: str, rgb: np.ndarray, called: np.ndarray) -> str:
    """One table row: the lightness threshold against ``called`` (a pearlite mask)."""
    dark = threshold(rgb / 255.0)
    lightness = color.rgb2lab(rgb / 255.0)[..., 0]
    below = np.percentile(lightness, 75) - lightness  # the missed pixels' darkness, ΔL*
    missed, added = dark & ~called, called & ~dark
    small = dark & ~morphology.opening(dark, morphology.disk(2))
    near = ndimage.distance_transform_edt(~called) <= 2
    shares = [dark.mean(), called.mean(), (dark & called).mean(), missed.mean(), added.mean()]
    cells = [f"{100 * s:.1f}" for s in shares]
    n = max(missed.sum(), 1)
    cells += [
        f"{np.median(below[missed]):.1f}" if missed.any() else "–",
        f"{100 * (missed & small).sum() / n:.0f} %",
        f"{100 * (missed & near).sum() / n:.0f} %",
    ]
    return f"| {name} | " + " | ".join(cells) + " |"


def main(real: str, masks: str, dataset: str | None = None) -> None:
    print(
        "| image | threshold % | model (or truth) % | both % | missed % | added % | missed: "
        "median ΔL* | missed: in features < 5 px | missed: ≤ 2 px from a called patch |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for path in sorted(Path(real).glob("*.png")):
        rgb = np.asarray(Image.open(path).convert("RGB"))
        print(row(path.stem, rgb, np.asarray(Image.open(Path(masks) / path.name)) > 0))
    if dataset:
        for _, name, rgb, truth in overview_windows(dataset):
            print(row(f"synthetic {name} (truth)", rgb, truth))


if __name__ == "__main__":
    main(*sys.argv[1:])
