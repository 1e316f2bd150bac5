"""True pearlite colonies of each data set's C22E overviews (S3): median count per image and
area-weighted median equivalent diameter in pixels, from the exact truth.

    python colony_size.py results/synthetic_islands/dataset results/synthetic_fine_c22e/dataset
"""

import pathlib
import sys

import numpy as np
from PIL import Image
from scipy import ndimage

for dataset in sys.argv[1:]:
    rows = []
    for path in sorted((pathlib.Path(dataset) / "truth").glob("S3_*.png")):
        pearlite = np.asarray(Image.open(path)) == 1
        labels, count = ndimage.label(pearlite)
        areas = np.sort(np.bincount(labels.ravel())[1:])[::-1]
        median = areas[np.searchsorted(np.cumsum(areas), areas.sum() / 2)]
        rows.append((count, np.sqrt(4 * median / np.pi), pearlite.mean()))
    count, diameter, fraction = np.median(rows, 0)
    print(f"{dataset}: {count:.0f} colonies/image, {diameter:.1f} px, pearlite {fraction:.1%}")
