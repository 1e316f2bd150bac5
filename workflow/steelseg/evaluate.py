"""Score a folder of predicted label images against a folder of truth label images.

Files are matched by name. This is what the workflow runs on the test tiles and what a user runs
on any other tool's output (Weka, ilastik), so both are scored the same way.
"""

from __future__ import annotations

import csv
import json
from io import StringIO
from pathlib import Path

import numpy as np
from tqdm import tqdm

from . import io, metrics
from .errors import SteelsegError


def matched_files(pred_dir: Path, truth_dir: Path) -> list[tuple[Path, Path]]:
    for folder in (pred_dir, truth_dir):
        if not folder.is_dir():
            raise SteelsegError(f"{folder}: folder not found; check the path")
    preds, truths = io.list_images(pred_dir), io.list_images(truth_dir)
    if not truths:
        raise SteelsegError(f"{truth_dir}: no label images (PNG/TIFF) found")
    missing = sorted(set(truths) - set(preds))
    if missing:
        raise SteelsegError(
            f"{pred_dir}: no prediction for {len(missing)} truth image(s), e.g. "
            f"'{missing[0]}'; predict every image of {truth_dir}"
        )
    extra = sorted(set(preds) - set(truths))
    if extra:
        raise SteelsegError(
            f"{pred_dir / preds[extra[0]].name}: no truth image named '{extra[0]}' in "
            f"{truth_dir}; remove it or add its truth"
        )
    return [(preds[name], truths[name]) for name in sorted(truths)]


def read_groups(path: str | Path, names: list[str]) -> list[dict[str, str]]:
    """Each name's groups from a TSV whose ``file`` column holds the image names (file stems)
    and whose other columns are groupings (e.g. ``image``, ``sample``), in ``names``' order."""
    path = Path(path)
    if not path.is_file():
        raise SteelsegError(
            f"{path}: groups sheet not found; give a TSV with a 'file' column, or re-export the "
            "test tiles (steelseg export-tiles writes groups.tsv beside them)"
        )
    reader = csv.DictReader(StringIO(io.read_text(path), newline=""), delimiter="\t")
    if not reader.fieldnames or "file" not in reader.fieldnames or len(reader.fieldnames) < 2:
        raise SteelsegError(
            f"{path}: needs a 'file' column (image names) and at least one grouping column, "
            "tab-separated"
        )
    rows = {row["file"]: {k: v for k, v in row.items() if k != "file"} for row in reader}
    missing = [name for name in names if name not in rows]
    if missing:
        raise SteelsegError(
            f"{path}: no row for {len(missing)} image(s), e.g. '{missing[0]}'; add a row per image"
        )
    return [rows[name] for name in names]


def score_folders(
    pred_dir: str | Path,
    truth_dir: str | Path,
    class_names: list[str],
    scored_on: str = "tiles",
    reference: str | None = None,
    model: str | None = None,
    groups: str | Path | None = None,
) -> dict[str, object]:
    """Metrics over matched files; with ``groups`` (a TSV, see read_groups) also per group."""
    pred_dir, truth_dir = Path(pred_dir), Path(truth_dir)
    k = len(class_names)
    files = matched_files(pred_dir, truth_dir)
    group_rows = None if groups is None else read_groups(groups, [t.stem for _, t in files])
    # Binary 0/255 masks (two classes) are read as 0/1 in either folder, with a warning.
    binary_pred = io.binary_labels([p for p, _ in files], k, "prediction")
    binary_truth = io.binary_labels([t for _, t in files], k, "truth")

    def pairs():
        for pred_path, truth_path in tqdm(files, desc="evaluate", unit="image"):
            pred = io.read_labels(pred_path, k, what="prediction", ignore=True, binary=binary_pred)
            truth = io.read_labels(truth_path, k, what="truth", ignore=True, binary=binary_truth)
            if pred.shape != truth.shape:
                raise SteelsegError(
                    f"{pred_path}: size {pred.shape[1]}x{pred.shape[0]} differs from its truth "
                    f"{truth_path} ({truth.shape[1]}x{truth.shape[0]}); predict at full size"
                )
            # What the labels leave out (RF masks of a data set's exclude/) is not scored.
            yield np.where(pred == io.IGNORE, io.IGNORE, truth), pred

    result = metrics.evaluate_pairs(pairs(), class_names, group_rows)
    result.update(
        scored_on=scored_on,
        reference=reference,
        model=model,
        class_names=class_names,
        bf_tolerance=f"{100 * metrics.BF_TOLERANCE:g} % of each {scored_on[:-1]}'s diagonal",
    )
    return result


def write_json(result: dict[str, object], out: str | Path) -> None:
    with io.atomic_file(out) as tmp:
        tmp.write_text(json.dumps(result, indent=2))


def summary(result: dict[str, object], names: list[str]) -> str:
    """The scores as text: the five metrics, then one table per grouping (each group's size,
    scores and each class's predicted / true pixel share)."""
    from tabulate import tabulate

    keys = ["global_accuracy", "mean_accuracy", "mean_iou", "weighted_iou", "mean_bf_score"]
    parts = [tabulate([(k, result[k]) for k in keys], headers=["metric", "value"], floatfmt=".4f")]
    headers = ["n", "global acc.", "mean IoU", "mean BF", *(f"{n} % (pred / truth)" for n in names)]
    for grouping, values in result.get("per_group", {}).items():
        parts.append(tabulate(_group_rows(values, names), headers=[grouping, *headers]))
    return "\n\n".join(parts)


def _group_rows(values, names):
    def number(x):
        return "-" if x is None else f"{x:.3f}"

    rows = []
    for value, scores in values.items():
        classes = scores["per_class"]
        rows.append(
            [
                value,
                scores["n_images"],
                *(number(scores[k]) for k in ("global_accuracy", "mean_iou", "mean_bf_score")),
                *(
                    f"{100 * classes[n]['fraction_predicted']:.1f} / "
                    f"{100 * classes[n]['fraction_truth']:.1f}"
                    for n in names
                ),
            ]
        )
    return rows
