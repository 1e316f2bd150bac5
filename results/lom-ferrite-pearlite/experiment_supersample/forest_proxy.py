"""A screening test for generator changes that needs no network training (minutes, not hours,
and no training-seed noise): generate one synthetic C45E sample, train the pipeline's own
random forest on its scribbles (steelseg.rfmask, as `steelseg rf-masks` does, 100 trees), and
label the four real crops resampled by GRAIN / 12 (their ferrite grains are ~12 px: the
preset's rule). Prints one Markdown row per generator seed: the forest's pixel accuracy on the
sample's unannotated image (exact truth) and the real crops' pearlite %.

    python forest_proxy.py GRAIN SEEDS [--supersample] [--crops DIR]
    python forest_proxy.py 15 1,2,3,4,5 --supersample
"""

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "workflow"))
from steelseg import synth  # noqa: E402
from steelseg.dataset import load_dataset  # noqa: E402
from steelseg.rfmask import FilterBank, predict_mask, train_forest, training_pixels  # noqa: E402

REAL_GRAIN_PX = 12.0
BANDS = {"sae1020": (15, 35), "sae1045": (50, 75)}

parser = argparse.ArgumentParser()
parser.add_argument("grain", type=float)
parser.add_argument("seeds")
parser.add_argument("--supersample", action="store_true")
parser.add_argument("--crops", default=str(REPO.parent / "shared/data/lom-ferrite-pearlite"))
args = parser.parse_args()
crops = sorted(Path(args.crops).glob("*.png"))
if not crops:
    sys.exit(f"forest_proxy.py: no PNG crops in {args.crops}; pass --crops DIR")
bank = FilterBank()
scale = args.grain / REAL_GRAIN_PX
print(f"grain {args.grain:g} px, supersample {args.supersample}, crops x{scale:.2f}\n")
header = ["generator seed", "forest accuracy (synthetic)", *(c.stem for c in crops), "in band"]
print("| " + " | ".join(header) + " |")
print("|---" * (len(crops) + 3) + "|")
for seed in map(int, args.seeds.split(",")):
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "dataset"
        synth.generate(
            out, samples=1, images_per_sample=[3], annotated_per_sample=2,
            grain_size_px=args.grain, carbon=0.45, seed=seed, supersample=args.supersample,
        )  # fmt: skip
        ds = load_dataset(out)
        names = list(ds.images)
        images = [ds.read_image(n) for n in names]
        pairs = zip(names[:2], images[:2], strict=True)
        scribbles = [ds.read_label("annotations", n, 2, im.shape) for n, im in pairs]
        forest = train_forest(*training_pixels(bank, images[:2], scribbles), 100, 0, 1, None)
        held_out = names[2]
        truth = ds.read_label("truth", held_out, 2, images[2].shape)[:512, :512]
        accuracy = (predict_mask(forest, bank, images[2][:512, :512]) == truth).mean()
    fractions = []
    for crop in crops:
        image = Image.open(crop).convert("RGB")
        size = (round(image.width * scale), round(image.height * scale))
        mask = predict_mask(forest, bank, np.asarray(image.resize(size, Image.BICUBIC)))
        fractions.append(100 * float((mask == synth.PEARLITE).mean()))
    in_band = sum(
        lo <= f <= hi
        for crop, f in zip(crops, fractions, strict=True)
        for key, (lo, hi) in BANDS.items()
        if crop.stem.startswith(key)
    )
    row = [str(seed), f"{accuracy:.3f}", *(f"{f:.1f}" for f in fractions)]
    row.append(f"{in_band}/{len(crops)}")
    print("| " + " | ".join(row) + " |", flush=True)
