# Synthetic composition test: AdaBN on the two C20 images alone, on the two C45 images alone;
# per image 'pearlite % / pixel accuracy %' (truth 23.8, 23.8, 57.2, 57.2).
import subprocess, glob, pathlib, sys
from steelseg import io
CK = ["synthetic_c45e_seed2024","synthetic_c45e_seed2025","synthetic_c45e_seed2026","synthetic_c45e_supersample","synthetic_c45e_supersample_seed2025","synthetic_c45e_supersample_seed2026","synthetic_c45e_supersample_truth"]
for ck in CK:
    path = f"results/{ck}/models/deeplabv3plus_mobilenetv2/checkpoint.pt"
    line = []
    for s in ["syn_lo", "syn_hi"]:
        subprocess.run([".venv/bin/python", "results/lom-ferrite-pearlite/experiment_adabn/adapt.py", path, f"/tmp/adabn/{s}/images", "1", "/tmp/adabn/c.pt"], check=True)
        out = f"/tmp/adabn/oc/{ck}/{s}"
        subprocess.run([".venv/bin/steelseg", "predict", f"/tmp/adabn/{s}/images", "--checkpoint", "/tmp/adabn/c.pt", "--out", out, "--threads", "2"], check=True, capture_output=True)
        for f in sorted(glob.glob(f"{out}/masks/*.png")):
            p = io.read_labels(f, 2); t = io.read_labels("/tmp/adabn/syn/truth/" + pathlib.Path(f).name, 2)
            line.append(f"{100*p.mean():.1f}/{100*(p==t).mean():.1f}")
    print(ck, *line, flush=True)
