"""Reading and writing images and label masks: every accepted format and every check in one place.

Images come back as RGB uint8 (H, W, 3); label masks as uint8 (H, W) class indices, where
dense masks may hold ``IGNORE`` (255) on pixels that are not specimen (scale bars, data bars).
Outputs are written under a temporary name and renamed when complete, so a failed step never
leaves a half-written file or folder behind.
"""

from __future__ import annotations

import contextlib
import csv
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import tifffile
from PIL import Image, UnidentifiedImageError

from .errors import SteelsegError

IMAGE_SUFFIXES = (".png", ".tif", ".tiff", ".jpg", ".jpeg")
# Pillow refuses images above ~89 Mpx by default (decompression-bomb guard); micrographs stitched
# from many fields can be larger, so allow up to 1 Gpx.
Image.MAX_IMAGE_PIXELS = 1 << 30
# A dense mask's value for "no class": a pixel left out of training and scoring (MATLAB's
# <undefined>), e.g. a scale bar named in a data set's exclude/ folder.
IGNORE = 255


def _read_raw(path: Path, resolve_palette: bool = False) -> np.ndarray:
    """Decode any accepted file into a numpy array, or raise one clear error.

    A palette (indexed-colour) PNG decodes to its indices: right for label masks (VOC style),
    while ``resolve_palette`` gives a picture's colours instead.
    """
    path = Path(path)
    if not path.is_file():
        raise SteelsegError(f"{path}: file not found; check the path or the samples.tsv row")
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        raise SteelsegError(
            f"{path}: unsupported file type '{path.suffix}'; convert it to PNG, TIFF or JPEG"
        )
    try:
        if path.suffix.lower() in (".tif", ".tiff"):
            array = tifffile.imread(path)
        else:
            with Image.open(path) as im:
                im.load()  # force full decoding so truncated files fail here
                if resolve_palette and im.mode in ("P", "PA"):
                    array = np.asarray(im.convert("RGBA" if "transparency" in im.info else "RGB"))
                else:
                    array = np.asarray(im)
    except (OSError, ValueError, UnidentifiedImageError, SyntaxError) as exc:
        raise SteelsegError(
            f"{path}: cannot read image ({exc}); the file is corrupt or truncated, re-export it"
        ) from exc
    if array.ndim not in (2, 3) or array.size == 0:
        raise SteelsegError(f"{path}: not a 2-D image (shape {array.shape}); export one plane")
    return array


def _to_uint8(array: np.ndarray, path: Path) -> np.ndarray:
    """Scale any integer or float image to uint8.

    16-bit data are scaled by their own bit depth (a 12-bit camera image stored in 16 bits uses
    its full 0..4095 range), so dim images are not crushed to black.
    """
    if array.dtype == np.uint8:
        return array
    if array.dtype == bool:
        return array.astype(np.uint8) * 255
    if np.issubdtype(array.dtype, np.integer):
        top = int(array.max()) if array.size else 0
        if array.min() < 0:
            raise SteelsegError(f"{path}: image has negative values; save it as unsigned integers")
        bits = min(max(8, int(np.ceil(np.log2(top + 1)))), 16 if top < 65536 else 32)
        return np.round(array.astype(np.float64) * (255.0 / (2**bits - 1))).astype(np.uint8)
    if np.issubdtype(array.dtype, np.floating):
        if not np.isfinite(array).all():
            raise SteelsegError(f"{path}: image has NaN or infinite values; fix the export")
        hi = 1.0 if array.max() <= 1.0 else 255.0
        return np.round(np.clip(array / hi, 0, 1) * 255).astype(np.uint8)
    raise SteelsegError(f"{path}: unsupported pixel type {array.dtype}; save as 8- or 16-bit")


def read_image(path: str | os.PathLike) -> np.ndarray:
    """Read a micrograph as RGB uint8 (H, W, 3): gray is replicated, alpha is dropped."""
    path = Path(path)
    array = _read_raw(path, resolve_palette=True)
    if array.ndim == 3 and array.shape[0] in (3, 4) and array.shape[-1] not in (3, 4):
        array = np.moveaxis(array, 0, -1)  # planar TIFF (C, H, W)
    if array.ndim == 3:
        if array.shape[-1] == 1:
            array = array[..., 0]
        elif array.shape[-1] == 2:  # gray + alpha
            array = array[..., 0]
        elif array.shape[-1] >= 3:
            array = array[..., :3]
    array = _to_uint8(array, path)
    if array.ndim == 2:
        array = np.repeat(array[..., None], 3, axis=-1)
    return np.ascontiguousarray(array)


