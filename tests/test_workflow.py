"""The Snakemake workflow itself: a real smoke run, config validation, real public data."""

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from steelseg.models import MODELS

from .conftest import REPO, SHARED_DATA

SNAKEMAKE = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile")]


def snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    """Run the workflow in ``workdir``; ``output`` holds stdout and stderr together."""
    return subprocess.run(
        [*SNAKEMAKE, "--directory", str(workdir), "--cores", "2", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.mark.slow
def test_smoke_run_from_nothing_to_trained_models(tmp_path):
    result = snakemake(tmp_path, "--configfile", str(REPO / "workflow/presets/smoke.yaml"))
    assert result.returncode == 0, result.stdout[-3000:]
    out = tmp_path / "results" / "smoke"
    quality = json.loads((out / "rf_quality.json").read_text())
    assert quality["reference"] == "exact_truth" and quality["pixel_accuracy"] > 0.9
    with open(out / "split.tsv") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert len(rows) == 6 * 64  # 6 images of 256 px: 4x4 crops of 64 px x 4 rotations
    assert {r["set"] for r in rows} == {"train", "val", "test"}
    for step in ("synth", "rf_masks", "tile", "split"):
        assert (out / "logs" / f"{step}.log").stat().st_size > 0
    for model in MODELS:
        summary = json.loads((out / "models" / model / "summary.json").read_text())
        assert summary["iterations"] == 4 and summary["train_tiles"] > 0
        assert (out / "models" / model / "checkpoint.pt").stat().st_size > 100_000


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("rf={'treez': 3}", "treez"),
        ("tiles={'size': 'big'}", "big"),
        ("split={'mode': 'random'}", "random"),
    ],
)
def test_config_typo_stops_at_start_naming_the_key(tmp_path, override, message):
    result = snakemake(
        tmp_path,
        "-n",
        "--configfile",
        str(REPO / "workflow/presets/smoke.yaml"),
        "--config",
        override,
    )
    assert result.returncode != 0
    assert message in result.stdout
    assert not (tmp_path / "results").exists()


def test_folder_source_needs_an_existing_path(tmp_path):
    result = snakemake(
        tmp_path,
        "-n",
        "--configfile",
        str(REPO / "config.yaml"),
        "--config",
        "dataset={'source': 'folder', 'path': '/nonexistent/set'}",
    )
    assert result.returncode != 0
    assert "dataset.path '/nonexistent/set' is not a folder" in result.stdout


@pytest.mark.slow
@pytest.mark.skipif(
    not (SHARED_DATA / "uhcs24").is_dir(),
    reason=f"UHCS-24 not found at {SHARED_DATA / 'uhcs24'} (set STEELSEG_SHARED_DATA)",
)
def test_uhcs24_runs_through_the_data_steps_unchanged(tmp_path):
    # A copy-free run: the config points at the shared folder, read-only.
    result = snakemake(
        tmp_path,
        "--configfile",
        str(REPO / "workflow/presets/uhcs24.yaml"),
        "--config",
        f"dataset={{'path': '{SHARED_DATA / 'uhcs24'}'}}",
        "--",
        "results/uhcs24/rf_quality.json",
        "results/uhcs24/split.tsv",
    )
    assert result.returncode == 0, result.stdout[-3000:]
    out = tmp_path / "results" / "uhcs24"
    meta = json.loads((out / "tiles" / "meta.json").read_text())
    # 645x484 covered by 3x3 crops of 224 (last row/column overlapping), 4 rotations.
    assert meta["tiles"] == 24 * 9 * 4 and meta["num_classes"] == 4
    quality = json.loads((out / "rf_quality.json").read_text())
    assert quality["reference"] is None  # dense masks used as is; no exact truth to score
    with open(out / "split.tsv") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    by_image = {}
    for row in rows:
        by_image.setdefault(row["image"], set()).add(row["set"])
    assert all(len(s) == 1 for s in by_image.values())  # grouped: no leakage
