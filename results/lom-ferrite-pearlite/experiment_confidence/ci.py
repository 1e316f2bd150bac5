"""How sure is one 256 px crop's pearlite fraction? `steelseg predict`'s 95 % confidence
half-width (quantify.fraction_ci95: ASTM E562/E1245 statistics over N x N fields of the image),
first checked where the answer is known, then put on the real crops.

1. Calibration: the exact truth of each synthetic overview of DATASET (samples with 15 px
   grains, the real crops' grains at the preset scale) cut into crops of 320 px (the real crops'
   256 px times the preset 1.25); for each crop its fraction +- CI, and whether the interval holds
   the whole overview's true fraction. About 95 % of them should, if the CI means what it says.
   The same on tests/test_quantify.py's random textures. Beside E562 at 4 x 4 and 8 x 8 fields,
   an integral-range interval (not in steelseg: ``integral_range_ci95``).
2. The real crops: fraction +- CI of the masks in MASKS_DIR (a model's, at the preset) and of 41's
   lightness threshold (granulometry.py's `dark`), per crop and per steel (the two crops' fields
   pooled), against the lever-rule bands of issue 5.

    python ci.py REAL_DIR MASKS_DIR DATASET > ci.md
"""

import csv
import sys
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage
from steelseg import quantify

sys.path.insert(0, str(Path(__file__).parents[1] / "experiment_grain_colonies"))
from granulometry import dark as threshold  # noqa: E402

CROP = 320  # px: 256 x 1.25
GRIDS = (4, 8)  # fields per side: steelseg predict's default, and finer
BANDS = {"sae1020": (0.15, 0.35), "sae1045": (0.50, 0.75)}


def integral_range_ci95(crop: np.ndarray) -> float:
    """Not in steelseg (a lead): 1.96 x the sd of the crop's pearlite fraction extrapolated from
    the variance of its fields at 4 x 4, 8 x 8 and 16 x 16 by a power law in the field area (the
    integral-range method of Kanit et al. 2003); it equals E562's 1/area when fields are
    independent and widens where the structure clusters beyond a field."""
    grids = (4, 8, 16)
    variances = [quantify.field_fractions(crop, 2, g)[:, 1].var(ddof=1) for g in grids]
    if min(variances) <= 0:
        return 0.0
    areas = [crop.size / g**2 for g in grids]
    slope, intercept = np.polyfit(np.log(areas), np.log(variances), 1)
    return 1.96 * float(np.sqrt(np.exp(intercept + slope * np.log(crop.size))))


METHODS = {
    "4×4 fields": lambda crop: quantify.fraction_ci95(crop, 2, 4)[1],
    "8×8 fields": lambda crop: quantify.fraction_ci95(crop, 2, 8)[1],
    "integral range": integral_range_ci95,
}


def coverage_cells(crops: list[np.ndarray], truths: list[float]) -> list[str]:
    """Per method: median half-width and the share of crops whose interval holds the truth."""
    cells = []
    for method in METHODS.values():
        widths = [method(c) for c in crops]
        held = [abs(c.mean() - t) <= w for c, t, w in zip(crops, truths, widths, strict=True)]
        cells += [f"{100 * np.median(widths):.1f}", f"{100 * np.mean(held):.0f} %"]
    return cells


def method_headers() -> tuple[str, str]:
    names = " | ".join(f"{m}: median ± | {m}: holds the truth" for m in METHODS)
    return names, "---|---|" * len(METHODS)


def calibration(dataset: str) -> None:
    print(
        f"### Calibration on the exact truth of {dataset}'s 15 px overviews, crops of {CROP} px\n"
    )
    names, rule = method_headers()
    print(
        "| sample | true % (image) | crops | crop % (range) | crop % (sd) | "
        f"crops in the band of their carbon | {names} |"
    )
    print(f"|---|---|---|---|---|---|{rule}")
    with open(Path(dataset) / "samples.tsv", newline="") as handle:
        rows = [r for r in csv.DictReader(handle, delimiter="\t") if r["grain_size_px"] == "15.0"]
    for sample in sorted({r["sample"] for r in rows}):
        crops, truths = [], []
        for r in (r for r in rows if r["sample"] == sample):
            truth = np.asarray(Image.open(Path(dataset) / "truth" / f"{r['image']}.png")) > 0
            for y in range(0, truth.shape[0] - CROP + 1, CROP):
                for x in range(0, truth.shape[1] - CROP + 1, CROP):
                    crops.append(truth[y : y + CROP, x : x + CROP].astype(np.uint8))
                    truths.append(truth.mean())
        fractions = [c.mean() for c in crops]
        low, high = BANDS["sae1045" if float(r["carbon_wt_pct"]) > 0.3 else "sae1020"]
        inside = [low <= f <= high for f in fractions]
        cells = [
            f"{100 * np.mean(truths):.1f}",
            str(len(fractions)),
            f"{100 * min(fractions):.1f}–{100 * max(fractions):.1f}",
            f"{100 * np.std(fractions, ddof=1):.1f}",
            f"{100 * np.mean(inside):.0f} % ({100 * low:.0f}–{100 * high:.0f})",
            *coverage_cells(crops, truths),
        ]
        print(f"| {sample} | " + " | ".join(cells) + " |")


