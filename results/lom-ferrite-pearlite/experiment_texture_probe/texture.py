# Experiment 22's measurements: what the real crops' colonies look like next to synthetic ones.
# A crop's "dark" pixels are those above Otsu's threshold of optical density (relative to the
# ferrite level, the 75th percentile of brightness); "colonies" are the dark pixels that survive
# an opening by a 3x3 square (compact patches), "grooves" the thin dark rest. The same operator
# runs on the real crops and on synthetic overviews, so the numbers compare like with like.
# A second table, granulometry: how much of each image is dark (optical density above 0.12) in
# features at least 3 / 5 / 7 px across (what survives an opening by a disk of radius 1 / 2 / 3),
# the real crops resampled by the preset's 1.25 first so that grains are the same size in pixels.
#   python texture.py NAME=IMAGE...   (synthetic images: their centre quarter, truth beside them)
import sys
from pathlib import Path

import numpy as np
from skimage import filters, io, measure, morphology, transform

SQUARE = np.ones((3, 3), bool)
CROP = (slice(385, 385 + 771), slice(520, 520 + 1040))  # synthetic_c22e.py's centre quarter
REAL = "../shared/data/lom-ferrite-pearlite"


def optical_density(rgb: np.ndarray) -> np.ndarray:
    brightness = rgb[..., :3].astype(float).mean(-1) / 255
    return -np.log10(np.clip(brightness / np.percentile(brightness, 75), 1e-3, None))


def regions(density: np.ndarray) -> dict[str, np.ndarray]:
    dark = density > filters.threshold_otsu(density)
    colonies = morphology.opening(dark, SQUARE)
    return {"dark": dark, "colonies": colonies, "grooves": dark & ~colonies, "light": ~dark}


def high_pass(rgb: np.ndarray) -> np.ndarray:
    """Pixel-scale texture: brightness minus its 1 px Gaussian blur."""
    brightness = rgb[..., :3].astype(float).mean(-1) / 255
    return brightness - filters.gaussian(brightness, 1.0)


def measure_image(rgb: np.ndarray) -> dict[str, float]:
    density = optical_density(rgb)
    parts = regions(density)
    texture = high_pass(rgb)
    cores = morphology.erosion(parts["colonies"], SQUARE)
    light_inside = morphology.erosion(parts["light"], SQUARE)
    blobs = [p for p in measure.regionprops(measure.label(parts["colonies"])) if p.area >= 6]
    return {
        "dark pixels %": 100 * parts["dark"].mean(),
        "colonies %": 100 * parts["colonies"].mean(),
        "grooves %": 100 * parts["grooves"].mean(),
        "optical density: colonies": density[parts["colonies"]].mean(),
        "optical density: grooves": density[parts["grooves"]].mean(),
        "colonies / grooves density": density[parts["colonies"]].mean()
        / density[parts["grooves"]].mean(),
        "texture (high-pass std): colony cores": texture[cores].std(),
        "texture: ferrite (light) interiors": texture[light_inside].std(),
        "texture ratio colonies / ferrite": texture[cores].std() / texture[light_inside].std(),
        "colony median area px": float(np.median([p.area for p in blobs])),
    }


def dark_at_preset(rgb: np.ndarray, real: bool) -> np.ndarray:
    """The granulometry's dark mask; a real crop resampled first, as `predict --scale 1.25` does."""
    if real:
        rgb = transform.rescale(rgb.astype(float), 1.25, channel_axis=-1, preserve_range=True)
    return optical_density(rgb) > 0.12


def granulometry(mask: np.ndarray) -> list[float]:
    """% of the image in `mask`, and in what survives openings by disks of radius 1, 2, 3."""
    return [100 * mask.mean()] + [
        100 * morphology.opening(mask, morphology.disk(r)).mean() for r in (1, 2, 3)
    ]


def print_table(table: dict[str, dict[str, float]]) -> None:
    keys = next(iter(table.values())).keys()
    print("| measure | " + " | ".join(table) + " |\n|---|" + "---|" * len(table))
    for key in keys:
        print(f"| {key} | " + " | ".join(f"{table[n][key]:.3g}" for n in table) + " |")


if __name__ == "__main__":
    images = {
        n: io.imread(f"{REAL}/{n}.png")[..., :3]
        for n in ("sae1020_1", "sae1020_2", "sae1045_1", "sae1045_2")
    }
    truths = {}
    for name, path in (a.split("=", 1) for a in sys.argv[1:]):
        images[name] = io.imread(path)[CROP][..., :3]
        truths[name] = io.imread(Path(path).parent.parent / "truth" / Path(path).name)[CROP] == 1
    print_table({name: measure_image(rgb) for name, rgb in images.items()})
    sizes = ("all", ">= 3 px", ">= 5 px", ">= 7 px")
    grains = {}
    for name, rgb in images.items():
        dark = granulometry(dark_at_preset(rgb, real=name not in truths))
        grains[name] = {f"dark, {s} %": v for s, v in zip(sizes, dark, strict=True)}
        if name in truths:
            grains[name] |= {
                f"true pearlite, {s} %": v
                for s, v in zip(sizes, granulometry(truths[name]), strict=True)
            }
    keys = list(dict.fromkeys(k for row in grains.values() for k in row))
    print(
        "\n| granulometry (real crops at 1.25x) | "
        + " | ".join(grains)
        + " |\n|---|"
        + "---|" * len(grains)
    )
    for key in keys:
        print(
            f"| {key} | "
            + " | ".join(f"{grains[n][key]:.1f}" if key in grains[n] else "" for n in grains)
            + " |"
        )
