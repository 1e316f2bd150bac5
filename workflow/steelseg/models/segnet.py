"""SegNet (Badrinarayanan et al. 2017) with a VGG16-BN encoder, as MATLAB ``segnetLayers``.

The encoder is torchvision's VGG16-BN feature stack (13 conv + BN + ReLU) whose max-pooling
layers return their indices; the decoder mirrors it, up-sampling with ``MaxUnpool2d`` at those
indices, and ends with a 3×3 convolution to the classes followed by batch normalisation (as
MATLAB builds it). For 2 classes this has exactly 29,444,166 parameters, the paper's figure.
segmentation-models-pytorch has no SegNet, hence this module.
"""

from __future__ import annotations

import torch
from torch import nn
from torchvision.models import vgg16_bn

# VGG16 conv widths per stage; the decoder runs them backwards.
STAGES = ((64, 64), (128, 128), (256, 256, 256), (512, 512, 512), (512, 512, 512))


def _conv_bn_relu(in_channels: int, out_channels: int) -> list[nn.Module]:
    return [
        nn.Conv2d(in_channels, out_channels, 3, padding=1),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    ]


class SegNet(nn.Module):
    def __init__(self, num_classes: int, imagenet_weights: bool = False):
        super().__init__()
        features = vgg16_bn(weights="IMAGENET1K_V1" if imagenet_weights else None).features
        # Split torchvision's flat feature list at its pooling layers into 5 encoder stages.
        self.encoder = nn.ModuleList()
        stage: list[nn.Module] = []
        for layer in features:
            if isinstance(layer, nn.MaxPool2d):
                self.encoder.append(nn.Sequential(*stage))
                stage = []
            else:
                stage.append(layer)
        self.pool = nn.MaxPool2d(2, stride=2, return_indices=True)
        self.unpool = nn.MaxUnpool2d(2, stride=2)
        self.decoder = nn.ModuleList()
        for i, widths in enumerate(reversed(STAGES)):
            outputs = list(widths)
            last_stage = i == len(STAGES) - 1
            # Each decoder stage keeps the width, its last conv narrows to the next stage's width.
            next_width = STAGES[len(STAGES) - 2 - i][-1] if not last_stage else widths[0]
            outputs[-1] = next_width
            layers: list[nn.Module] = []
            channels = widths[-1]
            for j, width in enumerate(outputs):
                if last_stage and j == len(outputs) - 1:
                    layers += [
                        nn.Conv2d(channels, num_classes, 3, padding=1),
                        nn.BatchNorm2d(num_classes),
                    ]
                else:
                    layers += _conv_bn_relu(channels, width)
                channels = width
            self.decoder.append(nn.Sequential(*layers))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        indices, sizes = [], []
        for stage in self.encoder:
            x = stage(x)
            sizes.append(x.shape)
            x, index = self.pool(x)
            indices.append(index)
        for stage, index, size in zip(
            self.decoder, reversed(indices), reversed(sizes), strict=True
        ):
            x = stage(self.unpool(x, index, output_size=size))
        return x