def textures() -> None:
    """tests/test_quantify.py's random textures (Gaussian noise smoothed over sigma px, 40 %
    thresholded), 200 crops of 128 px each, against the population's fraction."""
    names, rule = method_headers()
    print("\n### Random two-phase textures, 200 crops of 128 px\n")
    print(f"| texture sigma, px | {names} |")
    print(f"|---|{rule}")
    for sigma in (1, 3, 8, 16):
        noise = ndimage.gaussian_filter(
            np.random.default_rng(7).standard_normal((20 * 128, 10 * 128)), sigma
        )
        field = (noise > np.quantile(noise, 0.6)).astype(np.uint8)
        crops = [
            field[y : y + 128, x : x + 128]
            for y in range(0, field.shape[0], 128)
            for x in range(0, field.shape[1], 128)
        ]
        print(f"| {sigma} | " + " | ".join(coverage_cells(crops, [field.mean()] * 200)) + " |")


def pooled(masks: list[np.ndarray], grid: int) -> tuple[float, float]:
    """Pearlite mean and 95 % half-width over the fields of several images (E562: pooled)."""
    spreads = [quantify.Sampling(grid).spread(m, 2) for m in masks]
    measures = quantify.pooled_measures(spreads, ["ferrite", "pearlite"])
    return measures["fraction_pearlite"], measures["ci95_pearlite"]


def load_masks(real: str, masks_dir: str) -> dict[str, dict[str, np.ndarray]]:
    """Pearlite masks of the real crops: the model's (MASKS_DIR) and the lightness threshold's."""
    sets = {"model (MASKS_DIR)": {}, "lightness threshold": {}}
    for path in sorted(Path(real).glob("*.png")):
        rgb = np.asarray(Image.open(path).convert("RGB"))
        sets["lightness threshold"][path.stem] = threshold(rgb / 255.0).astype(np.uint8)
        model = np.asarray(Image.open(Path(masks_dir) / path.name))
        sets["model (MASKS_DIR)"][path.stem] = (model > 0).astype(np.uint8)
    return sets


def real_crops(real: str, masks_dir: str) -> None:
    print("\n### The real crops: pearlite % ± 95 % half-width\n")
    print(
        "| masks | image | band % | "
        + " | ".join(f"{g}×{g} fields | interval meets the band" for g in GRIDS)
        + " | integral range (one crop) | interval meets the band |"
    )
    print("|---|---|---|" + "---|---|" * (len(GRIDS) + 1))
    for label, masks in load_masks(real, masks_dir).items():
        groups = [(name, [m]) for name, m in masks.items()]
        for steel in BANDS:
            groups.append(
                (f"{steel}, both crops", [m for n, m in masks.items() if n.startswith(steel)])
            )
        for name, group in groups:
            low, high = BANDS[name[:7]]
            cells = [f"{100 * low:.0f}–{100 * high:.0f}"]
            for g in GRIDS:
                mean, ci = pooled(group, g)
                meets = mean + ci >= low and mean - ci <= high
                cells += [f"{100 * mean:.1f} ± {100 * ci:.1f}", "yes" if meets else "no"]
            if len(group) == 1:
                mean, ci = group[0].mean(), integral_range_ci95(group[0])
                meets = mean + ci >= low and mean - ci <= high
                cells += [f"{100 * mean:.1f} ± {100 * ci:.1f}", "yes" if meets else "no"]
            else:
                cells += ["–", "–"]
            print(f"| {label} | {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    real, masks_dir, dataset = sys.argv[1:4]
    calibration(dataset)
    textures()
    real_crops(real, masks_dir)
