"""Parts of a micrograph that are not specimen: scale bars, data bars, burnt-in labels.

``steelseg predict --exclude`` leaves them out of every measure. They are given as either

* a tab-separated file of pixel boxes, columns image, x0, y0, x1, y1 (left, top inclusive;
  right, bottom exclusive; as many rows per image as it has marks), or
* a folder of masks named as the images (any accepted format; non-zero = not specimen).

The network still labels every pixel and the masks keep those labels; the fractions, their CI
and the intercepts count specimen pixels only (``quantify``'s ``specimen``), and the overlays
show the parts left out untinted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import io
from .errors import SteelsegError

BOX_COLUMNS = ("image", "x0", "y0", "x1", "y1")


@dataclass(frozen=True)
class Exclusions:
    """Where each image is not specimen, as read by ``read_exclusions``."""

    source: Path
    boxes: dict[str, list[tuple[int, int, int, int]]] = field(default_factory=dict)
    masks: dict[str, Path] = field(default_factory=dict)

    def specimen(self, name: str, shape: tuple[int, int]) -> np.ndarray | None:
        """Boolean (H, W), True on specimen, for image ``name`` of ``shape``; None where
        nothing of it is left out."""
        boxes, mask_path = self.boxes.get(name, []), self.masks.get(name)
        if not boxes and mask_path is None:
            return None
        height, width = shape
        keep = np.ones(shape, dtype=bool)
        if mask_path is not None:
            marks = io.read_labels(mask_path, 256, "exclusion mask")
            if marks.shape != keep.shape:
                raise SteelsegError(
                    f"{mask_path}: exclusion mask is {marks.shape[1]}x{marks.shape[0]} px, "
                    f"image {name} {width}x{height}; save it at the image's size"
                )
            keep &= marks == 0
        for x0, y0, x1, y1 in boxes:
            if x1 > width or y1 > height:
                raise SteelsegError(
                    f"{self.source}: box {x0},{y0},{x1},{y1} of {name} reaches beyond the "
                    f"{width}x{height} px image; fix the box (x1 <= {width}, y1 <= {height})"
                )
            keep[y0:y1, x0:x1] = False
        if not keep.any():
            raise SteelsegError(
                f"{self.source}: leaves nothing of {name} to measure; fix its boxes or mask"
            )
        return keep


def read_exclusions(path: str | Path, images: list[Path]) -> Exclusions:
    """The parts left out of ``images`` from a box table or a mask folder, checked to name
    only those images (a misspelt name would silently measure a scale bar)."""
    path = Path(path)
    stems = {p.stem for p in images}
    if path.is_dir():
        masks = io.list_images(path)
        _check_names(path, set(masks) - stems, "mask(s) for")
        return Exclusions(path, masks=masks)
    fix = "give a tab-separated file (image, x0, y0, x1, y1) or a folder of exclusion masks"
    boxes: dict[str, list[tuple[int, int, int, int]]] = {}
    for line, row in enumerate(io.read_table(path, BOX_COLUMNS, fix), start=2):
        name = (row["image"] or "").strip()
        if Path(name).suffix.lower() in io.IMAGE_SUFFIXES:
            name = Path(name).stem
        try:
            x0, y0, x1, y1 = (int((row[key] or "").strip()) for key in BOX_COLUMNS[1:])
        except ValueError:
            raise SteelsegError(
                f"{path}, line {line}: x0, y0, x1, y1 must be whole pixel numbers"
            ) from None
        if not name or min(x0, y0) < 0 or x1 <= x0 or y1 <= y0:
            raise SteelsegError(
                f"{path}, line {line}: needs an image name and a box with 0 <= x0 < x1 and "
                "0 <= y0 < y1 (x1, y1 exclusive)"
            )
        boxes.setdefault(name, []).append((x0, y0, x1, y1))
    _check_names(path, set(boxes) - stems, "boxes for")
    return Exclusions(path, boxes=boxes)


def _check_names(path: Path, unknown: set[str], what: str) -> None:
    if unknown:
        shown = ", ".join(sorted(unknown)[:3]) + (" ..." if len(unknown) > 3 else "")
        raise SteelsegError(
            f"{path}: {what} image(s) not given: {shown}; fix the name(s) or give the image(s)"
        )
