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
        "docs/benchmarks.md",
        "docs/real-data-check/phase_fractions.csv",
        "config.yaml",
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


@pytest.mark.skipif(shutil.which("make") is None, reason="no make")
def test_setup_takes_torch_from_another_index_at_the_pinned_versions(tmp_path):
    def plan(*overrides: str) -> str:
        command = ["make", "-n", "-B", "setup", f"VENV={tmp_path}/venv", *overrides]
        return subprocess.run(command, cwd=REPO, check=True, capture_output=True, text=True).stdout

    index = "https://download.pytorch.org/whl/cpu"
    lines = plan(f"TORCH_INDEX={index}").splitlines()
    (torch_line,) = [line for line in lines if "--index-url" in line]
    assert f"--index-url {index} " in torch_line
    pinned = subprocess.run(
        ["bash", "-c", torch_line.split(index, 1)[1].strip().removeprefix("$").strip("()")],
        cwd=REPO,
        capture_output=True,
        text=True,
    ).stdout.split()
    requirements = (REPO / "requirements.txt").read_text().split()
    assert pinned == [r for r in requirements if r.startswith(("torch==", "torchvision=="))]
    assert len(pinned) == 2
    assert lines.index(torch_line) < next(i for i, x in enumerate(lines) if "-r requirements" in x)
    assert "--index-url" not in plan()  # the default route is unchanged
