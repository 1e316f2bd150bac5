"""How much of the C22E sample's pearlite the RF masks find: fraction, recall, precision and the
share of true colonies more than half labelled pearlite, per image, for each masks folder given.

    python rf_small_colonies.py DATASET MASKS_DIR [MASKS_DIR ...]

DATASET is a synthetic data set folder (truth/ beside images/); only S3 (the C22E sample of
experiments 8 and 9) is read, from whichever masks folders are given.
"""

import sys
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage as ndi
from tabulate import tabulate

dataset, folders = Path(sys.argv[1]), [Path(p) for p in sys.argv[2:]]
rows = []
for truth_png in sorted((dataset / "truth").glob("S3_*.png")):
    truth = np.asarray(Image.open(truth_png)) == 1
    colonies, count = ndi.label(truth)
    for folder in folders:
        mask = np.asarray(Image.open(folder / truth_png.name)) == 1
        hits = (mask & truth).sum()
        covered = ndi.mean(mask, colonies, np.arange(1, count + 1))
        rows.append(
            (
                truth_png.stem,
                folder.name,
                truth.mean(),
                mask.mean(),
                hits / truth.sum(),
                hits / max(mask.sum(), 1),
                np.mean(covered > 0.5),
                count,
            )
        )
headers = ["image", "masks", "truth", "pearlite", "recall", "precision", "colonies found", "of"]
print(tabulate(rows, headers=headers, floatfmt=".3f", tablefmt="github"))
