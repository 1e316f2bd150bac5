"""The paper's plain U-Net (MATLAB ``unetLayers``, encoder depth 3, 64 base channels).

Each stage: two 3×3 convolutions ('same' padding) with ReLU; 2×2 max pooling down; 2×2
transposed convolution + ReLU up, then concatenation with the encoder stage. Dropout (0.5) after
the last encoder stage and the bridge; He initialisation, zero biases. For 2 classes this has
exactly 7,697,410 parameters, the paper's figure.
"""

from __future__ import annotations

import torch
from torch import nn

from .layers import Concat


def _double_conv(in_channels: int, out_channels: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, padding=1),
        nn.ReLU(inplace=True),
        nn.Conv2d(out_channels, out_channels, 3, padding=1),
        nn.ReLU(inplace=True),
    )


class UNet(nn.Module):
    def __init__(
        self,
        num_classes: int,
        in_channels: int = 3,
        base: int = 64,
        depth: int = 3,
        dropout: float = 0.5,
    ):
        super().__init__()
        widths = [base * 2**i for i in range(depth)]
        self.encoder = nn.ModuleList()
        channels = in_channels
        for width in widths:
            self.encoder.append(_double_conv(channels, width))
            channels = width
        self.encoder_dropout = nn.Dropout(dropout)
        self.pool = nn.MaxPool2d(2)
        self.bridge = nn.Sequential(_double_conv(channels, channels * 2), nn.Dropout(dropout))
        channels *= 2
        self.ups = nn.ModuleList()
        self.decoders = nn.ModuleList()
        for width in reversed(widths):
            self.ups.append(
                nn.Sequential(
                    nn.ConvTranspose2d(channels, width, 2, stride=2), nn.ReLU(inplace=True)
                )
            )
            self.decoders.append(_double_conv(width * 2, width))
            channels = width
        self.head = nn.Conv2d(channels, num_classes, 1)
        self.concat = Concat()
        for module in self.modules():
            if isinstance(module, nn.Conv2d | nn.ConvTranspose2d):
                nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
                nn.init.zeros_(module.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for i, encoder in enumerate(self.encoder):
            x = encoder(x)
            if i == len(self.encoder) - 1:
                x = self.encoder_dropout(x)
            skips.append(x)
            x = self.pool(x)
        x = self.bridge(x)
        for up, decoder, skip in zip(self.ups, self.decoders, reversed(skips), strict=True):
            x = decoder(self.concat(up(x), skip))
        return self.head(x)
