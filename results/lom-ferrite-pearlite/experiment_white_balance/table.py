# Experiment 18's table: each training's answer on the real crops (preset and 4x, from its
# sweep.md) and on the synthetic test tiles (exact truth), white-balanced against raw inputs.
#   python table.py > table.md   (after run.sh; experiment 19's table.py reuses print_table)
import json
import re
from pathlib import Path

HERE = Path(__file__).parent
LOM = HERE.parent
RAW = {  # the same data, split and settings on raw inputs: experiments 13 and 14
    "raw, seed 2024 (rerun)": LOM / "experiment_seed_ensemble/seed2024_rerun",
    "raw, seed 2025": LOM / "experiment_train_seed/seed2025",
    "raw, seed 2026": LOM / "experiment_train_seed/seed2026",
}
BALANCED = {f"white-balanced, seed {s}": HERE / f"seed{s}" for s in (2024, 2025, 2026)}


def sweep_row(folder: Path, scale: str) -> tuple[str, str]:
    """'a / b / c / d' pearlite % and 'n/4' in band, from the sweep table's row without TTA."""
    for line in (folder / "sweep.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if re.fullmatch(rf"{scale}( \(preset[^)]*\))?", cells[0]) and cells[1] == "no":
            return " / ".join(cells[2:6]), cells[6]
    raise ValueError(f"{folder}/sweep.md: no row for --scale {scale}")


def synthetic(folder: Path) -> tuple[str, str]:
    m = json.loads((folder / "metrics/exact_truth.json").read_text())
    scores = f"{m['global_accuracy']:.3f} / {m['mean_iou']:.3f} / {m['mean_bf_score']:.3f}"
    share = " / ".join(
        f"{100 * g['per_class']['pearlite']['fraction_predicted']:.1f}"
        for _, g in sorted(m["per_group"]["image"].items())
    )
    return scores, share


def print_table(runs: dict[str, Path], truth_folder: Path) -> None:
    """One row per training that has run; the exact truth's shares from truth_folder's run."""
    print(
        "| training | preset: 1020 #1 / #2, 1045 #1 / #2 % | in band | 4×: the same | in band "
        "| global acc. / mean IoU / BF | pearlite % called on test S1 / S2 / S3 |"
    )
    print("|---|---|---|---|---|---|---|")
    metrics = json.loads((truth_folder / "metrics/exact_truth.json").read_text())
    for name, folder in runs.items():
        if not (folder / "sweep.md").is_file():
            continue  # a training not run yet
        preset, four = sweep_row(folder, "1.25"), sweep_row(folder, "4")
        print(
            f"| {name} | {preset[0]} | {preset[1]} | {four[0]} | {four[1]} | "
            + " | ".join(synthetic(folder))
            + " |"
        )
    share = " / ".join(
        f"{100 * g['per_class']['pearlite']['fraction_truth']:.1f}"
        for _, g in sorted(metrics["per_group"]["image"].items())
    )
    print(f"| exact truth | | | | | | {share} |")


if __name__ == "__main__":
    print_table({**RAW, **BALANCED}, HERE / "seed2024")
