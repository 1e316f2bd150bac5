"""One Markdown table of device.sh's reports: per data set and training seed, the pearlite
fractions of the four real crops at the preset scale (1.25) and at 4x, how many fall in their
lever-rule bands, whether every SAE 1045 ranks above every SAE 1020, the synthetic test scores
(mean IoU / mean BF against the RF masks and the exact truth, each test sample's predicted
pearlite against its truth) and the training's length; then
the seeds' ensemble (mean probabilities, where device.sh made it); each data set's mean and
range over its seeds.

    python summarise.py REPORT_DIR NAME=LABEL ... > seeds.md
"""

import csv
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "experiment_train_seed"))
from sweep import in_band, ranked  # noqa: E402  (the bands and the ranking, as sweep.md has them)

CROPS = ("sae1020_1", "sae1020_2", "sae1045_1", "sae1045_2")


def sweep(path: Path) -> dict[str, dict[str, float]]:
    """The sweep.md rows by scale label ('1.25' is the preset without TTA, '4' the 4x row)."""
    rows = {}
    for line in path.read_text().splitlines()[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        scale = cells[0].replace(" (preset)", "") + ("-tta" if cells[1] == "yes" else "")
        rows[scale] = {crop: float(v) / 100 for crop, v in zip(CROPS, cells[2:6], strict=True)}
    return rows


def pct(f: dict[str, float]) -> str:
    return " / ".join(f"{100 * f[c]:.1f}" for c in CROPS)


def scores(folder: Path, reference: str) -> str:
    path = folder / f"metrics_{reference}.json"
    if not path.is_file():
        return "–"
    m = json.loads(path.read_text())
    return f"{m['mean_iou']:.3f} / {m['mean_bf_score']:.3f}"


def per_sample(folder: Path) -> str:
    """Each synthetic test sample's predicted pearlite % against its truth (exact truth)."""
    path = folder / "metrics_truth.json"
    if not path.is_file():
        return "–"
    groups = json.loads(path.read_text())["per_group"]["sample"]
    return ", ".join(
        f"{sample} {100 * g['per_class']['pearlite']['fraction_predicted']:.1f}"
        f" / {100 * g['per_class']['pearlite']['fraction_truth']:.1f}"
        for sample, g in sorted(groups.items())
    )


def main(report: str, *names: str) -> None:
    print(
        "| data | seed | preset (1.25): SAE 1020 #1 / #2 / SAE 1045 #1 / #2 % | in band | ranked "
        "| 4×: in band | mIoU / BF (RF masks) | mIoU / BF (exact truth) "
        "| synthetic test pearlite %, predicted / truth | iterations | s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    means = []
    for spec in names:
        name, _, label = spec.partition("=")
        runs = []
        for folder in sorted(Path(report, name).glob("seed*")):
            if not (folder / "sweep.md").is_file() or not (folder / "summary.json").is_file():
                print(f"| {label or name} | {folder.name[4:]} | not finished | | | | | | | | |")
                continue
            rows = sweep(folder / "sweep.md")
            summary = json.loads((folder / "summary.json").read_text())
            preset, x4 = rows["1.25"], rows["4"]
            runs.append(preset)
            print(
                f"| {label or name} | {folder.name[4:]} | {pct(preset)} | {in_band(preset)}/4 "
                f"| {'yes' if ranked(preset) else 'no'} | {in_band(x4)}/4 "
                f"| {scores(folder, 'masks')} | {scores(folder, 'truth')} | {per_sample(folder)} "
                f"| {summary['iterations']} | {summary['elapsed_s']:.0f} |"
            )
        ensemble = Path(report, name, "ensemble", "phase_fractions.csv")
        if ensemble.is_file():
            with open(ensemble, newline="") as handle:
                f = {r["image"]: float(r["fraction_pearlite"]) for r in csv.DictReader(handle)}
            print(
                f"| {label or name} | ensemble of {len(runs)} | {pct(f)} | {in_band(f)}/4 "
                f"| {'yes' if ranked(f) else 'no'} | | | | | | |"
            )
        if runs:
            mean = {c: sum(r[c] for r in runs) / len(runs) for c in CROPS}
            spread = " / ".join(
                f"{100 * min(r[c] for r in runs):.1f}–{100 * max(r[c] for r in runs):.1f}"
                for c in CROPS
            )
            means.append(
                f"| {label or name} | {len(runs)} | {pct(mean)} | {in_band(mean)}/4 "
                f"| {'yes' if ranked(mean) else 'no'} | {spread} |"
            )
    print()
    print("| data | seeds | mean of the seeds at the preset, % | in band | ranked | range, % |")
    print("|---|---|---|---|---|---|")
    print("\n".join(means))


if __name__ == "__main__":
    main(*sys.argv[1:])
