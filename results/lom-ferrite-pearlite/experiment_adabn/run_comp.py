# Synthetic composition test: AdaBN on the two C20 images alone, on the two C45 images alone;
# per image 'pearlite % / pixel accuracy %' (truth 23.8, 23.8, 57.2, 57.2).
import subprocess
import sys

from common import ADAPT, TRAININGS, checkpoint, score

for ck in TRAININGS:
    line = []
    for s in ["syn_lo", "syn_hi"]:
        subprocess.run(
            [
                sys.executable,
                ADAPT,
                checkpoint(ck),
                f"/tmp/adabn/{s}/images",
                "1",
                "/tmp/adabn/c.pt",
            ],
            check=True,
        )
        out = f"/tmp/adabn/oc/{ck}/{s}"
        subprocess.run(
            ["steelseg", "predict", f"/tmp/adabn/{s}/images", "--checkpoint", "/tmp/adabn/c.pt"]
            + ["--out", out, "--threads", "2"],
            check=True,
            capture_output=True,
        )
        line += [f"{frac}/{acc}" for frac, acc in score(out)]
    print(ck, *line, flush=True)
