"""Layers MATLAB's networks have that PyTorch writes as plain operations: as modules, so that a
network's layers can be counted as MATLAB counts them (``models.count_layers``)."""

from __future__ import annotations

import torch
from torch import nn


class Crop(nn.Module):
    """MATLAB's crop2dLayer('centercrop'): the centre of ``x`` at ``reference``'s size."""

    def forward(self, x: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
        height, width = reference.shape[-2:]
        top, left = (x.shape[-2] - height) // 2, (x.shape[-1] - width) // 2
        return x[..., top : top + height, left : left + width]


class Concat(nn.Module):
    """MATLAB's depthConcatenationLayer."""

    def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
        return torch.cat(tensors, dim=1)
