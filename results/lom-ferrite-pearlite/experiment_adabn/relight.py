# syn_relit: each synthetic image re-lit to one real crop's ferrite colour (median of the
# brightest 30 %, as experiment 3); syn_dark: the same images at 0.8 exposure.
import glob
import pathlib

import numpy as np
from steelseg import io

REAL = pathlib.Path("../shared/data/lom-ferrite-pearlite")
PAIRS = {"S1": "sae1020_1", "S2": "sae1020_2", "S3": "sae1045_1", "S4": "sae1045_2"}


def white(a):
    lum = a.mean(2)
    return np.median(a[lum > np.percentile(lum, 70)], 0)


def save(array, folder, name):
    io.write_png(folder / name, np.clip(array, 0, 255).round().astype(np.uint8))


for f in sorted(glob.glob("/tmp/adabn/syn/images/*.png")):
    a, name = io.read_image(f).astype(float), pathlib.Path(f).name
    real = io.read_image(REAL / f"{PAIRS[name[:2]]}.png").astype(float)
    save(a / white(a) * white(real), pathlib.Path("/tmp/adabn/syn_relit/images"), name)
    save(a * 0.8, pathlib.Path("/tmp/adabn/syn_dark/images"), name)
