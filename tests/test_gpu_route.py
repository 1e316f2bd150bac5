"""The GPU session's route (bench/gpu), rehearsed on the CPU with tiny settings: what the GPU
machine will run, so that a GPU call cannot fail on a missing install or a path."""

import json
import os
import re
import subprocess
import sys
import tarfile

import pytest

from .conftest import REPO, SHARED_DATA

TINY = (
    "train: {max_iterations: 2, validation_frequency: 2, workers: 0}\n"
    "models: {deeplabv3plus_mobilenetv2: {weights: null, batch_size: 4}}\n"
)


@pytest.mark.slow
def test_the_gpu_route_rehearsed_on_the_cpu(tmp_path):
    carry, out = tmp_path / "carry", tmp_path / "out"
    (tmp_path / "tiny.yaml").write_text(TINY)
    smoke = REPO / "workflow/presets/smoke.yaml"
    prepare = [sys.executable, REPO / "bench/gpu/prepare.py", "--carry", carry, "--workdir"]
    prepare += [tmp_path / "prepared", "--config", REPO / "config.yaml", "--config", smoke]
    done = subprocess.run(list(map(str, prepare)), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "MiB (limit 60)" in done.stdout
    assert list((carry / "wheels").glob("segmentation_models_pytorch-*.whl"))
    assert (carry / "smoke" / "split.tsv").is_file() and (carry / "smoke" / "masks").is_dir()
    env = os.environ | {"CARRY": str(carry), "OUT": str(out), "WORK": str(tmp_path / "work")}
    env |= {"DEVICE": "cpu", "SITE": str(tmp_path / "site")}
    env["PATH"] = f"{os.path.dirname(sys.executable)}:{env['PATH']}"
    out.mkdir()
    call = ["bash", REPO / "bench/gpu/call.sh", "paper", "--config", smoke, "--config"]
    call += [tmp_path / "tiny.yaml", "--models", "deeplabv3plus_mobilenetv2", "--at-once", "1"]
    done = subprocess.run(list(map(str, call)), capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    same, total = re.match(
        r"(\d+) of (\d+) files identical", (out / "hash_check.txt").read_text()
    ).groups()
    assert same == total and int(total) > 10  # the images regenerated from their seed
    log = (out / "progress.log").read_text()
    assert "Total training wall time:" in log and "done" in log
    with tarfile.open(out / "results.tar.gz") as tar:
        names = tar.getnames()
    assert any(n.endswith("tables/table3.md") for n in names)
    assert any(n.endswith("metrics/exact_truth/deeplabv3plus_mobilenetv2.json") for n in names)
    assert any("whole_images/exact_truth" in n for n in names)
    if not (SHARED_DATA / "uhcs24").is_dir():
        pytest.skip(f"{SHARED_DATA / 'uhcs24'}: UHCS-24 not found (call 2 not rehearsed)")
    # one fold, tiles unrotated: the BatchNorm statistics then take a quarter of the tiles
    (tmp_path / "one_fold.yaml").write_text(TINY + "split: {folds: [0]}\ntiles: {rotations: [0]}\n")
    call = [
        "bash",
        REPO / "bench/gpu/call.sh",
        "uhcs24",
        "--config",
        REPO / "bench/gpu/uhcs24.yaml",
    ]
    call += ["--config", tmp_path / "one_fold.yaml", "--models", "deeplabv3plus_mobilenetv2"]
    done = subprocess.run(list(map(str, call)), capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    with tarfile.open(out / "uhcs24.tar.gz") as tar:
        assert any(n.endswith("tables/comparison.md") for n in tar.getnames())
    determinism = json.loads((out / "determinism.json").read_text())
    assert determinism["differ"] == 0  # on the CPU, one thread count: bit for bit
