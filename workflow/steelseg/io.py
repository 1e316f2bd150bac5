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
import re
import shutil
import socket
import tempfile
from collections.abc import Iterator
from io import BytesIO, StringIO
from pathlib import Path

import numpy as np
import tifffile
from PIL import Image, UnidentifiedImageError

from .errors import SteelsegError, warn
from .settings import IMAGE_SUFFIXES

# Pillow refuses images above ~89 Mpx by default (decompression-bomb guard); micrographs stitched
# from many fields can be larger, so allow up to 1 Gpx.
Image.MAX_IMAGE_PIXELS = 1 << 30
# A dense mask's value for "no class": a pixel left out of training and scoring (MATLAB's
# <undefined>), e.g. a scale bar named in a data set's exclude/ folder.
IGNORE = 255


def _read_raw(path: Path, resolve_palette: bool = False) -> np.ndarray:
    """Decode any accepted file into a numpy array, or raise one clear error.

    A palette (indexed-colour) image decodes to its indices: right for label masks (VOC style),
    while ``resolve_palette`` gives a picture's colours instead, and converts CMYK and other
    colour models to RGB. A file of several pages (a multi-page TIFF) gives its first page, with
    a warning.
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
            array = _read_tiff(path, resolve_palette)
        else:
            array = _read_pillow(path, resolve_palette)
    except (OSError, ValueError, UnidentifiedImageError, SyntaxError, IndexError) as exc:
        raise SteelsegError(
            f"{path}: cannot read image ({exc}); the file is corrupt or truncated, re-export it"
        ) from exc
    if array.ndim not in (2, 3) or array.size == 0:
        raise SteelsegError(f"{path}: not a 2-D image (shape {array.shape}); export one plane")
    return array


def _first_page_only(path: Path, pages: int) -> None:
    if pages > 1:
        warn(f"{path}: {pages} pages; only the first is read (save one image per file)")


def _read_pillow(path: Path, resolve_palette: bool) -> np.ndarray:
    with Image.open(path) as im:
        _first_page_only(path, getattr(im, "n_frames", 1))
        im.load()  # force full decoding so truncated files fail here
        if resolve_palette and im.mode in ("P", "PA"):
            return np.asarray(im.convert("RGBA" if "transparency" in im.info else "RGB"))
        if resolve_palette and im.mode in ("CMYK", "YCbCr", "LAB", "HSV"):
            return np.asarray(im.convert("RGB"))
        return np.asarray(im)


def _read_tiff(path: Path, resolve_palette: bool) -> np.ndarray:
    """The first page of a TIFF; with ``resolve_palette`` as a picture: palette colours looked
    up, CMYK (separated) converted to RGB, min-is-white grey inverted."""
    with tifffile.TiffFile(path) as tif:
        _first_page_only(path, len(tif.pages))
        page = tif.pages[0]
        array = page.asarray()
        photometric = page.photometric
        colormap = page.colormap
    if not resolve_palette:
        return array
    if photometric == tifffile.PHOTOMETRIC.PALETTE and colormap is not None:
        return (colormap[:, array].T >> 8).astype(np.uint8)  # 16-bit colour table entries
    if photometric == tifffile.PHOTOMETRIC.SEPARATED and array.ndim == 3:
        ink = array.astype(np.float64) / np.iinfo(array.dtype).max
        rgb = 255 * (1 - ink[..., :3]) * (1 - ink[..., 3:4])
        return np.round(rgb).astype(np.uint8)
    if photometric == tifffile.PHOTOMETRIC.MINISWHITE and np.issubdtype(array.dtype, np.integer):
        return np.iinfo(array.dtype).max - array
    return array


def _to_uint8(array: np.ndarray, path: Path) -> np.ndarray:
    """Scale any integer or float image to uint8.

    Integer data above 8 bits are scaled by the bit depth they use (a 12-bit camera image stored
    in 16 bits uses 0..4095), found from all but the brightest 0.01 % of the pixels (at least one
    from 100 pixels on), not from the maximum: a few hot pixels do not darken the image (they
    clip to 255).
    """
    if array.dtype == np.uint8:
        return array
    if array.dtype == bool:
        return array.astype(np.uint8) * 255
    if np.issubdtype(array.dtype, np.integer):
        if array.min() < 0:
            raise SteelsegError(f"{path}: image has negative values; save it as unsigned integers")
        flat = array.ravel()
        hot = max(flat.size // 10_000, int(flat.size >= 100))  # pixels allowed to clip
        top = float(np.partition(flat, flat.size - 1 - hot)[flat.size - 1 - hot])
        bits = min(max(8, int(np.ceil(np.log2(top + 1)))), 16 if top < 65536 else 32)
        scaled = np.round(array.astype(np.float64) * (255.0 / (2**bits - 1)))
        return np.clip(scaled, 0, 255).astype(np.uint8)
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
    path: str | os.PathLike,
    num_values: int,
    what: str = "mask",
    ignore: bool = False,
    binary: bool = False,
) -> np.ndarray:
    """Read a label image (class indices) as uint8 (H, W) and check every value is < num_values
    (or, where ``ignore``, is ``IGNORE``: dense masks and truth of a data set that leaves parts
    of its images out).

    ``what`` names the kind in messages: 'mask' (dense, values 0..K-1) or 'annotation'
    (sparse, 0 = unlabelled, k+1 = class k, so values 0..K). ``binary``: a two-class mask saved
    as 0/255 (as Fiji saves a thresholded mask; ``binary_labels`` decides): 255 is class 1.
    """
    path = Path(path)
    array = _label_plane(_read_raw(path), path, what)
    if binary:
        array = np.where(array == 255, 1, array)
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


def _label_plane(array: np.ndarray, path: Path, what: str) -> np.ndarray:
    """The one plane of class indices a label file holds (a grey RGB image is one plane)."""
    if array.ndim == 3:
        planes = array[..., :3] if array.shape[-1] >= 3 else array[..., :1]
        if not (planes == planes[..., :1]).all():
            raise SteelsegError(
                f"{path}: {what} is a colour image; save class indices as a one-channel PNG"
            )
        array = planes[..., 0]
    if not np.issubdtype(array.dtype, np.integer):
        raise SteelsegError(f"{path}: {what} must hold integer class indices, not {array.dtype}")
    return array


def binary_labels(paths: list[Path], num_classes: int, what: str = "mask") -> bool:
    """Whether a folder's dense labels are binary masks saved as 0/255 rather than class indices
    with 255 for "no class": so when every file holds only 0 and 255 and none holds another
    class. Two classes: read 255 as class 1, with a warning. More classes: ambiguous, refused
    with how to convert. Stops reading at the first file that holds another value."""
    paths = sorted(paths)
    white = False
    for path in paths:
        values = set(np.unique(_label_plane(_read_raw(path), path, what)).tolist())
        if not values <= {0, IGNORE}:
            return False
        white |= IGNORE in values
    if not white:
        return False
    folder = paths[0].parent
    if num_classes != 2:
        raise SteelsegError(
            f"{folder}: every {what} holds only 0 and 255 (binary masks?), but there are "
            f"{num_classes} classes; save class indices 0..{num_classes - 1} (255 only where "
            "no class applies)"
        )
    warn(f"{folder}: {what}s hold only 0 and 255: read as binary, 0 = class 0, 255 = class 1")
    return True


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


# Marker file in every folder steelseg writes: a folder holding it may be replaced by a rerun;
# a non-empty folder without it is the user's, and steelseg refuses to write over it.
MARKER = ".steelseg-output"
_HOST = socket.gethostname().replace(".", "_")


def _temp_prefix(path: Path) -> str:
    """Temporary names beside ``path`` carry this host and process, so that a later run can
    tell a killed run's leftovers (its process gone) from a running one's."""
    return f".{path.name}.{_HOST}.{os.getpid()}."


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def remove_stale_temporaries(path: Path) -> None:
    """Remove what a killed run (SIGKILL, a node lost) of this host left beside ``path``: the
    temporary files and folders of processes that no longer run."""
    pattern = re.compile(rf"^\.{re.escape(path.name)}\.{re.escape(_HOST)}\.(\d+)\..*\.tmp$")
    try:
        siblings = list(os.scandir(path.parent))
    except FileNotFoundError:
        return
    for entry in siblings:
        match = pattern.match(entry.name)
        if match and not _alive(int(match.group(1))):
            stale = Path(entry.path)
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(stale, ignore_errors=True)
            else:
                stale.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    fd, tmp = tempfile.mkstemp(prefix=_temp_prefix(path), suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # mkstemp creates 0600; results must be readable by whoever the umask allows.
        os.chmod(tmp_path, _umask_mode(0o666))
        os.replace(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)


def check_output_dir(path: str | os.PathLike, inputs: tuple[str | os.PathLike, ...] = ()) -> None:
    """Refuse an output folder whose replacement would delete what steelseg did not write: the
    current folder or one above it, an input or a folder holding one, a file, or a non-empty
    folder without steelseg's marker."""
    path = Path(path)
    where = path.resolve()
    cwd = Path.cwd().resolve()
    if where == cwd or where in cwd.parents:
        raise SteelsegError(
            f"{path}: is the current folder or holds it; give --out a new folder, e.g. {path}/out"
        )
    for given in inputs:
        source = Path(given).resolve()
        if where == source or where in source.parents:
            raise SteelsegError(
                f"{path}: is an input or holds one ({given}); give --out a folder of its own"
            )
    if where.is_dir():
        if any(where.iterdir()) and not (where / MARKER).is_file():
            raise SteelsegError(
                f"{path}: a folder steelseg did not write, and not empty; give --out a new or "
                "empty folder (steelseg replaces only its own outputs)"
            )
    elif where.exists():
        raise SteelsegError(f"{path}: is a file; give --out a folder")


