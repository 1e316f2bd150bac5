"""Prepare a GPU session on this (CPU) machine: what the GPU machine cannot do or should not spend
its minutes on, in one folder that travels with the working tree (`make gpu-prepare`).

Run: python bench/gpu/prepare.py [--config FILE ...] [--carry .gpu] [--cores 2] [--no-wheels]
(configs: config.yaml first, as the workflow reads it, then presets)

- wheels/: the packages the GPU machine's Python lacks (segmentation-models-pytorch), for its
  Python 3.12 on x86-64, at the versions requirements.txt pins;
- <dataset>/: the default data set's RF masks, rf_quality.json and split.tsv, made here by the
  workflow itself, and manifest.sha256 of the data set's files: the GPU machine regenerates the
  images from their seed (they are too large to carry) and checks them against it;
- uhcs24/: the UHCS-24 data set folder (from ../shared/data, which does not travel).

Prints the size of what will travel (working tree + carry), which must stay under 64 MiB.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
LIMIT_MIB = 60  # the device tool copies at most 64 MiB of working tree
WHEELS = ("segmentation-models-pytorch",)  # what the GPU image lacks (its package list)
PLATFORMS = ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64", "any")


def pinned(name: str) -> str:
    for line in (REPO / "requirements.txt").read_text().splitlines():
        if line.split("==")[0].strip().lower() == name:
            return line.strip()
    raise SystemExit(f"requirements.txt pins no {name}")


def download_wheels(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    platforms = [arg for p in PLATFORMS for arg in ("--platform", p)]
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
    command += ["--only-binary=:all:", "--python-version", "3.12", "--implementation", "cp"]
    subprocess.run([*command, *platforms, "-d", str(folder), *map(pinned, WHEELS)], check=True)


def dataset_name(configs: list[Path]) -> str:
    name = None
    for path in configs:
        name = (yaml.safe_load(path.read_text()) or {}).get("dataset", {}).get("name", name)
    return name


def manifest(folder: Path) -> str:
    """sha256 and path of every file of a data set folder (steelseg's marker aside)."""
    rows = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if not path.name.startswith("."):
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            rows.append(f"{digest}  {path.relative_to(folder)}")
    return "\n".join(rows) + "\n"


def prepare_dataset(configs: list[Path], carry: Path, cores: int, workdir: Path) -> None:
    """The workflow's data steps (in ``workdir``); their small outputs into ``carry``/<name>."""
    name = dataset_name(configs)
    results = workdir / "results" / name
    targets = [f"results/{name}/{t}" for t in ("masks", "rf_quality.json", "split.tsv")]
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile")]
    command += ["--directory", str(workdir), "--cores", str(cores), *targets]
    subprocess.run([*command, "--configfile", *map(str, configs)], check=True)
    out = carry / name
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(results / "masks", out / "masks")
    for file in ("rf_quality.json", "split.tsv"):
        shutil.copy(results / file, out / file)
    (out / "manifest.sha256").write_text(manifest(results / "dataset"))


def size_mib(paths) -> float:
    return sum(p.stat().st_size for p in paths if p.is_file()) / 2**20


def tracked_mib() -> float:
    names = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True
    ).stdout.decode()
    return size_mib(REPO / n for n in names.split("\0") if n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, action="append", help="default: config.yaml")
    parser.add_argument("--carry", type=Path, default=REPO / ".gpu")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=REPO, help="where the workflow runs")
    parser.add_argument("--no-wheels", action="store_true", help="the wheels are there")
    parser.add_argument(
        "--imagenet", action="store_true", help="also fetch the ImageNet encoders (internet)"
    )
    parser.add_argument("--uhcs24", type=Path, default=REPO.parent / "shared" / "data" / "uhcs24")
    args = parser.parse_args()
    configs = [c.resolve() for c in (args.config or [REPO / "config.yaml"])]
    if not args.no_wheels:
        download_wheels(args.carry / "wheels")
    prepare_dataset(configs, args.carry, args.cores, args.workdir.resolve())
    if args.imagenet:  # for the paper preset's encoders; the GPU machine has no internet
        for model in (
            "segnet",
            *(f"deeplabv3plus_{e}" for e in ("resnet50", "resnet18", "mobilenetv2")),
        ):
            out = args.carry / "weights" / f"{model}.pt"
            command = [sys.executable, "-m", "steelseg", "fetch-weights", "--model", model]
            subprocess.run([*command, "--out", str(out)], check=True)
    if args.uhcs24.is_dir():
        shutil.copytree(args.uhcs24, args.carry / "uhcs24", dirs_exist_ok=True)
    else:
        print(f"{args.uhcs24}: not found; call 2 (UHCS-24) will have no data", file=sys.stderr)
    carried, tree = size_mib(args.carry.rglob("*")), tracked_mib()
    print(f"carry {args.carry}: {carried:.1f} MiB; tracked tree {tree:.1f} MiB; together "
          f"{carried + tree:.1f} MiB (limit {LIMIT_MIB})")  # fmt: skip
    if carried + tree > LIMIT_MIB:
        raise SystemExit(f"{carried + tree:.1f} MiB would travel: over {LIMIT_MIB} MiB")


if __name__ == "__main__":
    main()
