"""Train / validation / test split of the tile store (70 / 20 / 10 in the paper).

* ``paper``: tiles shuffled one by one, as the paper did. The four rotations of one crop, and
  the crops of one image, then land in different sets, so test scores are optimistic (leakage).
* ``grouped`` (default): whole groups (source images or samples) go to one set, so nothing seen
  in training reappears at test time. Groups are dealt out largest-deficit first to come close to
  the requested tile fractions.
* ``fixed``: a JSON file names the images of each set, ``{"train": [...], "val": [...],
  "test": [...]}`` (e.g. UHCS-24's ``split_matseg.json``), so results compare with published ones.
* ``folds``: a JSON file of k folds, ``{"0": [...], ..., "5": [...]}`` (e.g. UHCS-24's
  ``folds_decost2019.json``); fold ``f`` is the test set, fold ``f + 1`` (mod k) the validation
  set, the other folds train. Run once per fold for cross-validation.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import numpy as np

from . import io, settings
from .dataset import write_sheet
from .errors import SteelsegError

SETS = settings.SETS
MODES = ("paper", "grouped", "fixed", "folds")
FILE_MODES = ("fixed", "folds")
GROUP_KEYS = ("image", "sample")


def check_fractions(fractions: dict[str, float]) -> dict[str, float]:
    settings.check_fractions(fractions, "--fractions")
    return fractions


def read_assignment(path: str | Path, mode: str, fold: int | None = None) -> dict[str, str]:
    """Image name -> set name from a ``fixed`` split file or a ``folds`` file and a fold."""
    path = Path(path)
    try:
        content = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise SteelsegError(
            f"{path}: cannot read the split file ({exc}); give a JSON file"
        ) from exc
    if not isinstance(content, dict) or not all(
        isinstance(v, list) and all(isinstance(i, str) for i in v) for v in content.values()
    ):
        raise SteelsegError(f"{path}: expected a JSON object of lists of image names")
    if mode == "fixed":
        if set(content) != set(SETS):
            raise SteelsegError(
                f"{path}: a fixed split names exactly the sets train, val and test, "
                f"not {', '.join(sorted(content)) or 'none'}"
            )
        sets = content
    elif mode == "folds":
        names = sorted(content, key=lambda k: int(k) if k.isdigit() else -1)
        if names != [str(k) for k in range(len(names))] or len(names) < 3:
            raise SteelsegError(
                f"{path}: a folds file has keys 0, 1, ..., k-1 with k >= 3, "
                f"not {', '.join(content)}"
            )
        if fold is None or not 0 <= fold < len(names):
            raise SteelsegError(f"--fold {fold}: {path} has folds 0 to {len(names) - 1}")
        k = len(names)
        sets = {
            "test": content[str(fold)],
            "val": content[str((fold + 1) % k)],
            "train": [
                i for f in range(k) if f not in (fold, (fold + 1) % k) for i in content[str(f)]
            ],
        }
    else:
        raise SteelsegError(f"--mode {mode}: takes no split file; use fixed or folds")
    assignment: dict[str, str] = {}
    for name in SETS:
        for image in sets[name]:
            if image in assignment:
                raise SteelsegError(f"{path}: image {image} is in more than one set or fold")
            assignment[image] = name
    return assignment


def assign(
    index: list[dict[str, object]],
    mode: str,
    fractions: dict[str, float],
    seed: int,
    group_by: str = "image",
    assignment: dict[str, str] | None = None,
    source: str = "the split file",
) -> list[str]:
    """The set name of every tile in ``index`` (same order).

    ``assignment`` (image -> set, from ``read_assignment``) is required by the file modes, which
    ignore the fractions and the seed; ``source`` names the file in errors.
    """
    if mode in FILE_MODES:
        return _assign_from_file(index, assignment, source)
    check_fractions(fractions)
    rng = np.random.default_rng(seed)
    n = len(index)
    wanted = [s for s in SETS if fractions[s] > 0]
    if mode == "paper":
        order = rng.permutation(n)
        bounds = np.round(np.cumsum([fractions[s] for s in SETS]) * n).astype(int)
        labels = np.empty(n, object)
        start = 0
        for name, stop in zip(SETS, bounds, strict=True):
            labels[order[start:stop]] = name
            start = stop
        return labels.tolist()
    if mode != "grouped":
        raise SteelsegError(f"--mode {mode}: unknown; use one of {', '.join(MODES)}")
    if group_by not in GROUP_KEYS:
        raise SteelsegError(f"--group-by {group_by}: unknown; use image or sample")
    sizes = Counter(str(row[group_by]) for row in index)
    if len(sizes) < len(wanted):
        raise SteelsegError(
            f"--group-by {group_by}: only {len(sizes)} group(s) for {len(wanted)} non-empty "
            "sets; group by image, add data, or set a fraction to 0"
        )
    groups = list(sizes)
    rng.shuffle(groups)
    counts = dict.fromkeys(wanted, 0)
    chosen: dict[str, str] = {}
    # Every non-empty set first gets one group (smallest fractions first, so the test set is
    # never left empty), then each group goes to the set furthest below its target.
    for name in sorted(wanted, key=lambda s: fractions[s]):
        group = groups.pop()
        chosen[group] = name
        counts[name] += sizes[group]
    for group in groups:
        name = max(wanted, key=lambda s: fractions[s] * n - counts[s])
        chosen[group] = name
        counts[name] += sizes[group]
    return [chosen[str(row[group_by])] for row in index]


def _assign_from_file(
    index: list[dict[str, object]], assignment: dict[str, str] | None, source: str
) -> list[str]:
    if assignment is None:
        raise SteelsegError("--mode fixed/folds: give the split file (--assignment FILE)")
    images = {str(row["image"]) for row in index}
    missing = sorted(images - set(assignment))
    if missing:
        raise SteelsegError(
            f"{source} assigns no set to {len(missing)} image(s) of the data set "
            f"({io.first_few(missing)}); add them to it"
        )
    unknown = sorted(set(assignment) - images)
    if unknown:
        raise SteelsegError(
            f"{source} names {len(unknown)} image(s) the data set does not have "
            f"({io.first_few(unknown)}); check the data set"
        )
    return [assignment[str(row["image"])] for row in index]


def write_split(
    index: list[dict[str, object]], labels: list[str], out: str | Path
) -> dict[str, dict[str, int]]:
    """Write split.tsv (tile, image, sample, rotation, set) and return a per-set summary."""
    rows = [
        {
            "tile": row["tile"],
            "image": row["image"],
            "sample": row["sample"],
            "rotation": row["rotation"],
            "set": label,
        }
        for row, label in zip(index, labels, strict=True)
    ]
    with io.atomic_file(out) as tmp:
        write_sheet(tmp, rows)
    summary = {}
    for name in SETS:
        members = [row for row in rows if row["set"] == name]
        summary[name] = {
            "tiles": len(members),
            "images": len({row["image"] for row in members}),
            "samples": len({row["sample"] for row in members}),
        }
    return summary


def leaked_images(split_rows: list[dict[str, object]]) -> set[str]:
    """Source images whose tiles appear in more than one set."""
    seen: dict[str, set[str]] = {}
    for row in split_rows:
        seen.setdefault(str(row["image"]), set()).add(str(row["set"]))
    return {image for image, sets in seen.items() if len(sets) > 1}


def images_in_set(path: str | Path, set_name: str) -> list[str]:
    """Source images whose tiles split.tsv puts in ``set_name``, in first-seen order."""
    rows = io.read_table(path, ("image", "set"), "run the split step first")
    images = [row["image"] for row in rows if row["set"] == set_name]
    if not images:
        raise SteelsegError(f"{path}: no image in the {set_name} set; check the split")
    if leaked_images(rows) & set(images):
        raise SteelsegError(
            f"{path}: images of the {set_name} set have tiles in other sets (mode paper); "
            "whole-image evaluation needs a grouped, fixed or folds split"
        )
    return list(dict.fromkeys(images))


def read_split(path: str | Path) -> dict[str, np.ndarray]:
    """Tile indices of each set from split.tsv."""
    path = Path(path)
    if not path.is_file():
        raise SteelsegError(f"{path}: split file not found; run the split step first")
    sets: dict[str, list[int]] = {"train": [], "val": [], "test": []}
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            sets.setdefault(row["set"], []).append(int(row["tile"]))
    return {name: np.array(sorted(v), dtype=np.int64) for name, v in sets.items()}


def run(
    tiles_dir: str | Path,
    out: str | Path,
    mode: str,
    fractions: list[float],
    seed: int,
    group_by: str = "image",
    assignment: str | Path | None = None,
    fold: int | None = None,
) -> str:
    """Split the tile store at ``tiles_dir`` into split.tsv at ``out``; a table of the sets
    (tiles, images, samples) and a line saying how, for the log."""
    from tabulate import tabulate

    from .tiles import TileStore

    if len(fractions) != 3:
        raise SteelsegError("--fractions: give three numbers train,val,test, e.g. 0.7,0.2,0.1")
    if mode in FILE_MODES and assignment is None:
        raise SteelsegError(f"--mode {mode}: give the JSON split file with --assignment FILE")
    if mode not in FILE_MODES and assignment is not None:
        raise SteelsegError(f"--mode {mode}: --assignment goes with --mode fixed or folds only")
    index = TileStore.open(tiles_dir).index
    by_image = assignment and read_assignment(assignment, mode, fold)
    shares = dict(zip(SETS, fractions, strict=True))
    labels = assign(
        index, mode, shares, seed, group_by, assignment=by_image or None, source=str(assignment)
    )
    summary = write_split(index, labels, out)
    table = tabulate(
        [(name, *summary[name].values()) for name in SETS],
        headers=["set", "tiles", "images", "samples"],
    )
    how = f"mode {mode}" + (f" (grouped by {group_by})" if mode == "grouped" else "")
    if assignment:
        how += f" ({assignment}" + (f", fold {fold})" if mode == "folds" else ")")
    return f"{table}\n{how}; wrote {out}"
