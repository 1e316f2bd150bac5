"""Inference with a trained checkpoint: on stored tiles (for the paper's test metrics).

Writes predicted class-index PNGs named like the exported truth tiles, so `steelseg evaluate`
scores them folder against folder, the same code path a user takes for Weka or ilastik output.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from . import io
from .errors import SteelsegError
from .models import build_model
from .tiles import TileStore, tile_name
from .train import pick_device


def load_checkpoint(path: str | Path, device: torch.device) -> tuple[torch.nn.Module, dict]:
    """Model in eval mode and the checkpoint's metadata."""
    path = Path(path)
    if not path.is_file():
        raise SteelsegError(f"{path}: checkpoint not found; train the model first")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        model = build_model(checkpoint["model_name"], checkpoint["num_classes"])
        model.load_state_dict(checkpoint["state_dict"])
    except (RuntimeError, KeyError, OSError, ValueError) as exc:
        raise SteelsegError(f"{path}: not a steelseg checkpoint ({exc}); retrain") from exc
    return model.to(device).eval(), checkpoint


def normalise(images: np.ndarray, checkpoint: dict) -> torch.Tensor:
    """uint8 (N, H, W, 3) -> float (N, 3, H, W) normalised as in training."""
    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float().div_(255)
    mean = torch.tensor(checkpoint["mean"]).view(1, 3, 1, 1)
    std = torch.tensor(checkpoint["std"]).view(1, 3, 1, 1)
    return (x - mean) / std


@torch.no_grad()
def logits(model: torch.nn.Module, batch: torch.Tensor, device: torch.device) -> torch.Tensor:
    batch = batch.to(device)
    if device.type == "cuda":
        with torch.autocast("cuda", dtype=torch.bfloat16):
            return model(batch.contiguous(memory_format=torch.channels_last)).float()
    return model(batch)


def predict_tiles(
    checkpoint_path: str | Path,
    tiles_dir: str | Path,
    tiles: np.ndarray,
    out: str | Path,
    batch_size: int = 16,
    device: str = "auto",
) -> int:
    """Predict the given tiles of the store and write one label PNG per tile."""
    torch_device = pick_device(device)
    model, checkpoint = load_checkpoint(checkpoint_path, torch_device)
    store = TileStore.open(tiles_dir)
    if store.meta["num_classes"] != checkpoint["num_classes"]:
        raise SteelsegError(
            f"{checkpoint_path}: model has {checkpoint['num_classes']} classes, tiles "
            f"{store.meta['num_classes']}; use the checkpoint trained on these tiles"
        )
    with io.atomic_dir(out) as tmp:
        for start in tqdm(range(0, len(tiles), batch_size), desc="predict tiles", unit="batch"):
            chunk = np.sort(tiles[start : start + batch_size])
            pred = logits(model, normalise(store.images[chunk], checkpoint), torch_device)
            for t, label in zip(chunk, pred.argmax(1).cpu().numpy().astype(np.uint8), strict=True):
                io.write_png(tmp / tile_name(t), label)
    return len(tiles)
