"""Colony darkness, real crops vs synthetic overviews: luminance (relative to each image's
ferrite) of the compact dark regions (colonies seen in the image), 10th / 25th / 50th
percentiles, and their area. Same mask as the contrast snippet in ../README.md.

    python colony_darkness.py ../shared/data/lom-ferrite-pearlite DATASET [DATASET ...]
"""

import pathlib
import sys

import numpy as np
from PIL import Image
from skimage.morphology import disk, opening


def compact_dark(path):
    L = np.asarray(Image.open(path).convert("RGB"), float).mean(2)
    r = L / np.median(L[L > np.percentile(L, 70)])  # 1 = ferrite
    compact = opening(r < 0.75, disk(1))  # dark and survives a 3 px disk: colonies
    return [*np.percentile(r[compact], [10, 25, 50]), compact.mean()]


groups = {f"real {p.stem}": [p] for p in sorted(pathlib.Path(sys.argv[1]).glob("*.png"))}
for dataset in map(pathlib.Path, sys.argv[2:]):
    for sample, what in (("S2", "C45E overviews"), ("S3", "C22E overviews")):
        paths = sorted((dataset / "images").glob(f"{sample}_*.png"))
        groups[f"{dataset.parent.name}, {what}"] = paths
print("| images | n | p10 | p25 | median | compact dark area |")
print("|---|---|---|---|---|---|")
for name, paths in groups.items():
    p10, p25, p50, area = np.median([compact_dark(p) for p in paths], 0)
    print(f"| {name} | {len(paths)} | {p10:.2f} | {p25:.2f} | {p50:.2f} | {area:.0%} |")
