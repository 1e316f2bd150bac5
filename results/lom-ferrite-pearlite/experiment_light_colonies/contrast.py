# Experiment 19: how light the pearlite is against each image's own ferrite, before any model.
# Luminance (mean of R, G, B) divided by the image's white (median luminance of its brightest
# 10 %), as percentiles: of the synthetic pearlite (exact truth) and of all pixels, per sample
# of each data set, and of all pixels of each real crop (no truth).
#   python contrast.py REAL_FOLDER DATASET [DATASET ...] > contrast.md
import sys
from pathlib import Path

import numpy as np
from steelseg import io
from steelseg.dataset import load_dataset

EVERY = (10, 30, 50, 70)
PEARLITE = (25, 50, 75, 90)


def relative(image: np.ndarray) -> np.ndarray:
    luminance = image.mean(axis=2)
    return luminance / np.median(luminance[luminance >= np.percentile(luminance, 90)])


def fmt(values, percentiles) -> str:
    return " / ".join(f"{v:.2f}" for v in np.percentile(values, percentiles))


print(
    "| images | pearlite p25 / p50 / p75 / p90 | all pixels p10 / p30 / p50 / p70 | "
    "true pearlite % |"
)
print("|---|---|---|---|")
for root in sys.argv[2:]:
    dataset = load_dataset(root)
    for sample in dataset.sample_ids:
        every, pearlite = [], []
        for name in dataset.images_of(sample)[::3]:  # every third image: enough for percentiles
            lum = relative(dataset.read_image(name))
            truth = dataset.read_label("truth", name, 2) == 1
            every.append(lum.ravel()[::7])
            pearlite.append(lum[truth][::7])
        every, pearlite = np.concatenate(every), np.concatenate(pearlite)
        share = 100 * pearlite.size / every.size
        print(
            f"| {Path(root).parent.name} {sample} | {fmt(pearlite, PEARLITE)} | "
            f"{fmt(every, EVERY)} | {share:.0f} |"
        )
for name, path in io.list_images(sys.argv[1]).items():
    print(f"| real {name} | – | {fmt(relative(io.read_image(path)).ravel(), EVERY)} | – |")
