"""One GPU call: the workflow's steps run by their `steelseg` commands, the trainings side by side
on the one GPU, every finished part packed into --out as it is done (a call cut short still
returns them). The GPU machine has no Snakemake; the commands' options come from the config
exactly as the rules make them (``settings.cli_flags``).

Run (in the repository, after bench/gpu/prepare.py; bench/gpu/call.sh installs the wheels first):
  python bench/gpu/run.py paper  --carry .gpu --work /tmp/w --out $OUT [--device cuda] [--config F]
  python bench/gpu/run.py uhcs24 --carry .gpu --work /tmp/w --out $OUT [--device cuda] [--config F]

paper: config.yaml's data regenerated from their seed and checked against the carried hashes
(the RF masks and split are carried; regenerated where the images differ), tiles, five
trainings at once, test tiles and whole test images predicted and scored against the RF masks
and the exact truth, Tables 3-4 and figures. uhcs24: UHCS-24's folds x models, whole test
images scored, the comparison with the published figures; on a GPU also the predict benchmark
and two same-seed trainings (does the GPU repeat a training bit for bit?).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import tarfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "workflow"))
from steelseg import settings  # noqa: E402


class Call:
    """A call's configuration, folders and log; every step a `steelseg` command."""

    def __init__(self, args, configs: list[Path]):
        self.args, self.out, self.started = args, args.out, time.perf_counter()
        self.config = load_config(configs)
        self.name = self.config["dataset"]["name"]
        self.results = args.work / "results" / self.name
        self.cores = os.cpu_count() or 2
        self.out.mkdir(parents=True, exist_ok=True)

    def log(self, text: str) -> None:
        line = f"[{time.perf_counter() - self.started:7.1f} s] {text}"
        print(line, flush=True)
        with open(self.out / "progress.log", "a") as handle:
            handle.write(line + "\n")

    def steelseg(self, *args, log: str) -> float:
        """Run one command (its output in results/logs/<log>.log); its wall time."""
        path = self.results / "logs" / f"{log}.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        command = [sys.executable, "-m", "steelseg", *map(str, args)]
        with open(path, "w") as handle:
            done = subprocess.run(command, stdout=handle, stderr=subprocess.STDOUT)
        seconds = time.perf_counter() - start
        if done.returncode:
            self.log(f"FAILED {log} ({seconds:.0f} s): {path.read_text()[-1500:]}")
            raise SystemExit(done.returncode)
        self.log(f"{log}: {seconds:.1f} s")
        return seconds

    def flags(self, section: str, skip=()) -> list[str]:
        return shlex.split(settings.cli_flags(section, self.config[section], skip=skip))

    def pack(self, name: str, paths: list[Path]) -> None:
        """``paths`` (under the work folder) into --out/<name>.tar.gz."""
        with tarfile.open(self.out / f"{name}.tar.gz", "w:gz") as tar:
            for path in paths:
                if path.exists():
                    tar.add(path, arcname=path.relative_to(self.args.work))
        self.log(f"packed {name}.tar.gz")


def load_config(paths: list[Path]) -> dict:
    """The configs merged key by key as Snakemake merges them, each section's defaults filled."""
    merged: dict = {}
    for path in paths:
        merge(merged, yaml.safe_load(path.read_text()) or {})
    for section, spec in settings.schema()["properties"].items():
        if "default" in spec and section != "models":
            merged[section] = settings.defaults(section) | merged.get(section, {})
    merged.setdefault("models", settings.schema()["properties"]["models"]["default"])
    return merged


def merge(into: dict, update: dict) -> None:
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            merge(into[key], value)
        else:
            into[key] = value


