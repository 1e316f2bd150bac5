"""Whole-micrograph prediction: seconds per 2080x1542 image, peak memory, time outside the network.

Run: python bench/bench_predict.py [--threads 2] [--images 3] [--models all] [--device cpu]
     [--batch 8] [--io-threads N] [--ci e562|integral-range]
Each model runs in its own process (so peak memory is its own) through the same code as
`steelseg predict` (read, sliding window with 224 px windows and 32 px overlap, blend, masks,
overlays, phase fractions and their 95 % intervals, `--ci` as predict's). Weights are random:
speed does not depend on them. The model "pipeline" is a single 1x1 convolution standing in for
an infinitely fast network: its seconds per image are the pace of everything else, the most
any accelerator can reach.
Targets: DeepLabV3+/MobileNetV2 <= 3 s per image on 2 CPU cores; time outside the
forward pass (tiling, blending, I/O) < 10 %. Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

MODELS = [
    "deeplabv3plus_mobilenetv2",
    "deeplabv3plus_resnet18",
    "deeplabv3plus_resnet50",
    "unet",
    "segnet",
]
PIPELINE = "pipeline"  # a 1x1 convolution: the pace of everything but the network


def make_checkpoint(model: str, path: Path) -> None:
    import torch
    from steelseg.models import build_model
    from steelseg.network import IMAGENET_MEAN, IMAGENET_STD

    torch.manual_seed(0)
    payload = {
        "model_name": model,
        "num_classes": 2,
        "class_names": ["ferrite", "pearlite"],
        "state_dict": build_model(model, 2).state_dict(),
        "mean": list(IMAGENET_MEAN),
        "std": list(IMAGENET_STD),
        "tile_size": 224,
    }
    torch.save(payload, path)


def one_model(
    model: str,
    images: list[Path],
    device: str,
    threads: int,
    batch: int,
    io_threads: int | None,
    ci: str,
) -> dict[str, object]:
    """Time one model over the images (the first one warms up and is not counted)."""
    import torch
    from steelseg.predict import SlidingWindow, WindowSpec, predict_images
    from steelseg.quantify import Sampling

    torch.set_num_threads(threads)
    with tempfile.TemporaryDirectory() as tmp:
        checkpoint = Path(tmp) / "checkpoint.pt"
        make_checkpoint(MODELS[0] if model == PIPELINE else model, checkpoint)
        predictor = SlidingWindow(
            checkpoint, WindowSpec(tile=224, overlap=32, batch_size=batch), device
        )
        if model == PIPELINE:
            network = torch.nn.Conv2d(3, 2, 1).to(predictor.device).eval()
            predictor.members = [(network, predictor.members[0][1])]
        sampling = Sampling(method=ci)
        predict_images(
            images[:1], predictor, Path(tmp) / "warm", io_threads=io_threads, sampling=sampling
        )
        predictor.forward_seconds = 0.0
        if predictor.device.type == "cuda":
            torch.cuda.reset_peak_memory_stats()
        start = time.perf_counter()
        predict_images(
            images[1:], predictor, Path(tmp) / "out", io_threads=io_threads, sampling=sampling
        )
        wall = time.perf_counter() - start
    n = len(images) - 1
    result = {
        "model": model,
        "device": str(predictor.device),
        "s_per_image": wall / n,
        "forward_s_per_image": predictor.forward_seconds / n,
        "outside_share": 1 - predictor.forward_seconds / wall,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    if predictor.device.type == "cuda":
        result["peak_gpu_mib"] = torch.cuda.max_memory_allocated() / 2**20
    return result


def write_images(folder: Path, count: int) -> list[Path]:
    """Synthetic C45E micrographs at the paper's size, as PNG files."""
    from steelseg import io, synth

    rng = np.random.default_rng(0)
    paths = []
    for i in range(count):
        look = synth.sample_look(rng)
        image, _, _ = synth.micrograph(rng, 1542, 2080, 0.57, 60, synth.ANNEALED, look)
        paths.append(folder / f"micrograph_{i}.png")
        io.write_png(paths[-1], image)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--images", type=int, default=3, help="timed images (+1 warm-up)")
    parser.add_argument("--models", default="all", help="comma-separated, or all")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda", "auto"])
    parser.add_argument("--batch", type=int, default=8, help="windows per forward pass")
    parser.add_argument(
        "--io-threads", type=int, help="reader and writer threads (default: predict's)"
    )
    parser.add_argument(
        "--ci", default="e562", choices=["e562", "integral-range"], help="the intervals' method"
    )
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: time one model
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        images = sorted(Path(args.folder).glob("*.png"))
        timed = one_model(
            args.one, images, args.device, args.threads, args.batch, args.io_threads, args.ci
        )
        print(json.dumps(timed))
        return
    from tabulate import tabulate

    models = [*MODELS, PIPELINE] if args.models == "all" else args.models.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        write_images(Path(tmp), args.images + 1)
        rows = []
        for model in models:
            done = subprocess.run(
                [sys.executable, __file__, "--one", model, "--folder", tmp]
                + [
                    "--device",
                    args.device,
                    "--threads",
                    str(args.threads),
                    "--batch",
                    str(args.batch),
                    "--ci",
                    args.ci,
                ]
                + (["--io-threads", str(args.io_threads)] if args.io_threads else []),
                capture_output=True,
                text=True,
                check=True,
            )
            r = json.loads(done.stdout.strip().splitlines()[-1])
            rows.append(
                [
                    r["model"],
                    r["device"],
                    f"{r['s_per_image']:.2f}",
                    f"{r['forward_s_per_image']:.2f}",
                    f"{100 * r['outside_share']:.1f} %",
                    f"{r['peak_rss_mib']:.0f}",
                    f"{r['peak_gpu_mib']:.0f}" if "peak_gpu_mib" in r else "—",
                ]
            )
    print(
        f"2080 x 1542 px micrographs, {args.images} timed per model, 224 px windows, 32 px "
        f"overlap, {args.batch} windows per batch, {args.threads} CPU thread(s), "
        f"{args.io_threads or 'default'} reader/writer thread(s), --ci {args.ci}"
    )
    headers = [
        "model",
        "device",
        "s / image",
        "forward s / image",
        "outside forward",
        "peak RSS MiB",
        "peak GPU MiB",
    ]
    print(tabulate(rows, headers=headers, tablefmt="github"))


if __name__ == "__main__":
    main()
