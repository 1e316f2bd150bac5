# real_crops.md from run.sh's predictions: pearlite % per crop and how many are in band.
import csv

from common import TRAININGS

BANDS = {"sae1020": (15, 35), "sae1045": (50, 75)}  # issue 5's lever-rule bands
IMAGES = ["sae1020_1", "sae1020_2", "sae1045_1", "sae1045_2"]


def frac(folder):
    with open(f"{folder}/phase_fractions.csv", newline="") as handle:
        return {r["image"]: 100 * float(r["fraction_pearlite"]) for r in csv.DictReader(handle)}


def cell(f):
    inb = sum(BANDS[k[:7]][0] <= v <= BANDS[k[:7]][1] for k, v in f.items())
    return " / ".join(f"{f[k]:.1f}" for k in sorted(f)) + f" ({inb}/4)"


print(
    "| training | as trained (BatchNorm from the training tiles) | AdaBN on all four crops "
    "| AdaBN per steel (the two SAE 1020, the two SAE 1045) | AdaBN per image |"
)
print("|---|---|---|---|---|")
for ck, label in TRAININGS.items():
    R = f"/tmp/adabn/real/{ck}"
    steel = {**frac(f"{R}/steel_1020"), **frac(f"{R}/steel_1045")}
    per = {k: v for i in IMAGES for k, v in frac(f"{R}/image_{i}").items()}
    row = [frac(f"/tmp/adabn/none_{ck}"), frac(f"{R}/all"), steel, per]
    print(f"| {label} | " + " | ".join(cell(f) for f in row) + " |")
