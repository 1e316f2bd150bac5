# AdaBN on the four real crops at the preset's --scale 1.25: pooled over all four, per steel,
# per image (the folders run.sh links).
import subprocess
import sys

from common import ADAPT, TRAININGS, checkpoint

IMAGES = ["sae1020_1", "sae1020_2", "sae1045_1", "sae1045_2"]
SETS = {
    "all": "/tmp/adabn/real_all",
    "steel_1020": "/tmp/adabn/real_lo",
    "steel_1045": "/tmp/adabn/real_hi",
    **{f"image_{i}": f"/tmp/adabn/img_{i}" for i in IMAGES},
}
for ck in TRAININGS:
    for name, folder in SETS.items():
        subprocess.run(
            [sys.executable, ADAPT, checkpoint(ck), folder, "1.25", "/tmp/adabn/r.pt"], check=True
        )
        subprocess.run(
            ["steelseg", "predict", folder, "--checkpoint", "/tmp/adabn/r.pt"]
            + ["--out", f"/tmp/adabn/real/{ck}/{name}", "--scale", "1.25", "--threads", "1"],
            check=True,
            capture_output=True,
        )
    print(ck, flush=True)
