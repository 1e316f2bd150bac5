"""Cross-validation summary: each model's whole-image test scores over the folds as mean ± std,
next to published results on the same data (e.g. UHCS-24: DeCost et al. 2019, Luengo et al. 2022).

Reads only ``<fold>/metrics/whole_images/<reference>/<model>.json`` under each fold's results
folder (``results/<dataset>/folds/<k>``) and an optional TSV of published figures with columns
method, source, protocol, pixel_accuracy, pixel_accuracy_std, mean_iou, mean_iou_std (percent;
empty where not reported).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from tabulate import tabulate

from . import io
from .errors import SteelsegError
from .report import FAMILY

PUBLISHED_COLUMNS = ("method", "source", "protocol", "pixel_accuracy", "mean_iou")


def fold_scores(
    folds: list[Path], models: list[str], reference: str = "rf_masks"
) -> dict[str, list[dict]]:
    """Model -> the metrics JSON of every fold (all folds must have every model)."""
    scores: dict[str, list[dict]] = {}
    for model in models:
        scores[model] = []
        for fold in folds:
            path = Path(fold) / "metrics" / "whole_images" / reference / f"{model}.json"
            if not path.is_file():
                raise SteelsegError(
                    f"{path}: not found; run the workflow for this fold first (docs/own-data.md, "
                    "UHCS-24)"
                )
            scores[model].append(json.loads(path.read_text()))
    return scores


def _mean_std(values: list[float]) -> str:
    """'86.5 ± 1.6' in percent (sample standard deviation, as published CV figures)."""
    values = np.asarray([v for v in values if v is not None], float) * 100
    if len(values) == 0:
        return "–"
    if len(values) < 2:
        return f"{values.mean():.1f}"
    return f"{values.mean():.1f} ± {values.std(ddof=1):.1f}"


def read_published(path: str | Path) -> list[dict[str, str]]:
    return io.read_table(path, PUBLISHED_COLUMNS, "fix --published")


def _published_cell(row: dict[str, str], key: str) -> str:
    value, std = row.get(key, ""), row.get(f"{key}_std", "")
    if not value:
        return "–"
    return value + (f" ± {std}" if std else "")  # as published, with its precision


def comparison_table(
    scores: dict[str, list[dict]], classes: list[str], published: list[dict[str, str]]
) -> str:
    """Markdown: ours (mean ± std over folds) then the published rows."""
    headers = ["Method", "Folds", "Pixel accuracy %", "Mean IoU %", "Mean BF score %"]
    headers += [f"IoU {name} %" for name in classes]
    rows = []
    for model, runs in scores.items():
        row = [f"steelseg {FAMILY.get(model, model)}", str(len(runs))]
        row += [_mean_std([r[k] for r in runs]) for k in ("global_accuracy", "mean_iou")]
        row.append(_mean_std([r["mean_bf_score"] for r in runs]))
        for name in classes:
            # None where a class is absent from a fold's test images and its predictions.
            row.append(_mean_std([r["per_class"][name]["iou"] for r in runs]))
        rows.append(row)
    for entry in published:
        row = [f"{entry['method']} ({entry['source']})", entry["protocol"]]
        row += [_published_cell(entry, "pixel_accuracy"), _published_cell(entry, "mean_iou")]
        rows.append(row + ["–"] * (len(headers) - len(row)))
    return tabulate(rows, headers=headers, tablefmt="github")


def write_comparison(
    folds: list[Path],
    models: list[str],
    classes: list[str],
    out: str | Path,
    published: str | Path | None = None,
    reference: str = "rf_masks",
) -> str:
    scores = fold_scores(folds, models, reference)
    for model, runs in scores.items():
        missing = [c for c in classes if c not in runs[0]["per_class"]]
        if missing:
            raise SteelsegError(
                f"{folds[0]}: {model}'s metrics have no class {missing[0]}; give the classes "
                "the workflow was run with"
            )
    table = comparison_table(scores, classes, read_published(published) if published else [])
    text = (
        f"{table}\n\nOurs: whole test images through the sliding window, against the "
        f"{reference.replace('_', ' ')} (a data set's own dense masks where it has them), "
        f"mean ± sample std over {len(folds)} fold(s): "
        + ", ".join(str(f) for f in folds)
        + ". Pixel accuracy is the global accuracy.\n"
    )
    with io.atomic_file(out) as tmp:
        Path(tmp).write_text(text)
    return text
