# AdaBN on the four real crops at the preset's --scale 1.25: pooled over all four, per steel, per image.
import subprocess, csv, sys
CK = ["synthetic_c45e_seed2024","synthetic_c45e_seed2025","synthetic_c45e_seed2026","synthetic_c45e_supersample","synthetic_c45e_supersample_seed2025","synthetic_c45e_supersample_seed2026","synthetic_c45e_supersample_truth"]
SETS = {"all": "/tmp/adabn/real_all", "steel_1020": "/tmp/adabn/real_lo", "steel_1045": "/tmp/adabn/real_hi",
        **{f"image_{i}": f"/tmp/adabn/img_{i}" for i in ["sae1020_1", "sae1020_2", "sae1045_1", "sae1045_2"]}}
for ck in CK:
    path = f"results/{ck}/models/deeplabv3plus_mobilenetv2/checkpoint.pt"
    for name, folder in SETS.items():
        out = f"/tmp/adabn/real/{ck}/{name}"
        subprocess.run([".venv/bin/python", "results/lom-ferrite-pearlite/experiment_adabn/adapt.py", path, folder, "1.25", "/tmp/adabn/r.pt"], check=True)
        subprocess.run([".venv/bin/steelseg", "predict", folder, "--checkpoint", "/tmp/adabn/r.pt", "--out", out, "--scale", "1.25", "--threads", "1"], check=True, capture_output=True)
    print(ck, flush=True)