def train_all(call: Call, runs: list[tuple[str, Path, Path]], at_once: int) -> float:
    """(model, split.tsv, model folder) trainings, ``at_once`` side by side; their wall time."""
    threads = max(1, call.cores // at_once)
    workers = min(2, max(0, threads - 1))

    def one(run):
        model, split, folder = run
        spec = call.config["models"][model]
        epochs = spec.get("epochs") or call.config["train"]["epochs"]
        weights = call.args.carry / "weights" / f"{model}.pt"  # ImageNet, fetched by prepare
        weights = weights if spec.get("weights") == "imagenet" else spec.get("weights") or "null"
        return call.steelseg(
            "train", "--tiles", call.results / "tiles", "--split", split, "--model", model,
            "--classes", classes(call), "--out", folder, "--batch-size", spec["batch_size"],
            "--weights", weights, "--epochs", epochs,
            *(["--final-relu"] if spec.get("final_relu") else []),
            *call.flags("train", skip=("threads", "workers", "device", "epochs")),
            "--device", call.args.device, "--threads", threads, "--workers", workers,
            log="train_" + "_".join(folder.relative_to(call.args.work).parts[-3:]),
        )  # fmt: skip

    start = time.perf_counter()
    with ThreadPoolExecutor(at_once) as pool:
        list(pool.map(one, runs))
    wall = time.perf_counter() - start
    call.log(f"Total training wall time: {int(wall // 60)} min {int(wall % 60)} s")
    return wall


def classes(call: Call) -> str:
    return ",".join(c["name"] for c in call.config["dataset"]["classes"])


def score_test_images(call: Call, root: Path, dataset: Path, models, references) -> None:
    """Whole test images of the run in ``root``: exported, predicted, scored per reference."""
    call.steelseg(
        "export-images", "--dataset", dataset, "--masks", root / "masks", "--split",
        root / "split.tsv", "--classes", classes(call), "--out", root / "test_images",
        log=f"test_images_{root.name}",
    )  # fmt: skip
    window = call.flags("predict", skip=tuple(set(call.config["predict"]) - {"tile", "overlap"}))
    for model in models:
        out = root / "predictions" / model / "test_images"
        exclude = root / "test_images" / "exclude"
        call.steelseg(
            "predict", root / "test_images" / "images", "--checkpoint",
            root / "models" / model / "checkpoint.pt", "--out", out, *window,
            "--device", call.args.device, *(["--exclude", exclude] if exclude.is_dir() else []),
            log=f"predict_images_{root.name}_{model}",
        )  # fmt: skip
        for reference in references:
            call.steelseg(
                "evaluate", "--pred", out / "masks", "--truth", root / "test_images" / reference,
                "--num-classes", len(call.config["dataset"]["classes"]), "--class-names",
                classes(call), "--scored-on", "images", "--reference", reference, "--model",
                model, "--out", root / "metrics" / "whole_images" / reference / f"{model}.json",
                log=f"evaluate_images_{root.name}_{reference}_{model}",
            )  # fmt: skip


def regenerate(call: Call, carried: Path) -> bool:
    """The data set from its seed; whether every file is the one the carried masks were made
    from (else the masks and split are made here)."""
    synth = call.config["synth"]
    processes = max(1, min(call.cores // 2, synth["threads"] * 2))  # ~6 GB each
    call.steelseg(
        "synth", "--out", call.results / "dataset", *call.flags("synth", skip=("threads",)),
        "--workers", processes, log="synth",
    )  # fmt: skip
    expected = read_manifest(carried / "manifest.sha256")
    differ = [
        name
        for name, digest in expected.items()
        if hashlib.sha256((call.results / "dataset" / name).read_bytes()).hexdigest() != digest
    ]
    (call.out / "hash_check.txt").write_text(
        f"{len(expected) - len(differ)} of {len(expected)} files identical by sha256\n"
        + "".join(f"differs: {name}\n" for name in differ)
    )
    call.log(f"hash check: {len(differ)} of {len(expected)} files differ")
    return not differ


def read_manifest(path: Path) -> dict[str, str]:
    """File -> sha256 from a manifest (sha256sum's format)."""
    rows = (line.split("  ", 1) for line in path.read_text().splitlines() if line)
    return {name: digest for digest, name in rows}


def data_steps(call: Call, carried: Path, identical: bool) -> None:
    """RF masks and split (carried where the images are identical), tiles."""
    results = call.results
    if identical:
        shutil.copytree(carried / "masks", results / "masks")
        shutil.copy(carried / "rf_quality.json", results / "rf_quality.json")
    else:
        call.steelseg(
            "rf-masks", "--dataset", results / "dataset", "--classes", classes(call), "--out",
            results / "masks", "--quality", results / "rf_quality.json",
            *call.flags("rf", skip=("threads",)), "--threads", call.cores, log="rf_masks",
        )  # fmt: skip
    call.steelseg(
        "tile", "--dataset", results / "dataset", "--masks", results / "masks", "--classes",
        classes(call), "--out", results / "tiles", *call.flags("tiles"), log="tile",
    )  # fmt: skip
    if identical:
        shutil.copy(carried / "split.tsv", results / "split.tsv")
    else:
        split = call.config["split"]
        fractions = ",".join(str(split["fractions"][s]) for s in settings.SETS)
        call.steelseg(
            "split", "--tiles", results / "tiles", "--out", results / "split.tsv",
            *call.flags("split", skip=("file", "folds", "fractions")), "--fractions", fractions,
            log="split",
        )  # fmt: skip


def paper(call: Call) -> None:
    carried, results, models = (
        call.args.carry / call.name,
        call.results,
        list(call.config["models"]),
    )
    data_steps(call, carried, regenerate(call, carried))
    runs = [(m, results / "split.tsv", results / "models" / m) for m in models]
    wall = train_all(call, runs, len(models))
    call.pack("trainings", [results / "models" / m / f for m in models for f in (
        "summary.json", "train_log.csv", "curves.png")] + [results / "logs"])  # fmt: skip
    for reference, labels in (("rf_masks", "masks"), ("exact_truth", "truth")):
        call.steelseg(
            "export-tiles", "--tiles", results / "tiles", "--split", results / "split.tsv",
            "--labels", labels, "--out", results / "test_tiles" / reference,
            log=f"test_labels_{reference}",
        )  # fmt: skip
    for model in models:
        pred = results / "predictions" / model / "test_tiles"
        call.steelseg(
            "predict-tiles", "--checkpoint", results / "models" / model / "checkpoint.pt",
            "--tiles", results / "tiles", "--split", results / "split.tsv", "--out", pred,
            "--device", call.args.device, "--threads", call.cores, log=f"predict_tiles_{model}",
        )  # fmt: skip
        for reference in ("rf_masks", "exact_truth"):
            truth = results / "test_tiles" / reference
            metrics = results / "metrics" / ("" if reference == "rf_masks" else reference)
            call.steelseg(
                "evaluate", "--pred", pred, "--truth", truth, "--num-classes", 2,
                "--class-names", classes(call), "--scored-on", "tiles", "--reference", reference,
                "--model", model, "--groups", truth / "groups.tsv", "--out",
                metrics / f"{model}.json", log=f"evaluate_{reference}_{model}",
            )  # fmt: skip
    if call.config["split"]["mode"] != "paper":
        score_test_images(call, results, results / "dataset", models, ("rf_masks", "exact_truth"))
    report(call, models, wall)


def report(call: Call, models: list[str], wall: float) -> None:
    results = call.results
    colours = ",".join(c["color"] for c in call.config["dataset"]["classes"])
    call.steelseg(
        "report", "--results", results, "--models", ",".join(models), "--classes",
        classes(call), "--colors", colours, "--split-mode", call.config["split"]["mode"],
        log="report",
    )  # fmt: skip
    (results / "tables" / "total_training_wall_time.txt").write_text(
        f"Total training wall time: {int(wall // 60)} min {int(wall % 60)} s "
        f"({len(models)} trainings side by side)\n"
    )
    call.pack("results", [results / p for p in ("metrics", "tables", "figures", "rf_quality.json")])


def uhcs24(call: Call) -> None:
    data = call.args.carry / "uhcs24"
    folds_file = data / call.config["split"]["file"]
    folds = call.config["split"]["folds"] or sorted(json.loads(folds_file.read_text()), key=int)
    models, results = list(call.config["models"]), call.results
    call.steelseg(
        "tile", "--dataset", data, "--masks", data / "masks", "--classes", classes(call),
        "--out", results / "tiles", *call.flags("tiles"), log="tile",
    )  # fmt: skip
    runs = []
    for fold in map(str, folds):
        root = results / "folds" / fold
        root.mkdir(parents=True, exist_ok=True)
        call.steelseg(
            "split", "--tiles", results / "tiles", "--out", root / "split.tsv", "--mode",
            "folds", "--assignment", folds_file, "--fold", fold, log=f"split_{fold}",
        )  # fmt: skip
        (root / "masks").symlink_to(data / "masks")
        runs += [(m, root / "split.tsv", root / "models" / m) for m in models]
    train_all(call, runs, min(len(runs), call.args.at_once))
    for fold in map(str, folds):
        score_test_images(call, results / "folds" / fold, data, models, ("rf_masks",))
    published = REPO / call.config["dataset"]["published"]
    call.steelseg(
        "compare", *(results / "folds" / str(f) for f in folds), "--models", ",".join(models),
        "--classes", classes(call), "--published", published, "--out",
        results / "tables" / "comparison.md", log="compare",
    )  # fmt: skip
    call.pack("uhcs24", [results / "tables", results / "folds", results / "logs"])
    determinism(call, runs[0])
    if call.args.device == "cuda":
        benchmark = [sys.executable, str(REPO / "bench/bench_predict.py"), "--device", "cuda"]
        benchmark += ["--threads", str(call.cores), "--images", "20"]
        done = subprocess.run(benchmark, capture_output=True, text=True)
        (call.out / "bench_predict.md").write_text(f"$ {shlex.join(benchmark[1:])}\n" + done.stdout)
        call.log(f"bench_predict: exit {done.returncode}")


def determinism(call: Call, run: tuple[str, Path, Path]) -> None:
    """The first training again, twice, with the same seed: equal weights or not."""
    import torch

    model, split, _ = run
    folders = [call.args.work / "determinism" / str(k) for k in (1, 2)]
    train_all(call, [(model, split, folder) for folder in folders], 1)
    a, b = (torch.load(f / "checkpoint.pt", weights_only=True)["state_dict"] for f in folders)
    differ = {
        k: float((a[k].float() - b[k].float()).abs().max())
        for k in a
        if not torch.equal(a[k], b[k])
    }
    result = {"model": model, "device": call.args.device, "tensors": len(a), "differ": len(differ),
              "max_abs_difference": max(differ.values(), default=0.0)}  # fmt: skip
    (call.out / "determinism.json").write_text(json.dumps(result, indent=2))
    call.log(f"determinism: {len(differ)} of {len(a)} tensors differ")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("call", choices=["paper", "uhcs24"])
    parser.add_argument("--carry", type=Path, default=REPO / ".gpu")
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    parser.add_argument("--config", type=Path, action="append", help="presets after config.yaml")
    parser.add_argument("--at-once", type=int, default=5, help="trainings side by side")
    parser.add_argument("--models", help="only these models, comma-separated (default: all)")
    args = parser.parse_args()
    args.work, args.carry = args.work.resolve(), args.carry.resolve()
    presets = [REPO / "workflow/presets/uhcs24.yaml"] if args.call == "uhcs24" else []
    call = Call(args, [REPO / "config.yaml", *presets, *(args.config or [])])
    if args.models:
        call.config["models"] = {m: call.config["models"][m] for m in args.models.split(",")}
    call.log(f"{args.call} on {args.device}, {call.cores} cores, data set {call.name}")
    paper(call) if args.call == "paper" else uhcs24(call)
    call.log("done")


if __name__ == "__main__":
    main()
