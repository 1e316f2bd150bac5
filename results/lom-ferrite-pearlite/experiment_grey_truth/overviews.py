# Experiment 34 (no training): what each model calls on the synthetic images it did not train on
# (the split's validation and test images), against their exact truth and the RF masks, and how
# much of the true pearlite it finds by how wide the pearlite is there (openings by disks of
# radius 1, 2, 4: under 3 px, 3-5, 5-9, 9 px and wider). The C45E overviews (grain 15 px) are the
# synthetic images nearest the real SAE 1045 crops at the preset. `steelseg predict` at 1x, the
# scale they were drawn at, unless --scale says otherwise (experiment 40: the overviews enlarged,
# as the real crops are in the sweeps; --overviews keeps only them, grain size <= 20 px).
#   python overviews.py DATASET [--scale S] [--overviews] NAME=CHECKPOINT ...   (DATASET:
#   RESULTS/dataset, beside masks/ and split.tsv)
import argparse
import csv
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from skimage import io, morphology


def held_out(dataset: Path) -> dict[str, str]:
    """Image: what it is and its set, for every image outside the training set."""
    with open(dataset / "samples.tsv") as f:
        samples = {row["image"]: row for row in csv.DictReader(f, delimiter="\t")}
    with open(dataset.parent / "split.tsv") as f:
        sets = {row["image"]: row["set"] for row in csv.DictReader(f, delimiter="\t")}
    out = {}
    for image, subset in sorted(sets.items()):
        if subset == "train":
            continue
        row = samples[image]
        steel = "C22E" if float(row["carbon_wt_pct"]) < 0.3 else "C45E"
        view = "overview" if float(row["grain_size_px"]) <= 20 else "detail"
        out[image] = f"{steel} {view}, {subset}"
    return out


WIDTHS = ("< 3", "3-5", "5-9", ">= 9")


def width_classes(truth: np.ndarray) -> list[np.ndarray]:
    kept = [truth] + [morphology.opening(truth, morphology.disk(r)) for r in (1, 2, 4)]
    return [kept[i] & ~kept[i + 1] for i in range(3)] + [kept[3]]


def predicted(
    checkpoint: str, dataset: Path, images: list[str], scale: float
) -> dict[str, np.ndarray]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "images"
        folder.mkdir()
        for name in images:
            (folder / f"{name}.png").symlink_to((dataset / "images" / f"{name}.png").resolve())
        subprocess.run(
            [
                sys.executable,
                "-m",
                "steelseg",
                "predict",
                str(folder),
                "--checkpoint",
                checkpoint,
                "--out",
                f"{tmp}/out",
                "--threads",
                "2",
                "--scale",
                str(scale),
            ],
            check=True,
            capture_output=True,
        )
        return {n: io.imread(f"{tmp}/out/masks/{n}.png") == 1 for n in images}


def main(dataset: Path, runs: list[str], scale: float, overviews_only: bool) -> None:
    print("pearlite % called / true (RF masks), and % of the true pearlite found by its width (px)")
    print(f"(steelseg predict --scale {scale:g})")
    print()
    print("| model | image | called / true (RF) | " + " | ".join(WIDTHS) + " |")
    print("|---|---|---|" + "---|" * len(WIDTHS))
    images = held_out(dataset)
    if overviews_only:
        images = {name: what for name, what in images.items() if "overview" in what}
    for run in runs:
        label, checkpoint = run.split("=", 1)
        calls = predicted(checkpoint, dataset, list(images), scale)
        for name, what in images.items():
            truth = io.imread(dataset / "truth" / f"{name}.png") == 1
            rf = io.imread(dataset.parent / "masks" / f"{name}.png") == 1
            call = calls[name]
            found = [f"{100 * call[part].mean():.0f}" for part in width_classes(truth)]
            print(
                f"| {label} | {name} ({what}) | {100 * call.mean():.1f} / {100 * truth.mean():.1f} "
                f"({100 * rf.mean():.1f}) | " + " | ".join(found) + " |"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("dataset", type=Path)
    parser.add_argument("runs", nargs="+", metavar="NAME=CHECKPOINT")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--overviews", action="store_true", help="only the overviews")
    args = parser.parse_args()
    main(args.dataset, args.runs, args.scale, args.overviews)
