# Experiment 38 (no training): is the light pearlite that every model misses (experiment 34:
# lightness 0.76-0.94) textured alike in the real SAE 1045 crops and in the synthetic C45E
# overviews? For the pixels of each lightness band (0.6-0.76, where the real SAE 1045 crops hold
# more than SAE 1020, and 0.76-0.94): local contrast (standard deviation of lightness in a 5 x 5
# window) and distance to the nearest dark pixel (lightness < 0.6), as shares of the pixels in
# bins. Real crops resampled 1.25x (the preset); synthetic images at 1x, their light
# pixels split by the exact truth. Lightness as in experiment 34's lightness.py.
#   python light_texture.py DATASET IMAGE...   (DATASET: a run's dataset/ with images/, truth/)
import runpy
import sys
from itertools import pairwise
from pathlib import Path

import numpy as np
from scipy import ndimage
from skimage import io, transform

HERE = Path(__file__).parent
REAL = Path("../shared/data/lom-ferrite-pearlite")
BANDS = ((0.6, 0.76), (0.76, 0.94))
CONTRAST = (0, 0.02, 0.04, 0.06, 0.08, 0.12, np.inf)
DISTANCE = (0, 2, 4, 8, np.inf)
lightness = runpy.run_path(str(HERE / "../experiment_grey_truth/lightness.py"))["lightness"]


def local_contrast(light: np.ndarray) -> np.ndarray:
    mean = ndimage.uniform_filter(light, 5)
    return np.sqrt(np.clip(ndimage.uniform_filter(light**2, 5) - mean**2, 0, None))


def shares(values: np.ndarray, bins: tuple) -> list[str]:
    counts = np.histogram(values, bins=np.array(bins, float))[0]
    return [f"{100 * c / max(values.size, 1):.0f}" for c in counts]


def rows(name: str, pixels: str, light: np.ndarray, where: np.ndarray) -> list[str]:
    contrast = local_contrast(light)
    distance = ndimage.distance_transform_edt(light >= 0.6)
    out = []
    for low, high in BANDS:
        band = where & (light >= low) & (light < high)
        cells = [f"{low}–{high}", f"{100 * band.mean():.1f}", f"{np.median(contrast[band]):.3f}"]
        cells += shares(contrast[band], CONTRAST)
        cells += [f"{np.median(distance[band]):.1f}", *shares(distance[band], DISTANCE)]
        out.append(f"| {name} | {pixels} | " + " | ".join(cells) + " |")
    return out


def heads(bins: tuple) -> list[str]:
    out = [f"{low:g}–{high:g}" for low, high in pairwise(bins)]
    return out[:-1] + [f"≥ {bins[-2]:g}"]


def main(dataset: Path, images: list[str]) -> None:
    cols = [
        "lightness",
        "% of image",
        "median contrast",
        *(f"contrast {h}" for h in heads(CONTRAST)),
    ]
    cols += ["median px to dark", *(f"{h} px" for h in heads(DISTANCE))]
    print(
        "pixels of each lightness: % of the image, local contrast (5 x 5 std of lightness) and"
        " distance to the nearest pixel of lightness < 0.6, as % of those pixels\n"
    )
    print("| image | pixels | " + " | ".join(cols) + " |\n|---|---|" + "---|" * len(cols))
    for path in sorted(REAL.glob("sae*.png")):
        rgb = io.imread(path)[..., :3].astype(float)
        light = lightness(transform.rescale(rgb, 1.25, channel_axis=-1, preserve_range=True))
        print(
            *rows(f"{path.stem} (real, 1.25×)", "all", light, np.ones(light.shape, bool)), sep="\n"
        )
    for name in images:
        light = lightness(io.imread(dataset / "images" / f"{name}.png"))
        truth = io.imread(dataset / "truth" / f"{name}.png") == 1
        for pixels, where in (("true pearlite", truth), ("ferrite", ~truth)):
            print(*rows(f"{name} (synthetic, 1×)", pixels, light, where), sep="\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2:])
