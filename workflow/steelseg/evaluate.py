"""Score a folder of predicted label images against a folder of truth label images.

Files are matched by name. This is what the workflow runs on the test tiles and what a user runs
on any other tool's output (Weka, ilastik), so both are scored the same way.
"""

from __future__ import annotations

import json
from pathlib import Path

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


def score_folders(
    pred_dir: str | Path,
    truth_dir: str | Path,
    class_names: list[str],
    scored_on: str = "tiles",
    reference: str | None = None,
    model: str | None = None,
) -> dict[str, object]:
    pred_dir, truth_dir = Path(pred_dir), Path(truth_dir)
    k = len(class_names)

    def pairs():
        for pred_path, truth_path in tqdm(
            matched_files(pred_dir, truth_dir), desc="evaluate", unit="image"
        ):
            pred = io.read_labels(pred_path, k, what="prediction")
            truth = io.read_labels(truth_path, k, what="truth")
            if pred.shape != truth.shape:
                raise SteelsegError(
                    f"{pred_path}: size {pred.shape[1]}x{pred.shape[0]} differs from its truth "
                    f"{truth_path} ({truth.shape[1]}x{truth.shape[0]}); predict at full size"
                )
            yield truth, pred

    result = metrics.evaluate_pairs(pairs(), class_names)
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
