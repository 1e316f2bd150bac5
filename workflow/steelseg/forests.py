"""A sample's fitted random forest saved once and applied to new images in batch.

``rf-masks --save-forest DIR`` writes ``DIR/<sample>.skops``: the forest and the filter-bank
settings its features came from, in skops' format, which rebuilds objects from a list of
allowed types instead of running pickled code. A tree's node table is the one type skops does
not trust by default (scikit-learn indexes it without bounds checks), so ``load`` accepts that
type only and then checks every tree's node indices and feature numbers before the forest is
used. ``rf-apply`` labels new images with the forest exactly as ``rf-masks`` labelled the
sample's images.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from tqdm import tqdm

from . import io
from .errors import SteelsegError
from .inputs import expand_inputs

FORMAT = "steelseg-forest"
VERSION = 2
TREE_TYPE = "sklearn.tree._tree.Tree"


def save(path: Path, forest: RandomForestClassifier, bank, stride, class_names, sample) -> None:
    """One sample's forest and what it needs to be applied again, written atomically."""
    import skops.io as sio

    record = {
        "format": FORMAT,
        "version": VERSION,
        "sample": sample,
        "classes": list(class_names),
        "filter_bank": {  # what the features depend on
            "sigma_min": float(bank.sigma_min),
            "sigma_max": float(bank.sigma_max),
            "num_sigma": int(bank.num_sigma),
        },
        "stride": int(stride),  # how rf-masks predicted: rf-apply predicts the same way
        "forest": forest,
    }
    with io.atomic_file(path) as tmp:
        sio.dump(record, tmp)


def load(path: str | Path) -> dict:
    """A forest file written by ``save``, its trees checked; anything else is refused with one
    line naming the file."""
    import skops.io as sio

    path = Path(path)
    what = "a steelseg forest (rf-masks --save-forest writes them)"
    try:
        untrusted = set(sio.get_untrusted_types(file=path)) - {TREE_TYPE}
        if untrusted:
            raise SteelsegError(f"{path}: holds {sorted(untrusted)[0]}, not {what}")
        record = sio.load(path, trusted=[TREE_TYPE])
    except SteelsegError:
        raise
    except OSError as exc:
        raise SteelsegError(f"{path}: cannot read ({exc.strerror or exc}); check the path") from exc
    except Exception as exc:  # a zip of something else, a truncated file, a foreign schema
        raise SteelsegError(f"{path}: not {what} ({type(exc).__name__})") from exc
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise SteelsegError(f"{path}: not {what}")
    if record.get("version") != VERSION:
        raise SteelsegError(
            f"{path}: forest format {record.get('version')}, this steelseg reads {VERSION}; "
            "refit it with rf-masks --save-forest"
        )
    forest = record["forest"]
    if not isinstance(forest, RandomForestClassifier):
        raise SteelsegError(f"{path}: not {what}")
    check_trees(forest, path)
    return record


def check_trees(forest: RandomForestClassifier, path: Path) -> None:
    """Every tree's children within its node table and every split on a feature the forest
    has: what scikit-learn assumes when it predicts."""
    n_features = int(forest.n_features_in_)
    for tree in (estimator.tree_ for estimator in forest.estimators_):
        count = tree.node_count
        left, right, feature = tree.children_left, tree.children_right, tree.feature
        leaf = left == -1
        inner = ~leaf
        nodes = np.arange(count)
        ok = (
            len(left) == len(right) == len(feature) == count
            and np.array_equal(leaf, right == -1)
            and bool(np.all((left[inner] > nodes[inner]) & (left[inner] < count)))
            and bool(np.all((right[inner] > nodes[inner]) & (right[inner] < count)))
            and bool(np.all((feature[inner] >= 0) & (feature[inner] < n_features)))
            and tree.value.shape[0] == count
        )
        if not ok:
            raise SteelsegError(f"{path}: a tree's node table is inconsistent; refit the forest")


def check_settings(record: dict, path: Path, given: dict) -> None:
    """Refuse filter-bank settings or classes given that differ from the forest's own."""
    own = record["filter_bank"] | {"classes": record["classes"]}
    for key, value in given.items():
        if value is None:
            continue
        mine = own[key]
        differs = list(value) != mine if key == "classes" else not np.isclose(value, mine)
        if differs:
            shown = ",".join(mine) if key == "classes" else mine
            raise SteelsegError(
                f"{path}: fitted with {key.replace('_', '-')} {shown}, not {value}; leave the "
                "option out (the forest's own applies) or refit with rf-masks --save-forest"
            )


def apply(forest_path: str | Path, images, out: str | Path, threads: int = 1, **given) -> int:
    """``steelseg rf-apply``: dense masks of ``images`` (files, folders, glob patterns) by a
    saved forest, as ``rf-masks`` would write them. ``given``: sigma_min, sigma_max,
    num_sigma, classes to check against the forest's (None: not given)."""
    from .rfmask import FilterBank, predict_mask

    forest_path = Path(forest_path)
    paths = expand_inputs(list(images))
    io.check_output_dir(out, (*paths, forest_path))
    record = load(forest_path)
    check_settings(record, forest_path, given)
    bank = FilterBank(**record["filter_bank"], workers=threads)
    forest = record["forest"]
    forest.n_jobs = threads
    with io.atomic_dir(out, inputs=(*paths, forest_path)) as tmp:
        for path in tqdm(paths, desc="rf-apply", unit="image"):
            mask = predict_mask(forest, bank, io.read_image(path), record["stride"])
            io.write_png(tmp / f"{path.stem}.png", mask)
    return len(paths)
