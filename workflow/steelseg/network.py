"""The one transform from micrograph bytes to network input, the device, and the forward pass:
what training and inference share (neither imports the other).

Inputs are normalised with the ImageNet mean and standard deviation (the encoders' own, also
for random weights); ``colour='grey'`` first replaces each pixel by its luminance in all three
channels, so every encoder and its ImageNet weights work unchanged. On a GPU the forward pass
runs in bf16 autocast with channels-last memory.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torchvision.transforms.v2 import functional as tvf

from .errors import SteelsegError

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
COLOURS = ("rgb", "grey")  # what the network sees: the image, or its luminance alone


def pick_device(requested: str) -> torch.device:
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if requested == "cuda" and not torch.cuda.is_available():
        raise SteelsegError(
            "--device cuda: no CUDA GPU is visible to torch on this machine; use --device auto "
            "or cpu, or run the job on a GPU node"
        )
    if requested not in ("cpu", "cuda"):
        raise SteelsegError(f"--device {requested}: use auto, cpu or cuda")
    return torch.device(requested)


def to_unit_float(
    images: np.ndarray | torch.Tensor, device: torch.device | None = None
) -> torch.Tensor:
    """uint8 (N, H, W, 3) -> float (N, 3, H, W) in [0, 1], on ``device`` where given (the
    bytes go there first: a quarter of the float copy's traffic)."""
    if isinstance(images, np.ndarray):  # torch wants writable memory (decoded PNGs are not)
        images = torch.from_numpy(np.require(images, requirements=("C", "W")))
    if device is not None:
        images = images.to(device)
    return images.permute(0, 3, 1, 2).float().div_(255)


def normalise(
    x: torch.Tensor, mean=IMAGENET_MEAN, std=IMAGENET_STD, colour: str = "rgb"
) -> torch.Tensor:
    """float (N, 3, H, W) in [0, 1] -> the network input; ``colour='grey'`` first replaces
    each pixel by its luminance (ITU-R 601 weights, as torchvision) in all three channels."""
    if colour == "grey":
        x = tvf.rgb_to_grayscale(x, num_output_channels=3)
    mean, std = (torch.tensor(v, device=x.device).view(1, 3, 1, 1) for v in (mean, std))
    return (x - mean) / std


def to_network_input(
    images: np.ndarray | torch.Tensor,
    mean=IMAGENET_MEAN,
    std=IMAGENET_STD,
    colour: str = "rgb",
    device: torch.device | None = None,
):
    """uint8 (N, H, W, 3) -> float (N, 3, H, W) scaled to [0, 1] and normalised (on
    ``device`` where given): the one transform that training and inference share (training
    may augment between the two)."""
    return normalise(to_unit_float(images, device), mean, std, colour)


def forward(model: nn.Module, images: torch.Tensor, device: torch.device) -> torch.Tensor:
    """Logits; on a GPU in bf16 autocast with channels-last memory, returned as float32."""
    images = images.to(device, non_blocking=True)
    if device.type == "cuda":
        images = images.contiguous(memory_format=torch.channels_last)
        with torch.autocast("cuda", dtype=torch.bfloat16):
            return model(images).float()
    return model(images)
