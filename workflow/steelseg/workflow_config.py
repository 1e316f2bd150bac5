"""The workflow's reading of its config beyond the schema: the files a config names (split file,
micrographs to predict, sample sheets, exclusions, folds), checked at start-up so that a wrong
one stops the run before any job, naming the key to fix.

Standard library only (and ``settings``): the Snakefile imports it (``workflow/rules/common.smk``).
"""

from __future__ import annotations

import glob
import json
import os

from . import settings
from .errors import SteelsegError


def _expand(path: str | None) -> str:
    return os.path.expandvars(path or "")


def split_file(config: dict) -> str | None:
    """The fixed/folds split file (a relative path is read in the data set folder), or None."""
    split = config["split"]
    if split["mode"] not in ("fixed", "folds"):
        return None
    path = _expand(split["file"])
    if config["dataset"]["source"] == "folder" and not os.path.isabs(path):
        path = os.path.join(_expand(config["dataset"]["path"]), path)
    return path


def predict_samples(config: dict) -> list[str]:
    """The predict rule's samples.tsv where one is configured."""
    where = config["predict"]["samples"]
    return [_expand(where)] if where else []


def predict_exclusions(config: dict) -> list[str]:
    """The predict rule's boxes file or mask folder where one is configured."""
    where = config["predict"]["exclude"]
    return [_expand(where)] if where else []


def predict_inputs(config: dict) -> list[str]:
    """Micrographs for the predict rule: a folder's images or a glob's matches, sorted."""
    where = _expand(config["predict"]["images"])
    if not where:
        return []
    if os.path.isdir(where):
        found = [os.path.join(where, name) for name in os.listdir(where)]
    else:
        found = glob.glob(where)
    return sorted(
        path
        for path in found
        if os.path.isfile(path)
        and path.lower().endswith(settings.IMAGE_SUFFIXES)
        and not os.path.basename(path).startswith(".")
    )


def fold_ids(config: dict) -> list[str]:
    """Folds mode: the folds to run (split.folds, or every fold of the file); else none."""
    if config["split"]["mode"] != "folds":
        return []
    path = split_file(config)
    with open(path) as handle:
        available = sorted(json.load(handle), key=lambda k: int(k) if k.isdigit() else -1)
    chosen = config["split"]["folds"]
    if chosen is None:
        return available
    unknown = [k for k in chosen if str(k) not in available]
    if unknown:
        raise SteelsegError(
            f"config: split.folds {unknown} not in {path} (folds {', '.join(available)}); pick "
            "from those"
        )
    return [str(k) for k in chosen]


def check(config: dict) -> None:
    """Everything a config says that the schema cannot check, each naming the key to fix."""
    _check_dataset(config["dataset"])
    try:  # the checks between settings, as the steps make them
        settings.check_rf(config["rf"], settings.config_label("rf"))
        if config["dataset"]["source"] == "synthetic":  # synth's settings mean nothing else
            settings.check_synth(config["synth"], settings.config_label("synth"))
        settings.check_fractions(config["split"]["fractions"], "split.fractions")
    except SteelsegError as exc:
        raise SteelsegError(f"config: {exc}") from None
    split, path = config["split"], split_file(config)
    if split["mode"] in ("fixed", "folds") and not os.path.isfile(path):
        raise SteelsegError(
            f"config: split.file '{split['file'] or ''}' ({path or 'not set'}) is not a "
            f"file; split.mode {split['mode']} needs the JSON split file"
        )
    for name, model in config["models"].items():
        if model.get("final_relu") and name != "segnet":
            raise SteelsegError(
                f"config: models.{name}.final_relu is SegNet's (its last block); remove it"
            )
    _check_predict(config)


def _check_dataset(dataset: dict) -> None:
    if dataset["source"] != "folder":
        return
    if not dataset.get("path"):
        raise SteelsegError(
            "config: dataset.path is empty but dataset.source is 'folder'; set dataset.path to "
            "a data set folder"
        )
    if not os.path.isdir(_expand(dataset["path"])):
        raise SteelsegError(
            f"config: dataset.path '{dataset['path']}' is not a folder; fix the path "
            "(environment variables in it are expanded)"
        )


def _check_predict(config: dict) -> None:
    predict = config["predict"]
    if predict["images"] and predict["model"] not in config["models"]:
        raise SteelsegError(
            f"config: predict.model '{predict['model']}' is not among the models trained "
            f"({', '.join(config['models'])}); add it to models or pick one of those"
        )
    for path in predict["ensemble"]:
        # results/... may be made by this workflow (another model); anything else must exist
        where = _expand(path)
        if not where.startswith("results/") and not os.path.isfile(where):
            raise SteelsegError(
                f"config: predict.ensemble '{path}' is not a file; give the checkpoint.pt of "
                "a model trained on the same classes, or remove it"
            )
    for sheet in predict_samples(config):
        if not os.path.isfile(sheet):
            raise SteelsegError(
                f"config: predict.samples '{sheet}' is not a file; give a tab-separated "
                "samples.tsv with columns image, sample, or remove it"
            )
    for where in predict_exclusions(config):
        if not os.path.exists(where):
            raise SteelsegError(
                f"config: predict.exclude '{where}' does not exist; give a tab-separated file "
                "of boxes (image, x0, y0, x1, y1) or a folder of masks, or remove it"
            )
    if predict["images"] and not predict_inputs(config):
        raise SteelsegError(
            f"config: predict.images '{predict['images']}' matches no PNG, TIFF or JPEG file; "
            "fix the folder or pattern"
        )
