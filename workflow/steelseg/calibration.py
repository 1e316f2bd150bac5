"""A micrograph's pixel size, as its microscope wrote it into the file, and TIFFs written with it.

Read from an OME-TIFF's ``PhysicalSizeX`` (with its unit), an ImageJ TIFF's resolution and unit,
or a TIFF's resolution tags in centimetres or inches. A resolution of 72 or 96 dots per inch, or
one with no unit, is a program's default, not a calibration. Other formats carry none that
microscopes write reliably. ``--um-per-px`` overrides whatever the file says.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import tifffile

from .io import atomic_file

# micrometres per unit, for the unit names files use
UNITS_UM = {
    "nm": 1e-3,
    "nanometer": 1e-3,
    "um": 1.0,
    "µm": 1.0,
    "μm": 1.0,
    "micron": 1.0,
    "microns": 1.0,
    "micrometer": 1.0,
    "mm": 1e3,
    "millimeter": 1e3,
    "cm": 1e4,
    "centimeter": 1e4,
}
SOFTWARE_DPI = (72.0, 96.0)  # what programs write when nobody calibrated anything
INCH_UM, CM_UM = 25_400.0, 10_000.0


def read(path: str | Path) -> tuple[float | None, str]:
    """(micrometres per pixel, where it came from: 'ome-tiff', 'imagej', 'tiff') or
    (None, 'none')."""
    path = Path(path)
    if path.suffix.lower() not in (".tif", ".tiff"):
        return None, "none"
    try:
        with tifffile.TiffFile(path) as tif:
            for source, reader in (("ome-tiff", _ome), ("imagej", _imagej), ("tiff", _tags)):
                found = reader(tif)
                if found is not None and found > 0:
                    return found, source
    except (OSError, ValueError, tifffile.TiffFileError):
        pass  # unreadable metadata: the image reader reports a broken file itself
    return None, "none"


def _ome(tif: tifffile.TiffFile) -> float | None:
    if not tif.is_ome or not tif.ome_metadata:
        return None
    size = re.search(r'PhysicalSizeX="([0-9.eE+-]+)"', tif.ome_metadata)
    if not size:
        return None
    unit = re.search(r'PhysicalSizeXUnit="([^"]+)"', tif.ome_metadata)
    factor = UNITS_UM.get(unit.group(1) if unit else "µm")  # OME's default unit is µm
    return None if factor is None else float(size.group(1)) * factor


def _x_resolution(tif: tifffile.TiffFile) -> float | None:
    """Pixels per resolution unit along x, from the first page's XResolution."""
    tag = tif.pages[0].tags.get("XResolution")
    if tag is None:
        return None
    numerator, denominator = tag.value
    return numerator / denominator if numerator and denominator else None


def _imagej(tif: tifffile.TiffFile) -> float | None:
    if not tif.is_imagej or not tif.imagej_metadata:
        return None
    factor = UNITS_UM.get(str(tif.imagej_metadata.get("unit", "")).strip().lower())
    per_unit = _x_resolution(tif)
    return None if factor is None or not per_unit else factor / per_unit


def _tags(tif: tifffile.TiffFile) -> float | None:
    per_unit = _x_resolution(tif)
    unit_tag = tif.pages[0].tags.get("ResolutionUnit")
    unit = int(unit_tag.value) if unit_tag is not None else 2  # TIFF's default: inch
    if not per_unit or unit not in (2, 3):
        return None
    if unit == 2 and any(abs(per_unit - dpi) < 1e-6 for dpi in SOFTWARE_DPI):
        return None
    return (INCH_UM if unit == 2 else CM_UM) / per_unit


def resolution(um_per_px: float | None) -> dict:
    """tifffile.imwrite arguments that record ``um_per_px`` as TIFF resolution tags (pixels per
    centimetre), which ImageJ/Fiji and ``read`` take as the calibration; none for None."""
    if not um_per_px:
        return {}
    per_cm = CM_UM / um_per_px
    return {"resolution": (per_cm, per_cm), "resolutionunit": tifffile.RESUNIT.CENTIMETER}


def write_tiff(
    path: str | Path,
    array: np.ndarray,
    um_per_px: float | None = None,
    metadata: dict | None = None,
) -> None:
    """Write an array as a zlib-compressed TIFF, atomically: (H, W) one page, (K, H, W) K
    pages; ``um_per_px`` as resolution tags (``read`` takes them back, as Fiji does),
    ``metadata`` as tifffile's JSON description."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path) as tmp:
        tifffile.imwrite(
            tmp,
            np.ascontiguousarray(array),
            photometric="minisblack",
            compression="zlib",
            metadata=metadata,
            **resolution(um_per_px),
        )
