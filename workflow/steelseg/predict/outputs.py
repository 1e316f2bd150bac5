"""What predict writes per image: the mask (PNG, or TIFF carrying the image's calibration), the
colour overlay and, when asked, the class probability maps."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .. import io, render, settings
from ..calibration import write_tiff

_PREDICT = settings.defaults("predict")


@dataclass(frozen=True)
class Outputs:
    """Which optional files predict writes beside the masks and overlays (the schema's
    predict.probabilities and predict.mask_format; their defaults write neither)."""

    probabilities: str = _PREDICT["probabilities"]  # none, uint8 (p x 255, rounded) or float16
    mask_format: str = _PREDICT["mask_format"]  # png, or tiff carrying the image's calibration


def probability_planes(probabilities: torch.Tensor, kind: str) -> np.ndarray | None:
    """(K, H, W) class probabilities as they are stored: uint8 scaled to 0..255 (one step is
    1/255), float16, or None when not asked for."""
    if kind == "none":
        return None
    if kind == "uint8":
        return (probabilities * 255).round_().to(torch.uint8).cpu().numpy()
    return probabilities.to(torch.float16).cpu().numpy()


def mean_confidence(probabilities: torch.Tensor, specimen: np.ndarray | None) -> float:
    """The mean over the measured pixels of the winning class's probability: 1 where the
    network is sure everywhere, 1/K where it guesses."""
    best = probabilities.max(0).values
    if specimen is not None:
        best = best[torch.from_numpy(specimen).to(best.device)]
    return float(best.mean()) if best.numel() else float("nan")


def write_image_outputs(out: Path, name: str, image, labels, planes, context: dict) -> None:
    """One image's files under ``out``; ``context``: colours, specimen, um_per_px, outputs and
    class_names."""
    outputs: Outputs = context["outputs"]
    if outputs.mask_format == "tiff":
        write_tiff(out / "masks" / f"{name}.tif", labels, context["um_per_px"])
    else:
        # zlib level 1 on 2080x1542 masks: 0.026 s and 140 kB (level 6: 0.041 s, 94 kB); the
        # writer thread takes CPU from the network on small machines.
        io.write_png(out / "masks" / f"{name}.png", labels, 1)
    # The overlay (indexed colour) holds the micrograph's grain and hardly compresses: stored
    # uncompressed it takes 0.003 s and 3.2 MB, against 0.076 s and 2.4 MB at level 1.
    indices, palette = render.indexed_overlay(
        image, labels, context["colours"], specimen=context["specimen"]
    )
    io.write_png(out / "overlays" / f"{name}.png", indices, 0, palette=palette)
    if planes is not None:
        metadata = {"axes": "CYX", "classes": list(context["class_names"])}
        if planes.dtype == np.uint8:
            metadata["scale"] = "probability = value / 255"
        write_tiff(out / "probabilities" / f"{name}.tif", planes, context["um_per_px"], metadata)
