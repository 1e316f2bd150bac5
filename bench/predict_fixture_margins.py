"""How far the predict tests' fixture model is from each threshold, per training seed.

Run: python bench/predict_fixture_margins.py [--seeds 0 1 2] [--iterations 400] [--samples 9]
Trains `tests/test_predict.py`'s fixture model (train_fixture_model) once per seed on this
machine's CPU and prints what the tests judge: the share of each flat field called its phase
(the test wants 1.000), the error rate on fresh micrographs away from window edges (< 0.2),
near over away (< 1.15), and the accuracy with --scale 2 and on a 301 x 187 image (> 0.85).
For checking the fixture on a new CPU or after a training change; asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from tabulate import tabulate

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests import test_predict as tp  # noqa: E402


def margins(checkpoint: Path) -> dict[str, object]:
    predictor = tp.window(checkpoint, overlap=32)
    flat = [(predictor.labels(image) == phase).mean() for image, phase in tp.flat_fields()]
    images = [tp.fresh_micrograph(10 + i, 768, 1024) for i in range(2)]
    ratio, rates = tp.seam_ratio(checkpoint, images, overlap=32)
    labels, truth = tp.labels_at_half_size(checkpoint)
    scaled = (labels == truth).mean()
    image, truth = tp.fresh_micrograph(5, 301, 187)
    small = (tp.window(checkpoint).labels(image) == truth).mean()
    return {
        "worst flat field": f"{min(flat):.3f}",
        "error away": f"{rates[1]:.3f}",
        "near / away": f"{ratio:.2f}",
        "scale 2 accuracy": f"{scaled:.3f}",
        "301x187 accuracy": f"{small:.3f}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--iterations", type=int, default=400)
    parser.add_argument("--samples", type=int, default=9)
    args = parser.parse_args()
    rows = []
    for seed in args.seeds:
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            checkpoint = tp.train_fixture_model(Path(tmp), seed, args.iterations, args.samples)
            row = {"seed": seed, "train s": round(time.perf_counter() - started)}
            rows.append(row | margins(checkpoint))
    print(tabulate(rows, headers="keys"))


if __name__ == "__main__":
    main()
