"""Random-forest mask step at paper scale: seconds per 2080x1542 image and peak memory.

Run: python bench/bench_rf.py [--images 3] [--trees 200] [--threads 2]
Target: <= 20 s per image on 2 cores. Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
from steelseg import synth
from steelseg.dataset import load_dataset
from steelseg.rfmask import FilterBank, predict_mask, train_forest, training_pixels
from tabulate import tabulate


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=3, help="images in the sample (2 scribbled)")
    parser.add_argument("--trees", type=int, default=200)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "d"
        synth.generate(
            root,
            samples=1,
            images_per_sample=[args.images],
            annotated_per_sample=min(2, args.images),
            seed=1,
        )
        dataset = load_dataset(root)
        bank = FilterBank(workers=args.threads)
        scribbled = list(dataset.annotations)
        start = time.perf_counter()
        images = [dataset.read_image(n) for n in scribbled]
        labels = [dataset.read_label("annotations", n, 2) for n in scribbled]
        x, y = training_pixels(bank, images, labels)
        features_s = time.perf_counter() - start
        start = time.perf_counter()
        forest = train_forest(x, y, args.trees, seed=0, n_jobs=args.threads, max_depth=None)
        fit_s = time.perf_counter() - start
        per_image, accuracy = [], []
        for name in dataset.images:
            image = dataset.read_image(name)
            start = time.perf_counter()
            mask = predict_mask(forest, bank, image)
            per_image.append(time.perf_counter() - start)
            accuracy.append((mask == dataset.read_label("truth", name, 2)).mean())
    rows = [
        ("image size", "2080 x 1542"),
        ("threads / trees", f"{args.threads} / {args.trees}"),
        ("features", bank.features(np.zeros((8, 8, 3), np.uint8)).shape[-1]),
        ("scribbled pixels (training)", f"{len(y)} from {len(scribbled)} images"),
        ("training features, s", f"{features_s:.1f}"),
        ("forest fit, s", f"{fit_s:.1f}"),
        ("dense mask per image, s (mean)", f"{np.mean(per_image):.1f}"),
        ("dense mask per image, s (max)", f"{np.max(per_image):.1f}"),
        ("pixel accuracy vs truth (mean)", f"{np.mean(accuracy):.4f}"),
        ("peak memory, MiB", f"{peak_rss_mib():.0f}"),
    ]
    print(tabulate(rows, headers=["rf-masks benchmark", "value"], tablefmt="github"))


if __name__ == "__main__":
    main()
