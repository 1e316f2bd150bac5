# Experiment 13's scale sweep: one checkpoint through `steelseg predict` on the four real crops at
# every --scale the earlier experiments used (and --tta at the preset), as one Markdown table.
#   python sweep.py CHECKPOINT OUT [SHARED_DATA]   (OUT/s<scale>[-tta]/phase_fractions.csv)
# CHECKPOINT may be a comma-separated list: an ensemble (experiment 14), probabilities averaged.
import csv
import subprocess
import sys
from pathlib import Path

BANDS = {"sae1020": (0.15, 0.35), "sae1045": (0.50, 0.75)}  # issue 5's lever-rule bands
RUNS = [(1, False), (1.25, False), (1.25, True), (1.5, False), (2, False), (3, False), (4, False)]


def fractions(checkpoint, out, images, scale, tta):
    folder = Path(out) / f"s{scale}{'-tta' if tta else ''}"
    if not (folder / "phase_fractions.csv").is_file():
        subprocess.run(
            [
                "steelseg",
                "predict",
                images,
                *(a for path in checkpoint.split(",") for a in ("--checkpoint", path)),
                "--out",
                str(folder),
                "--scale",
                str(scale),
                "--threads",
                "2",
                "--tta" if tta else "--no-tta",
            ],
            check=True,
            capture_output=True,
        )
    with open(folder / "phase_fractions.csv", newline="") as handle:
        return {r["image"]: float(r["fraction_pearlite"]) for r in csv.DictReader(handle)}


def in_band(f):
    """How many crops' fractions lie in their lever-rule band (sae1020_1 -> the SAE 1020 band)."""
    return sum(BANDS[k.split("_")[0]][0] <= v <= BANDS[k.split("_")[0]][1] for k, v in f.items())


def ranked(f):
    """Whether every SAE 1045 crop has more pearlite than every SAE 1020 crop."""
    return min(v for k, v in f.items() if "1045" in k) > max(v for k, v in f.items() if "1020" in k)


def row(scale, tta, f):
    cells = " | ".join(f"{100 * f[k]:.1f}" for k in sorted(f))
    preset = " (preset)" if scale == 1.25 else ""
    yes = "yes" if tta else "no"
    return (
        f"| {scale}{preset} | {yes} | {cells} | {in_band(f)}/4 | {'yes' if ranked(f) else 'no'} |"
    )


if __name__ == "__main__":
    checkpoint, out = sys.argv[1], sys.argv[2]
    images = sys.argv[3] if len(sys.argv) > 3 else "../shared/data/lom-ferrite-pearlite"
    print(
        "| --scale | --tta | SAE 1020 #1 % | SAE 1020 #2 % | SAE 1045 #1 % | SAE 1045 #2 % "
        "| in band | every 1045 > every 1020 |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for scale, tta in RUNS:
        print(row(scale, tta, fractions(checkpoint, out, images, scale, tta)))
