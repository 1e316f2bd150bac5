"""Pearlite IoU and recall per test image, against the exact truth, from a run's exported test
tiles (results/<data set>/test_tiles/exact_truth) and the model's predictions of them.

    python test_image_recall.py results/synthetic_islands results/synthetic_fine_c22e
"""

import collections
import csv
import sys

import numpy as np
from PIL import Image

MODEL = "deeplabv3plus_mobilenetv2"
for run in sys.argv[1:]:
    with open(f"{run}/split.tsv", newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t")
        image_of = {r["tile"]: r["image"] for r in rows if r["set"].strip() == "test"}
    counts = collections.defaultdict(lambda: np.zeros(3))  # intersection, union, truth
    for tile, image in image_of.items():
        name = f"tile_{int(tile):06d}.png"
        truth = np.asarray(Image.open(f"{run}/test_tiles/exact_truth/{name}")) == 1
        pred = np.asarray(Image.open(f"{run}/predictions/{MODEL}/test_tiles/{name}")) == 1
        counts[image] += [(truth & pred).sum(), (truth | pred).sum(), truth.sum()]
    for image, (inter, union, true) in sorted(counts.items()):
        print(f"{run} {image}: pearlite IoU {inter / union:.2f}, recall {inter / true:.2f}")