def read_labels(
    path: str | os.PathLike, num_values: int, what: str = "mask", ignore: bool = False
) -> np.ndarray:
    """Read a label image (class indices) as uint8 (H, W) and check every value is < num_values
    (or, where ``ignore``, is ``IGNORE``: dense masks and truth of a data set that leaves parts
    of its images out).

    ``what`` names the kind in messages: 'mask' (dense, values 0..K-1) or 'annotation'
    (sparse, 0 = unlabelled, k+1 = class k, so values 0..K).
    """
    path = Path(path)
    array = _read_raw(path)
    if array.ndim == 3:
        planes = array[..., :3] if array.shape[-1] >= 3 else array[..., :1]
        if not (planes == planes[..., :1]).all():
            raise SteelsegError(
                f"{path}: {what} is a colour image; save class indices as a one-channel PNG"
            )
        array = planes[..., 0]
    if not np.issubdtype(array.dtype, np.integer):
        raise SteelsegError(f"{path}: {what} must hold integer class indices, not {array.dtype}")
    outside = (array < 0) | (array >= num_values)
    if ignore:
        outside &= array != IGNORE
    bad = np.unique(array[outside])
    if bad.size:
        allowed = f"0..{num_values - 1}" + (f" or {IGNORE} (left out)" if ignore else "")
        raise SteelsegError(
            f"{path}: {what} has value(s) {bad[:5].tolist()} outside {allowed}; "
            f"fix the labels or the class list in the config"
        )
    return array.astype(np.uint8)


def write_png(
    path: str | os.PathLike,
    array: np.ndarray,
    compress_level: int = 6,
    palette: np.ndarray | None = None,
) -> None:
    """Write uint8 gray/RGB as PNG, atomically (zlib level 1 is fastest, 9 smallest).

    With ``palette`` (N x 3 uint8), ``array`` holds indices into it: an indexed-colour PNG.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    picture = Image.fromarray(np.ascontiguousarray(array))
    if palette is not None:
        picture.putpalette(np.ascontiguousarray(palette, dtype=np.uint8).tobytes())
    with atomic_file(path) as tmp:
        picture.save(tmp, format="PNG", compress_level=compress_level)


def pyplot():
    """matplotlib.pyplot on the file-only Agg backend (servers and cluster nodes: no display)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path: str | os.PathLike, dpi: int = 130, compress_level: int = 6) -> None:
    """Save a matplotlib figure as PNG, atomically, and free it (zlib level 1 suits figures
    made of photographs, which level 6 hardly shrinks further but encodes ~3x slower)."""
    with atomic_file(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format="png", pil_kwargs={"compress_level": compress_level})
    pyplot().close(fig)


def image_name(text: str) -> str:
    """An image's name as a table gives it, with or without its extension: the file stem."""
    text = text.strip()
    return Path(text).stem if Path(text).suffix.lower() in IMAGE_SUFFIXES else text


def first_few(names: list[str], count: int = 3) -> str:
    """Names for a one-line message: the first ``count``, then '...' where there are more."""
    return ", ".join(names[:count]) + (", ..." if len(names) > count else "")


def list_images(folder: str | os.PathLike) -> dict[str, Path]:
    """Map image name (file stem) to path for every accepted image file in ``folder``."""
    folder = Path(folder)
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.suffix.lower() not in IMAGE_SUFFIXES:
            continue
        if path.stem in found:
            raise SteelsegError(
                f"{path}: duplicate image name '{path.stem}' (also {found[path.stem].name}); "
                "rename one so every image name is unique"
            )
        found[path.stem] = path
    return found


def _umask_mode(mode: int) -> int:
    """``mode`` limited by the process umask, as a plain open() or mkdir() would create it."""
    umask = os.umask(0)
    os.umask(umask)
    return mode & ~umask


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # mkstemp creates 0600; results must be readable by whoever the umask allows.
        os.chmod(tmp_path, _umask_mode(0o666))
        os.replace(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike) -> Iterator[Path]:
    """Yield an empty temporary folder beside ``path``; it replaces ``path`` only on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        yield tmp
        os.chmod(tmp, _umask_mode(0o777))  # mkdtemp creates 0700
        if path.exists():
            shutil.rmtree(path)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


def read_table(path: str | os.PathLike, columns: tuple[str, ...], fix: str) -> list[dict[str, str]]:
    """Rows of a tab-separated file whose header names at least ``columns``.

    ``fix`` ends the message when the file is missing (what to do about it).
    """
    path = Path(path)
    if not path.is_file():
        raise SteelsegError(f"{path}: not found; {fix}")
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    missing = [c for c in columns if not rows or c not in rows[0]]
    if not rows or missing:
        raise SteelsegError(
            f"{path}: needs a tab-separated header with columns {', '.join(columns)} and one "
            "row per entry" + (f" (missing: {', '.join(missing)})" if rows else " (file is empty)")
        )
    return rows
