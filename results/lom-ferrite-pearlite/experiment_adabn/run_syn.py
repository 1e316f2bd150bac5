# Synthetic set (exact truth): each checkpoint as trained ("none") and with AdaBN on all BatchNorm
# layers, the encoder's only, or the stem's only; pearlite % and pixel accuracy % per image.
# (Run before adapt.py got its far-edge window: on these 640 px images the windows covered
# 0-560 px; the real-crop runs, 320 px at --scale 1.25, had it: corners at 0 and 96.)
import subprocess, glob, pathlib, csv, json, sys
import numpy as np
from steelseg import io
CK = ["synthetic_c45e_seed2024","synthetic_c45e_seed2025","synthetic_c45e_seed2026","synthetic_c45e_supersample","synthetic_c45e_supersample_seed2025","synthetic_c45e_supersample_seed2026","synthetic_c45e_supersample_truth"]
MODES = {"none": None, "all": "", "encoder": "encoder.", "stem": "encoder.features.0."}
sets = sys.argv[1].split(",")
res = {}
for ck in CK:
    path = f"results/{ck}/models/deeplabv3plus_mobilenetv2/checkpoint.pt"
    for s in sets:
        for mode, prefix in MODES.items():
            c = path
            if prefix is not None:
                c = f"/tmp/adabn/a.pt"
                subprocess.run([".venv/bin/python", "results/lom-ferrite-pearlite/experiment_adabn/adapt.py", path, f"/tmp/adabn/{s}/images", "1", c, prefix], check=True)
            out = f"/tmp/adabn/o/{ck}/{s}/{mode}"
            subprocess.run([".venv/bin/steelseg", "predict", f"/tmp/adabn/{s}/images", "--checkpoint", c, "--out", out, "--threads", "2"], check=True, capture_output=True)
            row = []
            for f in sorted(glob.glob(f"{out}/masks/*.png")):
                name = pathlib.Path(f).name
                if not (pathlib.Path("/tmp/adabn/syn/truth") / name).exists(): continue
                p = io.read_labels(f, 2); t = io.read_labels(f"/tmp/adabn/syn/truth/{name}", 2)
                row.append((round(100 * p.mean(), 1), round(100 * (p == t).mean(), 1)))
            res[f"{ck}|{s}|{mode}"] = row
            print(ck, s, mode, row, flush=True)
json.dump(res, open("results/lom-ferrite-pearlite/experiment_adabn/synthetic.json", "w"))
