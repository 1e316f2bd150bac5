"""The paper's augmentation: a grid of square crops of every image, each in several rotations.

A 2080×1542 micrograph gives a 9×6 grid of 224 px crops (the remainder is dropped, as in the
paper) and 0/90/180/270° rotations of each: 216 tiles per image. With ``cover=True`` a last,
overlapping row and column are added so the whole image is covered (for sizes that are not
multiples of the tile, e.g. UHCS-24's 645×484).

The store is one folder of uncompressed .npy arrays that training memory-maps
(``images.npy`` N×S×S×3 uint8, ``masks.npy`` N×S×S uint8, optional ``truth.npy``) plus
``index.tsv`` with each tile's source image, sample, grid cell, position and rotation. One array
file per data set reads far faster than thousands of loose PNGs (bench/bench_tiles.py measures).
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from . import io
from .dataset import Dataset, write_sheet
from .errors import SteelsegError, warn

INDEX_COLUMNS = ("tile", "image", "sample", "row", "col", "y", "x", "rotation")


def grid_positions(length: int, size: int, stride: int, cover: bool) -> list[int]:
    """Start offsets of crops along one axis; with ``cover`` the last crop ends at the edge."""
    if length < size:
        return []
    starts = list(range(0, length - size + 1, stride))
    if cover and starts[-1] + size < length:
        starts.append(length - size)
    return starts


def rotate(array: np.ndarray, degrees: int) -> np.ndarray:
    """Counter-clockwise rotation by a multiple of 90° (np.rot90 over the first two axes)."""
    return np.rot90(array, k=degrees // 90, axes=(0, 1))


@dataclass(frozen=True)
class TileSpec:
    size: int = 224
    stride: int = 224
    rotations: tuple[int, ...] = (0, 90, 180, 270)
    cover: bool = False

    def check(self) -> None:
        if self.size < 8 or self.stride < 1:
            raise SteelsegError(
                f"--size {self.size}/--stride {self.stride}: use size ≥ 8 and stride ≥ 1"
            )
        bad = [r for r in self.rotations if r % 90 or not 0 <= r < 360]
        if bad or not self.rotations or len(set(self.rotations)) != len(self.rotations):
            raise SteelsegError(
                f"--rotations {','.join(map(str, self.rotations))}: give distinct multiples of 90 "
                "in 0..270, e.g. 0,90,180,270"
            )


def _plan(dataset: Dataset, masks_dir: Path, spec: TileSpec) -> list[tuple[str, list, list]]:
    """Each image's grid (name, ys, xs), planned before anything is written: the arrays are
    then allocated at their final size, and every size problem is reported first."""
    plan = []
    for name, path in dataset.images.items():
        mask_path = masks_dir / f"{name}.png"
        if not mask_path.is_file():
            raise SteelsegError(
                f"{mask_path}: dense mask of image '{name}' missing; run the rf-masks step first"
            )
        height, width = dataset.read_image(name).shape[:2]  # also proves the file decodes
        ys = grid_positions(height, spec.size, spec.stride, spec.cover)
        xs = grid_positions(width, spec.size, spec.stride, spec.cover)
        if not ys or not xs:
            raise SteelsegError(
                f"{path}: image is {width}x{height}, smaller than one {spec.size} px tile; "
                "use a smaller --size or remove the image"
            )
        plan.append((name, ys, xs))
    return plan


def _allocate(path: Path, shape: tuple[int, ...]) -> np.memmap:
    """A uint8 .npy memory map of ``shape`` whose disk space is reserved now: on a full disk
    this fails with an OSError, where a sparse file would die of a bus error once a page is
    written."""
    array = np.lib.format.open_memmap(path, "w+", np.uint8, shape)
    if hasattr(os, "posix_fallocate"):
        with open(path, "r+b") as handle:
            os.posix_fallocate(handle.fileno(), 0, os.fstat(handle.fileno()).st_size)
    return array


def _labels_of(dataset: Dataset, masks_dir: Path, name: str, num_classes: int, shape):
    """The dense mask of image ``name``, the parts the data set leaves out ``io.IGNORE``."""
    mask = io.read_labels(masks_dir / f"{name}.png", num_classes, ignore=True)
    if mask.shape != shape[:2]:
        raise SteelsegError(
            f"{masks_dir / f'{name}.png'}: mask size differs from image {name}; "
            "re-run the rf-masks step"
        )
    specimen = dataset.specimen(name, mask.shape)
    if specimen is not None:  # as rf-masks left it out, whatever made these masks
        mask[~specimen] = io.IGNORE
    return mask


def _warn_absent_classes(pixels: np.ndarray, masks_dir: Path) -> None:
    """A class no mask holds cannot be learnt: say so before any training."""
    for k in np.flatnonzero(pixels == 0):
        warn(
            f"{masks_dir}: class {k} (number {k + 1} in --classes) is in no mask; the models "
            "cannot learn it (check the masks' values and the class list)"
        )


def write_store(
    dataset: Dataset,
    masks_dir: str | Path,
    out: str | Path,
    num_classes: int,
    spec: TileSpec = TileSpec(),
) -> list[dict[str, object]]:
    """Cut every image (and its dense mask, and truth where present) into the tile store."""
    spec.check()
    masks_dir = Path(masks_dir)
    io.check_output_dir(out, (dataset.root, masks_dir))  # before every image is read
    plan = _plan(dataset, masks_dir, spec)
    count = sum(len(ys) * len(xs) for _, ys, xs in plan) * len(spec.rotations)
    with_truth = bool(dataset.truth) and set(dataset.truth) == set(dataset.images)
    rows: list[dict[str, object]] = []
    pixels = np.zeros(num_classes, np.int64)
    s = spec.size
    with io.atomic_dir(out, inputs=(dataset.root, masks_dir)) as tmp:
        images = _allocate(tmp / "images.npy", (count, s, s, 3))
        masks = _allocate(tmp / "masks.npy", (count, s, s))
        truth = _allocate(tmp / "truth.npy", (count, s, s)) if with_truth else None
        for name, ys, xs in tqdm(plan, desc="tile", unit="image"):
            image = dataset.read_image(name)
            mask = _labels_of(dataset, masks_dir, name, num_classes, image.shape)
            pixels += np.bincount(mask.ravel(), minlength=256)[:num_classes]
            exact = (
                dataset.read_label("truth", name, num_classes, image.shape) if with_truth else None
            )
            for r, y in enumerate(ys):
                for c, x in enumerate(xs):
                    window = (slice(y, y + s), slice(x, x + s))
                    for degrees in spec.rotations:
                        t = len(rows)
                        images[t] = rotate(image[window], degrees)
                        masks[t] = rotate(mask[window], degrees)
                        if truth is not None:
                            truth[t] = rotate(exact[window], degrees)
                        rows.append(
                            {"tile": t, "image": name, "sample": dataset.samples[name]}
                            | {"row": r, "col": c, "y": y, "x": x, "rotation": degrees}
                        )
        for array in (images, masks, truth):
            if array is not None:
                array.flush()
        del images, masks, truth
        write_sheet(tmp / "index.tsv", rows)
        meta = {
            "size": s,
            "stride": spec.stride,
            "rotations": list(spec.rotations),
            "cover": spec.cover,
            "num_classes": num_classes,
            "tiles": count,
            "images": len(plan),
            "has_truth": with_truth,
        }
        (tmp / "meta.json").write_text(json.dumps(meta, indent=2))
    _warn_absent_classes(pixels, masks_dir)
    return rows


LABELS = ("masks", "truth")  # what a tile store can hand out as labels (the CLI's choices)


@dataclass
class TileStore:
    """Read side of the store: memory-mapped arrays and the index, for split and training."""

    root: Path
    images: np.ndarray
    masks: np.ndarray
    truth: np.ndarray | None
    index: list[dict[str, str]]
    meta: dict[str, object]

    @classmethod
    def open(cls, root: str | Path) -> TileStore:
        root = Path(root)
        for required in ("images.npy", "masks.npy", "index.tsv", "meta.json"):
            if not (root / required).is_file():
                raise SteelsegError(f"{root / required}: missing; re-run the tile step")
        with open(root / "index.tsv", newline="", encoding="utf-8") as handle:
            index = list(csv.DictReader(handle, delimiter="\t"))
        truth = root / "truth.npy"
        return cls(
            root=root,
            images=np.load(root / "images.npy", mmap_mode="r"),
            masks=np.load(root / "masks.npy", mmap_mode="r"),
            truth=np.load(truth, mmap_mode="r") if truth.is_file() else None,
            index=index,
            meta=json.loads((root / "meta.json").read_text()),
        )

    def labels(self, which: str) -> np.ndarray:
        """The per-tile labels by name: 'masks' (the RF masks) or 'truth' (exact truth)."""
        if which not in LABELS:
            raise SteelsegError(f"labels '{which}': unknown; use {' or '.join(LABELS)}")
        if which == "masks":
            return self.masks
        if self.truth is None:
            raise SteelsegError(
                f"{self.root}: the tiles have no exact truth (the data set has no truth/ "
                "folder); use the RF masks instead, or add truth/ and re-run the tile step"
            )
        return self.truth


def tile_name(tile: int) -> str:
    """File name of one exported tile (predictions use the same names, so folders match)."""
    return f"tile_{int(tile):06d}.png"


GROUPS_SHEET = "groups.tsv"


def export_labels(store: TileStore, tiles: np.ndarray, labels: str, out: str | Path) -> int:
    """Write the ``labels`` ('masks' or 'truth') of the given tiles as PNGs named by tile_name,
    and GROUPS_SHEET: each tile's source image and sample (`steelseg evaluate --groups`)."""
    array = store.labels(labels)
    source = {int(row["tile"]): row for row in store.index}
    groups = []
    with io.atomic_dir(out, inputs=(store.root,)) as tmp:
        for t in tiles:
            io.write_png(tmp / tile_name(t), np.asarray(array[t]))
            row = source[int(t)]
            groups.append(
                {"file": Path(tile_name(t)).stem, "image": row["image"], "sample": row["sample"]}
            )
        if groups:
            write_sheet(tmp / GROUPS_SHEET, groups)
    return len(tiles)
