"""Standalone scoring of label folders: what a user runs on Weka or ilastik output."""

import json
import subprocess
import sys

import numpy as np
import pytest
from steelseg import io
from steelseg.errors import SteelsegError
from steelseg.evaluate import score_folders

CONTRACT_KEYS = {
    "global_accuracy",
    "mean_accuracy",
    "mean_iou",
    "weighted_iou",
    "mean_bf_score",
    "per_class",
    "confusion_matrix",
    "confusion_matrix_normalised",
    "n_images",
    "scored_on",
    "reference",
}


def _folders(tmp_path, truths, preds):
    for kind, labels in (("truth", truths), ("pred", preds)):
        for name, array in labels.items():
            io.write_png(tmp_path / kind / f"{name}.png", np.asarray(array, np.uint8))
    return tmp_path / "pred", tmp_path / "truth"


def test_scores_matching_files_with_the_contract_keys(tmp_path):
    truth = np.zeros((20, 20), np.uint8)
    truth[:, 10:] = 1
    pred = truth.copy()
    pred[0, 0] = 1
    pred_dir, truth_dir = _folders(tmp_path, {"a": truth, "b": truth}, {"a": pred, "b": truth})
    result = score_folders(pred_dir, truth_dir, ["ferrite", "pearlite"], "images", "manual")
    assert CONTRACT_KEYS <= set(result)
    assert result["n_images"] == 2 and result["scored_on"] == "images"
    assert result["confusion_matrix"] == [[399, 1], [0, 400]]
    assert result["global_accuracy"] == pytest.approx(799 / 800)
    assert set(result["per_class"]) == {"ferrite", "pearlite"}


def test_missing_extra_and_mismatched_files(tmp_path):
    square = np.zeros((8, 8))
    pred_dir, truth_dir = _folders(tmp_path, {"a": square, "b": square}, {"a": square})
    with pytest.raises(SteelsegError, match="no prediction for 1 truth image.*'b'"):
        score_folders(pred_dir, truth_dir, ["x", "y"])
    io.write_png(pred_dir / "b.png", np.zeros((4, 8), np.uint8))
    with pytest.raises(SteelsegError, match=r"b\.png: size 8x4 differs from its truth"):
        score_folders(pred_dir, truth_dir, ["x", "y"])
    io.write_png(pred_dir / "b.png", np.zeros((8, 8), np.uint8))
    io.write_png(pred_dir / "c.png", np.zeros((8, 8), np.uint8))
    with pytest.raises(SteelsegError, match=r"c\.png: no truth image named 'c'"):
        score_folders(pred_dir, truth_dir, ["x", "y"])


def test_cli_writes_json_and_refuses_unknown_labels(tmp_path):
    truth = np.array([[0, 1], [2, 1]])
    pred_dir, truth_dir = _folders(tmp_path, {"a": truth}, {"a": truth})
    out = tmp_path / "m.json"
    args = [
        sys.executable,
        "-m",
        "steelseg",
        "evaluate",
        "--pred",
        pred_dir,
        "--truth",
        truth_dir,
        "--out",
        out,
    ]
    result = subprocess.run([*map(str, args), "--num-classes", "3"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    saved = json.loads(out.read_text())
    assert saved["mean_iou"] == 1.0 and list(saved["per_class"]) == ["class0", "class1", "class2"]
    out.unlink()
    result = subprocess.run([*map(str, args), "--num-classes", "2"], capture_output=True, text=True)
    assert result.returncode == 2 and "a.png: prediction has value(s) [2] outside 0..1" in (
        result.stderr
    )
    assert not out.exists()
