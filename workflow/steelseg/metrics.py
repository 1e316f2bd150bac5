"""Semantic-segmentation metrics exactly as MATLAB's ``evaluateSemanticSegmentation``.

Pure numpy/scipy; knows nothing of models. Definitions (K classes, sums over all images):

* confusion matrix C, rows = ground truth, columns = prediction; normalised per row (%);
* global accuracy = trace(C) / sum(C);
* class accuracy = C[c, c] / sum(C[c, :]) (recall); mean accuracy = mean over classes, NaN skipped;
* class IoU = C[c, c] / (sum(C[c, :]) + sum(C[:, c]) - C[c, c]); mean IoU = mean, NaN skipped;
* weighted IoU = sum_c (ground-truth pixels of c * IoU_c) / total pixels;
* BF (boundary F1) score per image and class: the boundary of a binary mask is the mask minus
  its erosion by a 3x3 cross with zero padding (so region edges on the image border count);
  theta = 0.75 % of the image diagonal; precision = share of predicted boundary pixels with a
  ground-truth boundary pixel at distance < theta, recall the converse; F1 = 2PR / (P + R).
  A class absent from both prediction and truth is not scored (NaN); present in only one of
  them it scores 0. Per image: mean over scored classes; data set: mean over images; per class:
  mean over the images where it is scored.

Pixels labelled ``IGNORE`` (255, MATLAB's <undefined>: not specimen, e.g. a scale bar) in the
truth or the prediction are in no class: the confusion matrix leaves them out, and the BF score
treats them as outside the image (the prediction is blanked where the truth is undefined, so a
region's edge along a part left out counts in both, as along the image border).

(``smp.metrics.accuracy`` is (TP + TN) / all per class, not MATLAB's accuracy: not used here.)
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from scipy import ndimage

CROSS = ndimage.generate_binary_structure(2, 1)
BF_TOLERANCE = 0.0075  # fraction of the image diagonal (MATLAB's default)
IGNORE = 255  # = io.IGNORE; metrics knows no io


def confusion_matrix(truth: np.ndarray, pred: np.ndarray, num_classes: int) -> np.ndarray:
    """K x K pixel counts, rows = ground truth, columns = prediction; pixels ``IGNORE`` in
    either left out."""
    truth, pred = truth.ravel(), pred.ravel()
    if num_classes <= IGNORE and (IGNORE in truth or IGNORE in pred):
        kept = (truth != IGNORE) & (pred != IGNORE)
        truth, pred = truth[kept], pred[kept]
    index = truth.astype(np.int64) * num_classes + pred.astype(np.int64)
    return np.bincount(index, minlength=num_classes**2).reshape(num_classes, num_classes)


def boundary(mask: np.ndarray) -> np.ndarray:
    """Mask minus its erosion by a 3x3 cross, with zero padding outside the image."""
    mask = mask.astype(bool)
    return mask & ~ndimage.binary_erosion(mask, CROSS, border_value=0)


def _matched(source: np.ndarray, target: np.ndarray, theta: float) -> int:
    """Number of ``source`` boundary pixels with a ``target`` boundary pixel at distance < theta."""
    distance = ndimage.distance_transform_edt(~target)
    return int((distance[source] < theta).sum())


def bf_scores(
    truth: np.ndarray, pred: np.ndarray, num_classes: int, tolerance: float = BF_TOLERANCE
) -> np.ndarray:
    """BF score of each class in one image (NaN where the class is in neither mask)."""
    theta = tolerance * float(np.hypot(*truth.shape))
    scores = np.full(num_classes, np.nan)
    undefined = truth == IGNORE
    if undefined.any():
        pred = np.where(undefined, IGNORE, pred)
    for c in range(num_classes):
        gt_edge, pred_edge = boundary(truth == c), boundary(pred == c)
        n_gt, n_pred = int(gt_edge.sum()), int(pred_edge.sum())
        if n_gt == 0 and n_pred == 0:
            continue
        if n_gt == 0 or n_pred == 0:
            scores[c] = 0.0
            continue
        precision = _matched(pred_edge, gt_edge, theta) / n_pred
        recall = _matched(gt_edge, pred_edge, theta) / n_gt
        scores[c] = (
            0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
        )
    return scores


def _nanmean(values: np.ndarray) -> float:
    values = np.asarray(values, float)
    return float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")


def summarise(
    confusion: np.ndarray, bf_per_image: np.ndarray, class_names: list[str]
) -> dict[str, object]:
    """Data-set metrics from the summed confusion matrix and per-image BF scores (N x K)."""
    confusion = np.asarray(confusion, np.int64)
    tp = np.diag(confusion).astype(float)
    gt = confusion.sum(1).astype(float)
    union = gt + confusion.sum(0) - tp
    with np.errstate(divide="ignore", invalid="ignore"):
        accuracy = np.where(gt > 0, tp / gt, np.nan)
        iou = np.where(union > 0, tp / union, np.nan)
        normalised = np.where(gt[:, None] > 0, 100 * confusion / gt[:, None], np.nan)
    total = confusion.sum()
    bf_per_image = np.asarray(bf_per_image, float).reshape(-1, len(class_names))
    per_image_mean = [_nanmean(row) for row in bf_per_image]
    weighted = float(np.nansum(gt * iou) / total) if total else float("nan")

    def clean(x: float) -> float | None:
        return None if not np.isfinite(x) else float(x)

    return {
        "global_accuracy": clean(tp.sum() / total if total else np.nan),
        "mean_accuracy": clean(_nanmean(accuracy)),
        "mean_iou": clean(_nanmean(iou)),
        "weighted_iou": clean(weighted),
        "mean_bf_score": clean(_nanmean(per_image_mean)),
        "per_class": {
            name: {
                "accuracy": clean(accuracy[c]),
                "iou": clean(iou[c]),
                "bf_score": clean(_nanmean(bf_per_image[:, c])) if len(bf_per_image) else None,
            }
            for c, name in enumerate(class_names)
        },
        "confusion_matrix": confusion.tolist(),
        "confusion_matrix_normalised": [[clean(v) for v in row] for row in normalised],
        "n_images": int(len(bf_per_image)),
    }


def group_summary(
    confusion: np.ndarray, bf_per_image: np.ndarray, class_names: list[str]
) -> dict[str, object]:
    """``summarise`` of one group of images, with each class's share of the pixels in the truth
    and in the prediction (a model that under-calls a phase in one sample shows here)."""
    result = summarise(confusion, bf_per_image, class_names)
    confusion = np.asarray(confusion, np.int64)
    total = confusion.sum()
    for c, name in enumerate(class_names):
        result["per_class"][name].update(
            fraction_truth=float(confusion[c].sum() / total) if total else None,
            fraction_predicted=float(confusion[:, c].sum() / total) if total else None,
        )
    return result


def evaluate_pairs(
    pairs: Iterable[tuple[np.ndarray, np.ndarray]],
    class_names: list[str],
    groups: list[dict[str, str]] | None = None,
) -> dict[str, object]:
    """All metrics over (truth, prediction) label-image pairs.

    ``groups``: one {grouping: value} per pair, in order (e.g. {"sample": "S2", "image": ...}).
    Adds ``per_group[grouping][value]``: ``group_summary`` over that value's images, as MATLAB's
    ImageMetrics gives per image.
    """
    k = len(class_names)
    confusion = np.zeros((k, k), np.int64)
    per_image = []
    bf = []
    for truth, pred in pairs:
        per_image.append(confusion_matrix(truth, pred, k))
        confusion += per_image[-1]
        bf.append(bf_scores(truth, pred, k))
    bf = np.array(bf).reshape(-1, k)
    result = summarise(confusion, bf, class_names)
    if groups is None:
        return result
    if len(groups) != len(per_image):
        raise ValueError(f"{len(groups)} group rows for {len(per_image)} images")
    members: dict[str, dict[str, list[int]]] = {}
    for i, row in enumerate(groups):
        for grouping, value in row.items():
            members.setdefault(grouping, {}).setdefault(value, []).append(i)
    result["per_group"] = {
        grouping: {
            value: group_summary(sum(per_image[i] for i in rows), bf[rows], class_names)
            for value, rows in sorted(values.items())
        }
        for grouping, values in members.items()
    }
    return result