@contextlib.contextmanager
def atomic_dir(
    path: str | os.PathLike, inputs: tuple[str | os.PathLike, ...] = ()
) -> Iterator[Path]:
    """Yield an empty temporary folder beside ``path``; it replaces ``path`` only on success.

    ``path`` must pass ``check_output_dir`` (``inputs``: what the step reads). The folder gets
    steelseg's marker, so a rerun may replace it; the folder it replaces is removed only after
    the new one is in place."""
    path = Path(path)
    check_output_dir(path, inputs)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    tmp = Path(tempfile.mkdtemp(prefix=_temp_prefix(path), suffix=".tmp", dir=path.parent))
    old = tmp.with_name(tmp.name.removesuffix(".tmp") + "old.tmp")
    try:
        yield tmp
        (tmp / MARKER).write_text("written by steelseg; a rerun of its step replaces it\n")
        os.chmod(tmp, _umask_mode(0o777))  # mkdtemp creates 0700
        if path.exists():
            os.replace(path, old)
        os.replace(tmp, path)
    finally:
        for leftover in (tmp, old):
            if leftover.exists():
                shutil.rmtree(leftover)


def load_torch(path: str | os.PathLike, what: str, keys: tuple[str, ...] = ()) -> object:
    """A file ``torch.save`` wrote, loaded safely (``weights_only``: tensors and plain data, no
    code), or one line naming the file: anything else (random bytes, JSON, a pickled module, a
    truncated file) is "not a <what>". With ``keys``, a dict holding them is required."""
    import torch

    path = Path(path)
    if not path.is_file():
        raise SteelsegError(f"{path}: {what} not found; check the path")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch.load raises pickle, zip, EOF and runtime errors alike
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:120]
        raise SteelsegError(
            f"{path}: not a {what} ({reason}); give the file steelseg wrote"
        ) from exc
    if keys and not (isinstance(payload, dict) and set(keys) <= set(payload)):
        raise SteelsegError(
            f"{path}: not a {what} (no {', '.join(keys)}); give the file steelseg wrote"
        )
    return payload


