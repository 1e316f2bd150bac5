"""Trained checkpoints loaded for inference: checked, BatchNorm folded, channels-last; one or
several (an ensemble of the same label set)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from .. import io
from ..errors import SteelsegError, warn
from ..models import MODELS, build_model, fold_batchnorm
from ..network import forward, to_network_input


def load_checkpoint(path: str | Path, device: torch.device) -> tuple[torch.nn.Module, dict]:
    """The model ready for inference and the checkpoint's metadata.

    Eval mode, BatchNorm folded into the convolutions and channels-last memory: the same
    outputs to float precision, about 1.5x faster on a CPU (bench/bench_predict.py).
    """
    if not Path(path).is_file():
        raise SteelsegError(f"{path}: checkpoint not found; train the model first")
    keys = ("model_name", "num_classes", "state_dict", "class_names", "mean", "std")
    checkpoint = io.load_torch(path, "steelseg checkpoint", keys)
    name = checkpoint["model_name"]
    if name not in MODELS:
        raise SteelsegError(
            f"{path}: a checkpoint of model '{name}', which this steelseg does not know "
            f"({', '.join(MODELS)}); use the steelseg version that trained it"
        )
    model = _fitting_model(path, checkpoint)
    model.eval()
    fold_batchnorm(model)
    return model.to(device, memory_format=torch.channels_last), checkpoint


def _fitting_model(path: Path, checkpoint: dict) -> torch.nn.Module:
    """The network the checkpoint's weights fit. A DeepLabV3+ named as the paper's whose
    weights are segmentation-models-pytorch's (as steelseg trained them before it built
    MATLAB's) loads as smp's, with a warning."""
    name, classes = checkpoint["model_name"], checkpoint["num_classes"]
    relu = bool(checkpoint.get("final_relu", False))
    candidates = [name] + ([f"smp_{name}"] if f"smp_{name}" in MODELS else [])
    for candidate in candidates:
        model = build_model(candidate, classes, final_relu=relu)
        try:
            model.load_state_dict(checkpoint["state_dict"])
        except (RuntimeError, TypeError):  # torch lists every key: not for one line
            continue
        if candidate != name:
            warn(
                f"{path}: {name}'s weights are segmentation-models-pytorch's: loaded as {candidate}"
            )
        return model
    raise SteelsegError(
        f"{path}: its weights do not fit a {name} of {classes} classes (another network's "
        "or an edited file); give the checkpoint.pt that `steelseg train` wrote"
    )


def infer(model: torch.nn.Module, batch: torch.Tensor, device: torch.device) -> torch.Tensor:
    """Logits of a batch for a model from ``load_checkpoint`` (channels-last input)."""
    return forward(model, batch.contiguous(memory_format=torch.channels_last), device)


def normalise(
    images: np.ndarray, checkpoint: dict, device: torch.device | None = None
) -> torch.Tensor:
    """uint8 (N, H, W, 3) -> the network input, normalised (and turned grey) as the checkpoint
    was trained; checkpoints from before ``colour`` existed saw RGB. With ``device`` the bytes
    go there first and the arithmetic runs there: a quarter of the float copy, and on a GPU the
    CPU is left to the reader and writer threads."""
    colour = checkpoint.get("colour", "rgb")
    return to_network_input(images, checkpoint["mean"], checkpoint["std"], colour, device)


def checkpoint_paths(paths: str | Path | Sequence[str | Path]) -> list[Path]:
    """One checkpoint path or several (an ensemble) as a list; at least one."""
    paths = [paths] if isinstance(paths, str | Path) else list(paths)
    if not paths:
        raise SteelsegError("no checkpoint given; pass --checkpoint PATH (repeat for an ensemble)")
    return [Path(p) for p in paths]


def load_ensemble(
    paths: str | Path | Sequence[str | Path], device: torch.device
) -> list[tuple[torch.nn.Module, dict]]:
    """Every checkpoint's model and metadata; all must segment into the same classes."""
    paths = checkpoint_paths(paths)
    members = [load_checkpoint(path, device) for path in paths]
    names = list(members[0][1]["class_names"])
    for path, (_, checkpoint) in zip(paths[1:], members[1:], strict=True):
        if list(checkpoint["class_names"]) != names:
            raise SteelsegError(
                f"{path}: classes {', '.join(checkpoint['class_names'])} differ from "
                f"{paths[0]}'s ({', '.join(names)}); an ensemble needs checkpoints trained on "
                "the same label set"
            )
    return members
