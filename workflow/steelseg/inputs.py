"""The images a command is given: files, folders (their images) and glob patterns."""

from __future__ import annotations

import glob
from pathlib import Path

from .errors import SteelsegError
from .io import list_images
from .settings import IMAGE_SUFFIXES


def expand_inputs(items: list[str | Path]) -> list[Path]:
    """Image files from paths, folders (their images) and glob patterns, in the given order."""
    found: list[Path] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            found += list(list_images(path).values())
        elif path.exists():
            found.append(path)
        elif glob.has_magic(str(item)):
            matches = sorted(Path(p) for p in glob.glob(str(item)))
            images = [p for p in matches if p.suffix.lower() in IMAGE_SUFFIXES]
            if not images:
                raise SteelsegError(f"{item}: the pattern matches no PNG, TIFF or JPEG file")
            found += images
        else:
            raise SteelsegError(f"{item}: no such file or folder; check the path")
    if not found:
        raise SteelsegError(f"{', '.join(map(str, items))}: no images found; give image files")
    seen: dict[str, Path] = {}
    for path in found:
        if path.stem in seen and seen[path.stem] != path:
            raise SteelsegError(
                f"{path}: same name as {seen[path.stem]}; outputs are named by image, so "
                "predict them into separate --out folders or rename one"
            )
        seen[path.stem] = path
    return list(dict.fromkeys(found))
