"""Fetch a public data set into the data set folder layout, every file checked by its sha256.

A sources list (TSV: file, source_url, sha256, becomes) names each original file, where it is
published at a fixed commit, its checksum and what it becomes here, e.g. UHCS-24's
``workflow/published/uhcs24/sources.tsv``:

* ``images/X.png`` from a TIFF: the micrograph as 8-bit PNG (gray stays gray);
* ``masks/X.png (rows 0-483, value -1 band dropped)`` from an integer label TIFF: those rows,
  as uint8 class indices (DeCost et al.'s labels mark the scale-bar band -1);
* ``masks_matseg/X.png`` from a ``.npy`` label array: uint8 class indices.

Metadata files beside the sources list (samples.tsv, split and folds files) are copied as they
are. The whole folder appears only when every file is fetched and verified.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import urllib.request
from pathlib import Path

import numpy as np
import tifffile
from tqdm import tqdm

from . import io
from .errors import SteelsegError

COLUMNS = ("file", "source_url", "sha256", "becomes")
ROWS = re.compile(r"rows (\d+)-(\d+)")


def read_sources(path: str | Path) -> list[dict[str, str]]:
    return io.read_table(path, COLUMNS, "give the sources list with --sources")


def _fetch(url: str, timeout: float) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (https/file)
            return response.read()
    except OSError as exc:  # URLError, timeouts, refused connections
        raise SteelsegError(
            f"{url}: download failed ({exc}); check the network, or fetch the folder elsewhere "
            "and point the config at it"
        ) from exc


def convert(raw: Path, becomes: str) -> tuple[str, np.ndarray]:
    """(relative PNG path, array) for one downloaded file, as ``becomes`` describes."""
    target = becomes.split(" ")[0]
    if target.startswith("images/"):
        image = io.read_image(raw)  # any bit depth -> RGB uint8, as the workflow reads it
        gray = (image == image[..., :1]).all()
        return target, image[..., 0] if gray else image
    if raw.suffix == ".npy":
        array = np.load(raw, allow_pickle=False)
    else:
        array = tifffile.imread(raw)
    rows = ROWS.search(becomes)
    if rows:
        array = array[int(rows.group(1)) : int(rows.group(2)) + 1]
    if array.ndim != 2 or array.min() < 0 or array.max() > 255:
        raise SteelsegError(
            f"{raw.name}: labels of shape {array.shape}, values {array.min()}..{array.max()} "
            f"cannot become {target}; check the sources list"
        )
    return target, array.astype(np.uint8)


def fetch_dataset(sources: str | Path, out: str | Path, timeout: float = 60.0) -> int:
    """Download, verify and convert every file of ``sources`` into ``out``; the count."""
    sources = Path(sources)
    rows = read_sources(sources)
    with io.atomic_dir(out, inputs=(sources,)) as tmp:
        raw_dir = tmp / ".raw"
        raw_dir.mkdir()
        for row in tqdm(rows, desc="download", unit="file"):
            data = _fetch(row["source_url"], timeout)
            digest = hashlib.sha256(data).hexdigest()
            if digest != row["sha256"]:
                raise SteelsegError(
                    f"{row['source_url']}: sha256 {digest} is not the expected {row['sha256']} "
                    f"({sources}); the file changed upstream, do not use it"
                )
            raw = raw_dir / Path(row["file"]).name
            raw.write_bytes(data)
            target, array = convert(raw, row["becomes"])
            io.write_png(tmp / target, array)
        shutil.rmtree(raw_dir)
        for extra in sorted(sources.parent.iterdir()):
            if extra.suffix in (".json", ".tsv") and extra.name not in (
                sources.name,
                "published_results.tsv",
            ):
                shutil.copy(extra, tmp / extra.name)
        shutil.copy(sources, tmp / "sources.tsv")
    return len(rows)
