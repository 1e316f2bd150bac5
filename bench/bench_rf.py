"""Random-forest masks: steelseg's rf-masks against the textbook recipe, side by side.

Run: python bench/bench_rf.py [--samples 2] [--images 3] [--width 2080] [--height 1542]
     [--trees 200] [--threads 2]

Both label every image of each sample with a forest of the same number of trees fitted on the
same scribbles (the sample's annotated images). The textbook recipe is scikit-image's
``multiscale_basic_features`` on each of R, G and B (sigma 1-16) and scikit-learn's
``RandomForestClassifier`` with its defaults, predicting every pixel; steelseg is rf-masks'
filter bank, forest and grid prediction with their defaults. Prints seconds (features, fit,
prediction, total), pixel accuracy against the exact truth, peak memory and the time ratio;
asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
from skimage.feature import multiscale_basic_features
from sklearn.ensemble import RandomForestClassifier
from steelseg import settings, synth
from steelseg.dataset import load_dataset
from steelseg.rfmask import FilterBank, lookahead, predict_mask, train_forest, training_pixels
from tabulate import tabulate

STRIDE = settings.defaults("rf")["stride"]


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Clock:
    """Seconds spent per stage, summed over calls."""

    def __init__(self):
        self.spent = {"features": 0.0, "fit": 0.0, "predict": 0.0}

    def __call__(self, stage, function, *args, **kwargs):
        start = time.perf_counter()
        result = function(*args, **kwargs)
        self.spent[stage] += time.perf_counter() - start
        return result


def textbook(dataset, trees: int, threads: int, clock: Clock) -> list[float]:
    """Per sample: multiscale_basic_features on every channel, a default forest, every pixel."""
    accuracy = []
    for sample in dataset.sample_ids:
        names = dataset.images_of(sample)
        features = {
            name: clock(
                "features",
                multiscale_basic_features,
                dataset.read_image(name),
                sigma_min=1,
                sigma_max=16,
                workers=threads,
                channel_axis=-1,
            )
            for name in names
        }
        scribbled = [n for n in names if n in dataset.annotations]
        labels = [dataset.read_label("annotations", n, 2) for n in scribbled]
        x = np.concatenate([features[n][a > 0] for n, a in zip(scribbled, labels, strict=True)])
        y = np.concatenate([a[a > 0] - 1 for a in labels])
        forest = RandomForestClassifier(n_estimators=trees, n_jobs=threads, random_state=0)
        clock("fit", forest.fit, x, y)
        for name in names:
            f = features.pop(name)
            mask = clock("predict", forest.predict, f.reshape(-1, f.shape[-1]))
            truth = dataset.read_label("truth", name, 2)
            accuracy.append(float((mask.reshape(truth.shape) == truth).mean()))
    return accuracy


def steelseg(dataset, trees: int, threads: int, clock: Clock) -> list[float]:
    """Per sample: steelseg's filter bank, forest and prediction, as rf-masks runs them (the
    scribbled images' features computed once, for the fit and for their masks)."""
    bank, accuracy = FilterBank(workers=threads), []
    for sample in dataset.sample_ids:
        names = dataset.images_of(sample)
        scribbled = [n for n in names if n in dataset.annotations]
        images = [dataset.read_image(n) for n in scribbled]
        labels = [dataset.read_label("annotations", n, 2) for n in scribbled]
        strips = [clock("features", list, bank.strips(im, lookahead(STRIDE))) for im in images]
        x, y = training_pixels(bank, images, labels, strips)
        forest = clock("fit", train_forest, x, y, trees, 0, threads, None)
        cached = dict(zip(scribbled, strips, strict=True))
        for name in names:
            image = dataset.read_image(name)
            if name not in cached:
                cached[name] = clock("features", list, bank.strips(image, lookahead(STRIDE)))
            mask = clock("predict", predict_mask, forest, bank, image, STRIDE, cached.pop(name))
            accuracy.append(float((mask == dataset.read_label("truth", name, 2)).mean()))
    return accuracy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=2, help="samples (own forest each)")
    parser.add_argument("--images", type=int, default=3, help="images per sample (2 scribbled)")
    parser.add_argument("--width", type=int, default=2080)
    parser.add_argument("--height", type=int, default=1542)
    parser.add_argument("--trees", type=int, default=200)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "d"
        synth.generate(
            root,
            samples=args.samples,
            images_per_sample=[args.images],
            annotated_per_sample=min(2, args.images),
            width=args.width,
            height=args.height,
            carbon=[0.45, 0.22][: args.samples] + [0.45] * max(0, args.samples - 2),
            grain_size_px=[60, 15][: args.samples] + [30] * max(0, args.samples - 2),
            pearlite=["grains", "films"][: args.samples] + ["grains"] * max(0, args.samples - 2),
            seed=1,
        )
        dataset = load_dataset(root)
        runs = {}
        for name, recipe in (("textbook", textbook), ("steelseg", steelseg)):
            clock = Clock()
            accuracy = recipe(dataset, args.trees, args.threads, clock)
            runs[name] = (clock.spent, accuracy)
    print(
        f"{args.samples} samples x {args.images} images of {args.width} x {args.height} px, "
        f"{args.trees} trees, {args.threads} threads"
    )
    rows = []
    for name, (spent, accuracy) in runs.items():
        total = sum(spent.values())
        rows.append(
            (name, *(f"{spent[k]:.1f}" for k in spent), f"{total:.1f}", f"{np.mean(accuracy):.4f}")
        )
    headers = ["recipe", "features s", "fit s", "predict s", "total s", "pixel accuracy"]
    print(tabulate(rows, headers=headers, tablefmt="github"))
    textbook_total = sum(runs["textbook"][0].values())
    steelseg_total = sum(runs["steelseg"][0].values())
    gap = np.mean(runs["steelseg"][1]) - np.mean(runs["textbook"][1])
    print(f"\ntime ratio steelseg / textbook: {steelseg_total / textbook_total:.2f}")
    print(f"pixel accuracy steelseg - textbook: {gap:+.4f}")
    print(f"peak memory: {peak_rss_mib():.0f} MiB (both recipes, one process)")


if __name__ == "__main__":
    main()
