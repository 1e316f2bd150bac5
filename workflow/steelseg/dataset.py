"""The data set folder contract, read and checked in one place.

A data set is a folder with ``images/``, optional ``annotations/`` (sparse scribbles:
0 = unlabelled, k+1 = class k), optional ``masks/`` (dense class indices), optional ``truth/``
(exact masks, used only for evaluation) and ``samples.tsv`` (columns ``image`` and ``sample``,
more allowed). Label files are matched to images by name (file stem).

Parts of the images that are not specimen (burnt-in scale bars, data bars) are named by an
optional ``exclude/`` folder of masks (non-zero = not specimen) or ``exclude.tsv`` of pixel boxes
(image, x0, y0, x1, y1), the two forms ``steelseg predict --exclude`` reads. Every label read
through ``Dataset.read_label`` then has them left out: scribbles there are dropped, dense masks
and truth hold ``io.IGNORE`` there, so the forest, the loss and the metrics never see them.
Dense masks and truth may also carry ``io.IGNORE`` themselves.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import io
from .errors import SteelsegError
from .regions import Exclusions, read_exclusions

LABEL_FOLDERS = ("annotations", "masks", "truth")


@dataclass
class Dataset:
    root: Path
    images: dict[str, Path]  # image name -> file, in samples.tsv order
    samples: dict[str, str]  # image name -> sample id
    annotations: dict[str, Path] = field(default_factory=dict)
    masks: dict[str, Path] = field(default_factory=dict)
    truth: dict[str, Path] = field(default_factory=dict)
    exclude: Exclusions | None = None  # parts of images that are not specimen
    binary: dict[str, bool] = field(default_factory=dict)  # kind -> 0/255 masks (io.binary_labels)

    def images_of(self, sample: str) -> list[str]:
        return [name for name, s in self.samples.items() if s == sample]

    @property
    def sample_ids(self) -> list[str]:
        return list(dict.fromkeys(self.samples.values()))

    def read_image(self, name: str) -> np.ndarray:
        return io.read_image(self.images[name])

    def read_label(
        self, kind: str, name: str, num_classes: int, shape: tuple[int, ...] | None = None
    ) -> np.ndarray:
        """Read an annotation, mask or truth file; check its values and, if given, its size;
        leave out what ``exclude`` names (scribbles dropped, dense labels ``io.IGNORE``)."""
        files = getattr(self, kind)
        path = files[name]
        sparse = kind == "annotations"
        values = num_classes + 1 if sparse else num_classes
        what = kind.rstrip("s")
        if not sparse and kind not in self.binary:
            self.binary[kind] = io.binary_labels(list(files.values()), num_classes, what)
        binary = self.binary.get(kind, False)
        labels = io.read_labels(path, values, what=what, ignore=not sparse, binary=binary)
        if shape is not None and labels.shape != tuple(shape[:2]):
            raise SteelsegError(
                f"{path}: size {labels.shape[1]}x{labels.shape[0]} differs from its image "
                f"{self.images[name].name} ({shape[1]}x{shape[0]}); export it at the image's size"
            )
        specimen = self.specimen(name, labels.shape)
        if specimen is not None:
            labels[~specimen] = 0 if sparse else io.IGNORE
        return labels

    def specimen(self, name: str, shape: tuple[int, ...]) -> np.ndarray | None:
        """Boolean (H, W), True on specimen; None where nothing of image ``name`` is left out."""
        return None if self.exclude is None else self.exclude.specimen(name, tuple(shape[:2]))


def _read_sheet(path: Path) -> list[dict[str, str]]:
    return io.read_table(
        path, ("image", "sample"), "add samples.tsv, tab-separated, with columns image, sample"
    )


def load_dataset(root: str | os.PathLike) -> Dataset:
    """Read and check a data set folder; every inconsistency raises a SteelsegError."""
    root = Path(root)
    if not (root / "images").is_dir():
        raise SteelsegError(f"{root}: no images/ folder; a data set folder needs images/")
    on_disk = io.list_images(root / "images")
    sheet = root / "samples.tsv"
    images: dict[str, Path] = {}
    samples: dict[str, str] = {}
    for line, row in enumerate(_read_sheet(sheet), start=2):
        name = Path((row["image"] or "").strip()).stem if row["image"] else ""
        sample = (row["sample"] or "").strip()
        if not name or not sample:
            raise SteelsegError(f"{sheet}:{line}: empty image or sample field; fill it in")
        if name in images:
            raise SteelsegError(
                f"{sheet}:{line}: image '{name}' is listed twice; keep one row per image"
            )
        if name not in on_disk:
            raise SteelsegError(
                f"{sheet}:{line}: image '{name}' not found in {root / 'images'}; "
                "add the file or remove the row"
            )
        images[name] = on_disk[name]
        samples[name] = sample
    unlisted = sorted(set(on_disk) - set(images))
    if unlisted:
        raise SteelsegError(
            f"{sheet}: image(s) {io.first_few(unlisted)} in images/ have no row; "
            "add a row (image, sample) for each"
        )
    labels: dict[str, dict[str, Path]] = {}
    for kind in LABEL_FOLDERS:
        folder = root / kind
        found = io.list_images(folder) if folder.is_dir() else {}
        strays = sorted(set(found) - set(images))
        if strays:
            raise SteelsegError(
                f"{folder / found[strays[0]].name}: no image named '{strays[0]}' in images/; "
                "rename the label file to its image's name or remove it"
            )
        labels[kind] = found
    return Dataset(
        root=root, images=images, samples=samples, exclude=_read_exclude(root, images), **labels
    )


def _read_exclude(root: Path, images: dict[str, Path]) -> Exclusions | None:
    """The data set's exclude/ folder or exclude.tsv (not both: which would win is unclear)."""
    given = [p for p in (root / "exclude", root / "exclude.tsv") if p.exists()]
    if len(given) > 1:
        raise SteelsegError(
            f"{root}: both exclude/ and exclude.tsv; keep one (masks or boxes) to name the parts "
            "that are not specimen"
        )
    return read_exclusions(given[0], list(images.values())) if given else None


