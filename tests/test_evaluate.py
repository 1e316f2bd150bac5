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


def _one_right_one_half_called(tmp_path):
    """All-pearlite truth for a and b; b's prediction calls half of it ferrite."""
    truth = np.ones((4, 4), np.uint8)
    half = truth.copy()
    half[:2] = 0
    return _folders(tmp_path, {"a": truth, "b": truth}, {"a": truth, "b": half})


def test_groups_sheet_gives_per_group_scores_and_names_its_problems(tmp_path):
    pred_dir, truth_dir = _one_right_one_half_called(tmp_path)
    sheet = tmp_path / "groups.tsv"
    sheet.write_text("file\tsample\na\tS1\nb\tS2\nunused\tS3\n")
    result = score_folders(pred_dir, truth_dir, ["ferrite", "pearlite"], groups=sheet)
    samples = result["per_group"]["sample"]
    assert list(samples) == ["S1", "S2"] and samples["S2"]["n_images"] == 1
    assert samples["S2"]["per_class"]["pearlite"]["fraction_predicted"] == 0.5
    sheet.write_text("file\tsample\na\tS1\n")
    with pytest.raises(SteelsegError, match=r"groups\.tsv: no row for 1 image.*'b'"):
        score_folders(pred_dir, truth_dir, ["ferrite", "pearlite"], groups=sheet)
    sheet.write_text("name\tsample\na\tS1\n")
    with pytest.raises(SteelsegError, match="needs a 'file' column"):
        score_folders(pred_dir, truth_dir, ["ferrite", "pearlite"], groups=sheet)
    with pytest.raises(SteelsegError, match="missing.tsv: groups sheet not found"):
        score_folders(pred_dir, truth_dir, ["ferrite", "pearlite"], groups=tmp_path / "missing.tsv")


def test_cli_prints_a_table_per_grouping(tmp_path):
    pred_dir, truth_dir = _one_right_one_half_called(tmp_path)
    sheet = tmp_path / "groups.tsv"
    sheet.write_text("file\tsample\na\tS1\nb\tS2\n")
    out = tmp_path / "m.json"
    args = ["evaluate", "--pred", pred_dir, "--truth", truth_dir, "--num-classes", "2"]
    args += ["--class-names", "ferrite,pearlite", "--groups", sheet, "--out", out]
    result = subprocess.run(
        [sys.executable, "-m", "steelseg", *map(str, args)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines() if line}
    assert "pearlite % (pred / truth)" in result.stdout
    assert rows["S2"][-3:] == ["50.0", "/", "100.0"] and rows["S1"][-3:] == ["100.0", "/", "100.0"]
    assert json.loads(out.read_text())["per_group"]["sample"]["S2"]["global_accuracy"] == 0.5
