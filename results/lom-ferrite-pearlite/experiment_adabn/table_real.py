import csv, glob, re
CK = ["synthetic_c45e_seed2024","synthetic_c45e_seed2025","synthetic_c45e_seed2026","synthetic_c45e_supersample","synthetic_c45e_supersample_seed2025","synthetic_c45e_supersample_seed2026","synthetic_c45e_supersample_truth"]
LABEL = {"synthetic_c45e_seed2024": "default, seed 2024 (exp 14)", "synthetic_c45e_seed2025": "default, seed 2025 (exp 13)",
 "synthetic_c45e_seed2026": "default, seed 2026 (exp 13)", "synthetic_c45e_supersample": "supersample, seed 2024 (exp 15)",
 "synthetic_c45e_supersample_seed2025": "supersample, seed 2025 (exp 15b)", "synthetic_c45e_supersample_seed2026": "supersample, seed 2026 (exp 15b)",
 "synthetic_c45e_supersample_truth": "supersample, truth labels (exp 16)"}
BANDS = {"sae1020": (15, 35), "sae1045": (50, 75)}
def frac(path):
    return {r["image"]: 100 * float(r["fraction_pearlite"]) for r in csv.DictReader(open(path))}
def cell(f):
    inb = sum(BANDS[k[:7]][0] <= v <= BANDS[k[:7]][1] for k, v in f.items())
    return " / ".join(f"{f[k]:.1f}" for k in sorted(f)) + f" ({inb}/4)"
print("| training | as trained (BatchNorm from the training tiles) | AdaBN on all four crops | AdaBN per steel (the two SAE 1020, the two SAE 1045) | AdaBN per image |")
print("|---|---|---|---|---|")
for ck in CK:
    none = frac(f"/tmp/adabn/none_{ck}/phase_fractions.csv")
    R = f"/tmp/adabn/real/{ck}"
    pooled = frac(f"{R}/all/phase_fractions.csv")
    per = {}
    for i in ["sae1020_1", "sae1020_2", "sae1045_1", "sae1045_2"]:
        per.update(frac(f"{R}/image_{i}/phase_fractions.csv"))
    steel = {**frac(f"{R}/steel_1020/phase_fractions.csv"), **frac(f"{R}/steel_1045/phase_fractions.csv")}
    print(f"| {LABEL[ck]} | {cell(none)} | {cell(pooled)} | {cell(steel)} | {cell(per)} |")
