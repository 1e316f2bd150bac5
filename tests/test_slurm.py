"""profiles/slurm for real: the smoke workflow's jobs, from synth to two models' metrics, through
a one-node SLURM cluster on loopback.

tests/slurm/cluster.sh starts munged, slurmctld and slurmd (root and Debian's SLURM packages
needed; .ci/run installs them and sets STEELSEG_REQUIRE_SLURM=1 so that CI fails rather than
skips when they are missing). The node has partitions cpu and gpu and one emulated GPU.
"""

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from .conftest import REPO

CLUSTER = REPO / "tests" / "slurm" / "cluster.sh"
TOOLS = ("munged", "slurmctld", "slurmd", "sinfo", "sbatch", "squeue", "scontrol")


def _why_no_slurm() -> str | None:
    if os.geteuid() != 0:
        return "a local SLURM cluster needs root (slurmd)"
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        packages = "slurmctld slurmd slurm-client munge"
        return f"{', '.join(missing)} not installed (apt-get install {packages})"
    return None


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    """Environment for SLURM clients of a freshly started one-node cluster; stopped after."""
    reason = _why_no_slurm()
    if reason:
        if os.environ.get("STEELSEG_REQUIRE_SLURM"):
            pytest.fail(f"STEELSEG_REQUIRE_SLURM is set but {reason}")
        pytest.skip(reason)
    where = tmp_path_factory.mktemp("slurm")
    started = subprocess.run(
        [str(CLUSTER), "start", str(where)], capture_output=True, text=True, timeout=120
    )
    assert started.returncode == 0, started.stderr
    try:
        yield {**os.environ, "SLURM_CONF": str(where / "slurm.conf")}
    finally:
        subprocess.run([str(CLUSTER), "stop", str(where)], timeout=60)


def scontrol_job(job_id: str, env) -> dict[str, str]:
    """Fields of `scontrol show job` (finished jobs stay visible for MinJobAge = 3600 s)."""
    shown = subprocess.run(
        ["scontrol", "show", "job", job_id], capture_output=True, text=True, env=env
    )
    assert shown.returncode == 0, shown.stderr
    return dict(re.findall(r"(\w+)=(\S*)", shown.stdout))


# One model per network family that matters here: every rule kind, CPU and GPU, goes through
# SLURM; the other three models' jobs are the same rules again (the smoke test runs them all).
MODELS = ["unet", "deeplabv3plus_mobilenetv2"]


@pytest.mark.slow
def test_smoke_workflow_runs_every_job_under_slurm(slurm, tmp_path):
    targets = [f"results/smoke/metrics/exact_truth/{model}.json" for model in MODELS]
    command = [
        "timeout",
        "1500",
        sys.executable,
        "-m",
        "snakemake",
        "--snakefile",
        str(REPO / "Snakefile"),
        "--directory",
        str(tmp_path),
        "--profile",
        str(REPO / "profiles" / "slurm"),
        "--configfile",
        str(REPO / "workflow" / "presets" / "smoke.yaml"),
        # Without slurmdbd there is no sacct: poll squeue (MinJobAge keeps finished jobs in it).
        "--slurm-status-command",
        "squeue",
        "--slurm-init-seconds-before-status-checks",
        "2",
        "--slurm-keep-successful-logs",
        "--jobs",
        "2",
        *targets,
    ]
    run = subprocess.run(command, capture_output=True, text=True, env=slurm)
    assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]
    logs = tmp_path / ".snakemake" / "slurm_logs"
    for model, target in zip(MODELS, targets, strict=True):
        assert json.loads((tmp_path / target).read_text())["reference"] == "exact_truth"
        # The plugin names each job's log by its SLURM job id; SLURM knows that job.
        (log,) = (logs / "rule_train" / model).glob("*.log")
        job = scontrol_job(log.stem, slurm)
        assert job["JobState"] == "COMPLETED" and job["Partition"] == "gpu", job
        assert job["TresPerJob"] == "gres:gpu:1", job  # sbatch --gpus=1
        assert log.read_text().strip(), log
    (log,) = (logs / "rule_rf_masks").glob("*.log")
    job = scontrol_job(log.stem, slurm)
    assert job["JobState"] == "COMPLETED" and job["Partition"] == "cpu", job
    submitted = {p.relative_to(logs).parts[0] for p in logs.rglob("*.log")}
    for rule in ("synth", "tile", "split", "test_labels", "predict_tiles", "evaluate_exact_truth"):
        assert f"rule_{rule}" in submitted, submitted
