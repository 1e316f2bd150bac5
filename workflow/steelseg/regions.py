"""Parts of a micrograph that are not specimen: scale bars, data bars, burnt-in labels.

``steelseg predict --exclude`` leaves them out of every measure. They are given as either

* a tab-separated file of pixel boxes, columns image, x0, y0, x1, y1 (left, top inclusive;
  right, bottom exclusive; as many rows per image as it has marks), or
* a folder of masks named as the images (any accepted format; non-zero = not specimen).

The network still labels every pixel and the masks keep those labels; the fractions, their CI
and the intercepts count specimen pixels only (``quantify``'s ``specimen``), and the overlays
show the parts left out untinted.

``flat_marks`` finds what looks like such a mark (a rectangle of white or black within a few
levels of saturation, which a specimen seldom images as) so that ``predict`` can warn where one
is measured and ``rf-masks`` where one is about to be trained on. A data set names its marks
the same two ways (``exclude/`` or ``exclude.tsv``, see ``dataset``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import ndimage

from . import io
from .errors import SteelsegError

BOX_COLUMNS = ("image", "x0", "y0", "x1", "y1")
Box = tuple[int, int, int, int]  # x0, y0, x1, y1: left, top inclusive; right, bottom exclusive
MARK_MIN_PIXELS = 64  # a flat mark at least this large (sae1045_2's scale bar: 107 px) ...
MARK_MIN_FILL = 0.8  # ... filling this share of its bounding box: a bar, not a clipped grain
MARK_GAP = 4  # px between the parts of one mark (a bar cut by its lettering)
# How far from pure white (255) or black (0) a mark's pixels may lie, in every channel: an
# off-white bar (250) saved as JPEG reads ~240-255 (8 px thick on a synthetic micrograph,
# quality 85); a grey specimen's highlights make no filled rectangle.
MARK_TOLERANCE = 16


@dataclass(frozen=True)
class Exclusions:
    """Where each image is not specimen, as read by ``read_exclusions``."""

    source: Path
    boxes: dict[str, list[Box]] = field(default_factory=dict)
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
    boxes: dict[str, list[Box]] = {}
    for line, row in enumerate(io.read_table(path, BOX_COLUMNS, fix), start=2):
        name = io.image_name(row["image"] or "")
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
        raise SteelsegError(
            f"{path}: {what} image(s) not given: {io.first_few(sorted(unknown))}; fix the "
            "name(s) or give the image(s)"
        )


def unexcluded_marks(image: np.ndarray, specimen: np.ndarray | None) -> list[Box]:
    """``flat_marks`` of ``image`` that reach onto its specimen (True) or, where nothing of it
    is left out (None), all of them: what is about to be measured or trained on."""
    return [
        (x0, y0, x1, y1)
        for x0, y0, x1, y1 in flat_marks(image)
        if specimen is None or specimen[y0:y1, x0:x1].any()
    ]


def describe_mark(name: str, box: Box) -> str:
    """'<name>: a flat ... rectangle at x .., y .. (a scale bar or label?)', for warnings."""
    x0, y0, x1, y1 = box
    return (
        f"{name}: a flat white or black {x1 - x0}x{y1 - y0} px rectangle at x {x0}-"
        f"{x1 - 1}, y {y0}-{y1 - 1} (a scale bar or label?)"
    )


def flat_marks(image: np.ndarray) -> list[Box]:
    """Boxes of white or black rectangles (every channel within ``MARK_TOLERANCE`` of 255 or
    0, as a JPEG keeps a pure white bar) at least 2 px thick in an RGB uint8 image: burnt-in
    scale bars, data bars and labels (a clipped grain is no rectangle). Parts of one mark split
    by its lettering (up to ``MARK_GAP`` px apart) come as one box."""
    red = np.ascontiguousarray(image[..., 0])  # one channel first: 1.5 ms at 2080 x 1542
    low, high = MARK_TOLERANCE, 255 - MARK_TOLERANCE
    if low < red.min() and red.max() < high:
        return []
    marks = []
    for saturated in (lambda c: c >= high, lambda c: c <= low):
        candidates = saturated(red)
        if np.count_nonzero(candidates) < MARK_MIN_PIXELS:
            continue
        flat = candidates & saturated(image[..., 1]) & saturated(image[..., 2])
        if np.count_nonzero(flat) < MARK_MIN_PIXELS:  # clipped in one channel, not flat
            continue
        # Grown by half the gap, the parts of one mark touch: one group.
        near = ndimage.maximum_filter(flat, size=2 * (MARK_GAP // 2) + 1)
        groups, _ = ndimage.label(near, structure=np.ones((3, 3)))
        sizes = np.bincount(groups[flat])  # flat pixels per group: most are specks
        large = np.flatnonzero(sizes >= MARK_MIN_PIXELS)
        objects = ndimage.find_objects(groups) if large.size else []
        for index in large[large > 0]:
            rows, cols = objects[index - 1]
            ys, xs = np.nonzero(flat[rows, cols] & (groups[rows, cols] == index))
            height, width = np.ptp(ys) + 1, np.ptp(xs) + 1  # the flat pixels' own box
            if min(height, width) >= 2 and len(ys) >= max(
                MARK_MIN_PIXELS, MARK_MIN_FILL * height * width
            ):
                x0, y0 = cols.start + int(xs.min()), rows.start + int(ys.min())
                marks.append((x0, y0, x0 + int(width), y0 + int(height)))
    return marks
