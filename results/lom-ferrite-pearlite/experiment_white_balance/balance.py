# Experiment 18: per-image ferrite-white balance, the same for training tiles and for the images
# to segment. Each micrograph is divided by its own ferrite colour (per-channel median of its
# brightest 10 % of pixels by mean of R, G, B) and multiplied by 220, so ferrite is the same
# neutral grey in every image whatever the illuminant, exposure or sample.
#   python balance.py tiles DATASET TILES OUT   (a copy of a tile store, images re-lit per source
#                                                image; white from the whole source micrograph)
#   python balance.py images FOLDER OUT         (every image of FOLDER, re-lit, as PNG)
import json
import shutil
import sys
from pathlib import Path

import numpy as np
from steelseg import io
from steelseg.dataset import load_dataset
from steelseg.tiles import TileStore

TARGET = 220.0  # the ferrite grey after balancing (of 255)


def white(image: np.ndarray) -> np.ndarray:
    """Ferrite's colour: the per-channel median of the brightest 10 % of pixels."""
    luminance = image.mean(axis=2)
    return np.median(image[luminance >= np.percentile(luminance, 90)], axis=0)


def balance(image: np.ndarray, ferrite: np.ndarray) -> np.ndarray:
    out = image.astype(np.float32) * (TARGET / np.maximum(ferrite, 1.0))
    return np.clip(out, 0, 255).round().astype(np.uint8)


def tiles(dataset_root: str, tiles_root: str, out: str) -> dict[str, list[float]]:
    src, dst = Path(tiles_root), Path(out)
    dst.mkdir(parents=True)
    for name in ("masks.npy", "truth.npy", "index.tsv", "meta.json"):
        if (src / name).exists():
            shutil.copy(src / name, dst / name)
    dataset, store = load_dataset(dataset_root), TileStore.open(src)
    source = [row["image"] for row in store.index]
    whites = {name: white(dataset.read_image(name)).tolist() for name in sorted(set(source))}
    balanced = np.lib.format.open_memmap(dst / "images.npy", "w+", np.uint8, store.images.shape)
    for t, name in enumerate(source):
        balanced[t] = balance(store.images[t], np.asarray(whites[name]))
    balanced.flush()
    (dst / "whites.json").write_text(json.dumps(whites, indent=1))
    return whites


def images(folder: str, out: str) -> dict[str, list[float]]:
    Path(out).mkdir(parents=True)
    whites = {}
    for name, path in io.list_images(folder).items():
        image = io.read_image(path)
        whites[name] = white(image).tolist()
        io.write_png(Path(out) / f"{name}.png", balance(image, np.asarray(whites[name])))
    (Path(out) / "whites.json").write_text(json.dumps(whites, indent=1))
    return whites


if __name__ == "__main__":
    {"tiles": tiles, "images": images}[sys.argv[1]](*sys.argv[2:])