def write_sheet(path: Path, rows: list[dict[str, object]], delimiter: str = "\t") -> None:
    """Write a table (tab-separated unless told): every row's columns, in order of first
    appearance; empty cells where a row lacks one."""
    columns = list(dict.fromkeys(key for row in rows for key in row))
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, delimiter=delimiter, restval="")
        writer.writeheader()
        writer.writerows(rows)


def export_images(
    dataset: Dataset, names: list[str], masks: str | Path, num_classes: int, out: str | Path
) -> dict[str, int]:
    """Whole images and their references, as PNGs named by image, for `steelseg predict` and
    `steelseg evaluate --scored-on images`: ``images/`` (RGB), ``rf_masks/`` (the dense masks
    the models trained on), where the data set has exact truth ``exact_truth/``, and where it
    leaves parts of these images out ``exclude/`` (masks, 1 = not specimen, for `predict
    --exclude`)."""
    masks = Path(masks)
    with_truth = 0
    with io.atomic_dir(out, inputs=(dataset.root, masks)) as tmp:
        for name in names:
            if name not in dataset.images:
                raise SteelsegError(
                    f"{dataset.root}: no image {name} in the data set; rerun the split step"
                )
            image = dataset.read_image(name)
            mask = io.read_labels(masks / f"{name}.png", num_classes, what="mask", ignore=True)
            if mask.shape != image.shape[:2]:
                raise SteelsegError(
                    f"{masks}/{name}.png: size differs from its image; rerun the rf_masks step"
                )
            io.write_png(tmp / "images" / f"{name}.png", image)
            specimen = dataset.specimen(name, mask.shape)
            if specimen is not None:
                mask[~specimen] = io.IGNORE  # as the tiles have it, whatever made the masks
                io.write_png(tmp / "exclude" / f"{name}.png", (~specimen).astype(np.uint8))
            io.write_png(tmp / "rf_masks" / f"{name}.png", mask)
            if name in dataset.truth:
                truth = dataset.read_label("truth", name, num_classes, image.shape)
                io.write_png(tmp / "exact_truth" / f"{name}.png", truth)
                with_truth += 1
    return {"images": len(names), "rf_masks": len(names), "exact_truth": with_truth}
