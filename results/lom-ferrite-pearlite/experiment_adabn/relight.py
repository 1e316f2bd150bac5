import glob, pathlib, numpy as np
from steelseg import io
from PIL import Image
real = {p.stem: p for p in map(pathlib.Path, glob.glob('/work/shared/data/lom-ferrite-pearlite/*.png'))}
def white(a):
    L = a.mean(2); return np.median(a[L > np.percentile(L, 70)], 0)
pairs = {"S1": "sae1020_1", "S2": "sae1020_2", "S3": "sae1045_1", "S4": "sae1045_2"}
out = pathlib.Path('/tmp/adabn/syn_relit/images'); out.mkdir(parents=True, exist_ok=True)
dark = pathlib.Path('/tmp/adabn/syn_dark/images'); dark.mkdir(parents=True, exist_ok=True)
for f in sorted(glob.glob('/tmp/adabn/syn/images/*.png')):
    a = io.read_image(f).astype(float); s = pathlib.Path(f).stem[:2]
    b = a / white(a) * white(io.read_image(real[pairs[s]]).astype(float))
    Image.fromarray(np.clip(b, 0, 255).round().astype(np.uint8)).save(out / pathlib.Path(f).name)
    Image.fromarray(np.clip(a * 0.8, 0, 255).round().astype(np.uint8)).save(dark / pathlib.Path(f).name)
