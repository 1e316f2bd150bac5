"""SHA-1 of each PNG's decoded pixels in a data set (images/, truth/, annotations/), so that a
data set regenerated on another machine can be checked against the one its masks came from.

    python array_hashes.py DATASET > hashes.txt
    python array_hashes.py --compare A.txt B.txt     (a Markdown line per folder)
"""

import hashlib
import sys
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image

FOLDERS = ("images", "truth", "annotations")


def hashes(dataset: Path) -> None:
    for folder in FOLDERS:
        for path in sorted((dataset / folder).glob("*.png")):
            pixels = np.ascontiguousarray(np.asarray(Image.open(path)))
            print(f"{folder}/{path.name}\t{hashlib.sha1(pixels.tobytes()).hexdigest()}")


def read(path: str) -> dict[str, str]:
    return dict(line.rstrip("\n").split("\t") for line in open(path) if line.strip())


def compare(a: str, b: str) -> None:
    first, second = read(a), read(b)
    same, total = Counter(), Counter()
    for name in first.keys() | second.keys():
        folder = name.split("/")[0]
        total[folder] += 1
        same[folder] += first.get(name) == second.get(name)
    print("| folder | files | identical pixels |")
    print("|---|---|---|")
    for folder in FOLDERS:
        print(f"| {folder} | {total[folder]} | {same[folder]} |")


if __name__ == "__main__":
    if sys.argv[1] == "--compare":
        compare(sys.argv[2], sys.argv[3])
    else:
        hashes(Path(sys.argv[1]))