def save_torch(payload: object, path: str | os.PathLike) -> None:
    """``torch.save`` to ``path``, atomically. Serialised in memory first, so that a full or
    read-only disk raises an ordinary OSError (torch's own writer reports it as an obscure
    RuntimeError) and nothing partial is left."""
    import torch

    buffer = BytesIO()
    torch.save(payload, buffer)
    with atomic_file(path) as tmp:
        tmp.write_bytes(buffer.getbuffer())


def read_table(path: str | os.PathLike, columns: tuple[str, ...], fix: str) -> list[dict[str, str]]:
    """Rows of a tab-separated file whose header names at least ``columns``.

    ``fix`` ends the message when the file is missing (what to do about it).
    """
    path = Path(path)
    if not path.is_file():
        raise SteelsegError(f"{path}: not found; {fix}")
    rows = list(csv.DictReader(StringIO(read_text(path), newline=""), delimiter="\t"))
    missing = [c for c in columns if not rows or c not in rows[0]]
    if not rows or missing:
        raise SteelsegError(
            f"{path}: needs a tab-separated header with columns {', '.join(columns)} and one "
            "row per entry" + (f" (missing: {', '.join(missing)})" if rows else " (file is empty)")
        )
    return rows


def read_text(path: str | os.PathLike) -> str:
    """A text file as spreadsheets save it: UTF-8 with or without a byte-order mark (Excel's
    "CSV UTF-8"), else Windows-1252 / Latin-1 (Excel's plain text on Windows)."""
    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return data.decode("latin-1")
