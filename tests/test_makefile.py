"""The Makefile's own targets, run on a throw-away checkout."""

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


@pytest.mark.skipif(
    shutil.which("git") is None or shutil.which("make") is None, reason="no git/make"
)
def test_clean_removes_workflow_outputs_and_keeps_the_committed_reports(tmp_path):
    shutil.copy(REPO / "Makefile", tmp_path)
    shutil.copy(REPO / ".gitignore", tmp_path)
    committed = [
        "results/README.md",
        "results/benchmarks/predict.md",
        "results/lom-ferrite-pearlite/phase_fractions.csv",
    ]
    for name in committed:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("kept\n")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "-m", "reports")
    outputs = ["results/synthetic_c45e/models/unet/checkpoint.pt", ".snakemake/log/run.log"]
    for name in outputs:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("output\n")

    subprocess.run(["make", "clean"], cwd=tmp_path, check=True, capture_output=True)

    assert all((tmp_path / name).read_text() == "kept\n" for name in committed)
    assert not (tmp_path / "results/synthetic_c45e").exists()
    assert not (tmp_path / ".snakemake").exists()
