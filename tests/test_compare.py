import json

import numpy as np
import pytest
from steelseg.compare import write_comparison
from steelseg.errors import SteelsegError

from .conftest import REPO

CLASSES = ["matrix", "network"]


def _fold(root, k, model, accuracy, iou, network_iou):
    path = root / "folds" / str(k) / "metrics" / "whole_images" / "rf_masks" / f"{model}.json"
    path.parent.mkdir(parents=True)
    per_class = {"matrix": {"iou": 0.9}, "network": {"iou": network_iou}}
    scores = {"global_accuracy": accuracy, "mean_iou": iou, "mean_bf_score": 0.5}
    path.write_text(json.dumps({**scores, "per_class": per_class}))
    return root / "folds" / str(k)


def test_mean_and_sample_std_over_folds_beside_published(tmp_path):
    accuracies, ious = [0.85, 0.88, 0.87], [0.70, 0.74, 0.72]
    folds = [
        _fold(tmp_path, k, "unet", a, i, None if k == 1 else 0.5)
        for k, (a, i) in enumerate(zip(accuracies, ious, strict=True))
    ]
    text = write_comparison(
        folds,
        ["unet"],
        CLASSES,
        tmp_path / "c.md",
        REPO / "workflow/published/uhcs24/published_results.tsv",
    )
    ours = next(line for line in text.splitlines() if "steelseg U-Net" in line)
    cells = [c.strip() for c in ours.strip("|").split("|")]
    assert cells[1] == "3"
    assert cells[2] == f"{np.mean(accuracies) * 100:.1f} ± {np.std(accuracies, ddof=1) * 100:.1f}"
    assert cells[3] == "72.0 ± 2.0"
    assert cells[5] == "90.0 ± 0.0" and cells[6] == "50.0 ± 0.0"  # fold 1's None is left out
    assert "86.5 ± 1.6" in text and "76.71" in text
    assert (tmp_path / "c.md").read_text() == text


def test_a_missing_fold_or_class_names_the_file(tmp_path):
    fold = _fold(tmp_path, 0, "unet", 0.8, 0.7, 0.5)
    with pytest.raises(SteelsegError, match=r"folds/0/metrics/whole_images/rf_masks/segnet.json"):
        write_comparison([fold], ["segnet"], CLASSES, tmp_path / "c.md")
    with pytest.raises(SteelsegError, match="no class ferrite"):
        write_comparison([fold], ["unet"], ["ferrite"], tmp_path / "c.md")
    with pytest.raises(SteelsegError, match="nope.tsv: not found; fix --published"):
        write_comparison([fold], ["unet"], CLASSES, tmp_path / "c.md", tmp_path / "nope.tsv")
    assert not (tmp_path / "c.md").exists()
