# synthetic.md from run_syn.py's synthetic.json: means and ranges over the seven trainings.
import json

import numpy as np
from common import HERE

r = json.loads((HERE / "synthetic.json").read_text())
print(
    "| input | BatchNorm statistics | S1 / S2 pearlite % (truth 23.8) "
    "| S3 / S4 pearlite % (truth 57.2) | pixel accuracy % |"
)
print("|---|---|---|---|---|")


def spread(x, sep):
    return f"{x.mean():.1f} ({sep}{x.min():.1f}–{x.max():.1f})"


for s in ["syn", "syn_relit", "syn_dark"]:
    for mode in ["none", "all", "encoder", "stem"]:
        a = np.array([v for k, v in r.items() if k.split("|")[1:] == [s, mode]])  # ck, image, 2
        lo, hi, acc = a[:, :2, 0].ravel(), a[:, 2:, 0].ravel(), a[:, :, 1].mean(1)
        print(f"| {s} | {mode} | {spread(lo, 'range ')} | {spread(hi, '')} | {spread(acc, '')} |")
