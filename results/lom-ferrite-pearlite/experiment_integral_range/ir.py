"""`steelseg predict --ci integral-range` (new in experiment 47) against E562's interval and
experiment 46's trial version of it, on the same crops as 46: where the answer is known
(synthetic overviews' exact truth, random textures), then on the real crops, per crop and per
steel (pooled).

    python ir.py REAL_DIR MASKS_DIR DATASET > ir.md
"""

import sys
from pathlib import Path

from steelseg import quantify

sys.path.insert(0, str(Path(__file__).parents[1] / "experiment_confidence"))
import ci  # noqa: E402  (experiment 46: calibration tables, the trial interval, the threshold)

SAMPLINGS = {
    "E562 (default)": quantify.Sampling(4, "e562"),
    "integral range (--ci)": quantify.Sampling(4, "integral-range"),
}


def half_width(sampling: quantify.Sampling):
    """ci.py's method shape: a crop's pearlite half-width."""
    return lambda crop: sampling.spread(crop, 2).ci95[1]


ci.METHODS = {name: half_width(s) for name, s in SAMPLINGS.items()}
ci.METHODS["46's trial"] = ci.integral_range_ci95


def real_crops(real: str, masks_dir: str) -> None:
    print("\n### The real crops: pearlite % ± 95 % half-width, 4 × 4 fields\n")
    print(
        "| masks | image(s) | band % | "
        + " | ".join(f"{n} | meets the band" for n in SAMPLINGS)
        + " |"
    )
    print("|---|---|---|" + "---|---|" * len(SAMPLINGS))
    for label, masks in ci.load_masks(real, masks_dir).items():
        groups = [(name, [m]) for name, m in masks.items()]
        for steel in ci.BANDS:
            pooled = [m for n, m in masks.items() if n.startswith(steel)]
            groups.append((f"{steel}, both crops pooled", pooled))
        for name, group in groups:
            low, high = ci.BANDS[name[:7]]
            cells = [f"{100 * low:.0f}–{100 * high:.0f}"]
            for sampling in SAMPLINGS.values():
                spreads = [sampling.spread(m, 2) for m in group]
                measures = quantify.pooled_measures(spreads, ["ferrite", "pearlite"])
                if len(group) == 1:  # one image: its own fraction (pooled fields: the same)
                    measures["fraction_pearlite"] = float(group[0].mean())
                mean, half = measures["fraction_pearlite"], measures["ci95_pearlite"]
                meets = mean + half >= low and mean - half <= high
                cells += [f"{100 * mean:.1f} ± {100 * half:.1f}", "yes" if meets else "no"]
            print(f"| {label} | {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    real, masks_dir, dataset = sys.argv[1:4]
    ci.calibration(dataset)
    ci.textures()
    real_crops(real, masks_dir)
