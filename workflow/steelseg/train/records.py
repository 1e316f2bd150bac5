"""What a training leaves besides its weights: the log (the paper's Figures 5-9) and the compute
environment each part of it ran in."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

import torch

from .. import io

LOG_COLUMNS = (
    "iteration",
    "epoch",
    "train_loss",
    "train_accuracy",
    "val_loss",
    "val_accuracy",
    "elapsed_s",
)


@dataclass
class Progress:
    """Everything a resumed run needs besides the model and optimiser."""

    epoch: int = 0
    position: int = 0  # mini-batches done in this epoch
    iteration: int = 0
    best_val_loss: float = math.inf
    output_iteration: int = 0  # the iteration whose weights checkpoint.pt holds
    bad_validations: int = 0
    elapsed_s: float = 0.0
    stopped_early: bool = False
    log: list[dict[str, object]] = field(default_factory=list)
    # One entry per process that ran part of the training (more than one after a resume):
    # the iteration it started from and its compute_environment().
    environments: list[dict[str, object]] = field(default_factory=list)


def compute_environment(device: torch.device) -> dict[str, object]:
    """What a training's floating-point results depend on besides its inputs and seed."""
    cuda = device.type == "cuda"
    return {
        "torch_version": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "gpu": torch.cuda.get_device_name(device) if cuda else None,
    }


def environment_change(before: dict[str, object], now: dict[str, object]) -> str | None:
    """What differs between two compute_environment() records, as 'key a -> b, ...', or None."""
    changed = [
        f"{key} {before.get(key)} -> {value}"
        for key, value in now.items()
        if key != "from_iteration" and before.get(key) != value
    ]
    return ", ".join(changed) or None


def write_log(path: Path, rows: list[dict[str, object]]) -> None:
    with io.atomic_file(path) as tmp, open(tmp, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=LOG_COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("" if row.get(k) is None else row[k]) for k in LOG_COLUMNS})


def plot_curves(path: Path, rows: list[dict[str, object]], title: str) -> None:
    """Accuracy and loss against iteration, training and validation (the paper's Figs 5-9)."""
    plt = io.pyplot()

    it = [r["iteration"] for r in rows]
    val = [r for r in rows if r["val_loss"] is not None]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
    top.plot(
        it, [100 * r["train_accuracy"] for r in rows], color="#1f77b4", lw=0.8, label="training"
    )
    top.plot(
        [r["iteration"] for r in val],
        [100 * r["val_accuracy"] for r in val],
        "o--",
        color="k",
        ms=3,
        label="validation",
    )
    top.set_ylabel("accuracy (%)")
    top.legend(loc="lower right")
    bottom.plot(it, [r["train_loss"] for r in rows], color="#ff7f0e", lw=0.8, label="training")
    bottom.plot(
        [r["iteration"] for r in val],
        [r["val_loss"] for r in val],
        "o--",
        color="k",
        ms=3,
        label="validation",
    )
    bottom.set_ylabel("loss")
    bottom.set_xlabel("iteration")
    bottom.legend(loc="upper right")
    epochs = sorted({r["epoch"] for r in rows})
    for epoch in epochs[1:]:
        first = next(r["iteration"] for r in rows if r["epoch"] == epoch)
        for axis in (top, bottom):
            axis.axvline(first - 0.5, color="0.8", lw=0.8)
    fig.suptitle(f"Training progress: {title}")
    fig.tight_layout()
    io.save_figure(fig, path, dpi=120)
