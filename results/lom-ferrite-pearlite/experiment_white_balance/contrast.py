# How dark pearlite is against ferrite once every image is white-balanced (ferrite -> 220):
# luminance (mean of R, G, B) percentiles of the balanced synthetic tiles per sample (rotation 0,
# every 7th tile; ferrite and pearlite apart by the exact truth) and of the balanced real crops
# (no truth: all pixels).   python contrast.py WB_TILES WB_CROPS > contrast.md
import sys
from pathlib import Path

import numpy as np
from steelseg import io
from steelseg.tiles import TileStore

PERCENTILES = (10, 30, 50, 70)

tiles, crops = TileStore.open(sys.argv[1]), Path(sys.argv[2])
print("| images | ferrite median | pearlite p25 / p50 / p75 | all pixels p10 / p30 / p50 / p70 |")
print("|---|---|---|---|")
for sample in sorted({r["sample"] for r in tiles.index}):
    rows = [r for r in tiles.index if r["sample"] == sample and r["rotation"] == "0"][::7]
    picked = [int(r["tile"]) for r in rows]
    luminance, truth = tiles.images[picked].mean(axis=-1), tiles.labels("truth")[picked]
    pearlite = np.percentile(luminance[truth == 1], (25, 50, 75)).round().astype(int)
    every = np.percentile(luminance, PERCENTILES).round().astype(int)
    print(
        f"| synthetic {sample} | {np.median(luminance[truth == 0]):.0f} | "
        f"{' / '.join(map(str, pearlite))} | {' / '.join(map(str, every))} |"
    )
for name, path in io.list_images(crops).items():
    every = np.percentile(io.read_image(path).mean(axis=-1), PERCENTILES).round().astype(int)
    print(f"| real {name} | – | – | {' / '.join(map(str, every))} |")
