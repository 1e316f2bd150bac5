# Synthetic set (exact truth): each checkpoint as trained ("none") and with AdaBN on all BatchNorm
# layers, the encoder's only, or the stem's only; pearlite % and pixel accuracy % per image.
# (Run before adapt.py got its far-edge window: on these 640 px images the windows covered
# 0-560 px; the real-crop runs, 320 px at --scale 1.25, had it: corners at 0 and 96.)
#   python run_syn.py syn,syn_relit,syn_dark
import json
import subprocess
import sys

from common import ADAPT, HERE, TRAININGS, checkpoint, score

MODES = {"none": None, "all": "", "encoder": "encoder.", "stem": "encoder.features.0."}
res = {}
for ck in TRAININGS:
    for s in sys.argv[1].split(","):
        for mode, prefix in MODES.items():
            c = checkpoint(ck)
            if prefix is not None:
                c = "/tmp/adabn/a.pt"
                images = f"/tmp/adabn/{s}/images"
                subprocess.run(
                    [sys.executable, ADAPT, checkpoint(ck), images, "1", c, prefix], check=True
                )
            out = f"/tmp/adabn/o/{ck}/{s}/{mode}"
            subprocess.run(
                ["steelseg", "predict", f"/tmp/adabn/{s}/images", "--checkpoint", c]
                + ["--out", out, "--threads", "2"],
                check=True,
                capture_output=True,
            )
            res[f"{ck}|{s}|{mode}"] = score(out)
            print(ck, s, mode, res[f"{ck}|{s}|{mode}"], flush=True)
(HERE / "synthetic.json").write_text(json.dumps(res))
