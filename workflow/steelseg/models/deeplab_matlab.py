"""DeepLabV3+ as MATLAB's ``deeplabv3plusLayers`` builds it, the networks the paper trained.

Read layer by layer from the paper's Appendix A (``../shared/paper/table_a*_layers.tsv``):

* the encoder is MATLAB's ResNet-18, ResNet-50 or MobileNetV2, whose convolutions carry biases,
  at output stride 16 (the last stage keeps 14 x 14 for 224 px: stride 1, dilation 2);
* the ASPP has four branches, a 1 x 1 convolution and three 3 x 3 ones dilated 6, 12 and 18
  (MobileNetV2: depthwise-separable ones), each with batch normalisation and ReLU, and no
  image-pooling branch;
* the decoder reduces the ASPP's 1024 channels to 256, upsamples them 4x with a learnable 8 x 8
  transposed convolution, crops them to the low-level features (ResNet: the first stage's,
  MobileNetV2: block 3's expansion), joins 48 channels made from those, refines with two 3 x 3
  convolutions (MobileNetV2: separable), scores the classes and upsamples the scores 4x with a
  second transposed convolution, cropped to the input.

For two classes they have 43,980,180 (ResNet-50), 20,607,636 (ResNet-18) and 6,784,276
(MobileNetV2) parameters, Table 2's. The encoders are torchvision's, so their ImageNet weights
load as torchvision ships them (the convolutions' biases, which torchvision's lack, start at 0).
"""

from __future__ import annotations

import torch
from torch import nn
from torchvision import models as tv

from .layers import Concat, Crop

ASPP_DILATIONS = (1, 6, 12, 18)


def _conv(c_in: int, c_out: int, kernel: int, dilation: int = 1, separable: bool = False):
    """A convolution with bias, 'same' padded; separable: depthwise (with bias) then 1 x 1."""
    padding = dilation * (kernel - 1) // 2
    if not separable:
        return [nn.Conv2d(c_in, c_out, kernel, padding=padding, dilation=dilation)]
    depthwise = nn.Conv2d(c_in, c_in, kernel, padding=padding, dilation=dilation, groups=c_in)
    return [depthwise, nn.Conv2d(c_in, c_out, 1)]


def _unit(c_in, c_out, kernel, dilation=1, separable=False) -> nn.Sequential:
    """Convolution, batch normalisation, ReLU."""
    return nn.Sequential(
        *_conv(c_in, c_out, kernel, dilation, separable), nn.BatchNorm2d(c_out), nn.ReLU()
    )


class Head(nn.Module):
    """ASPP and decoder of ``deeplabv3plusLayers`` over ``high`` and ``low`` channels."""

    def __init__(self, high: int, low: int, num_classes: int, separable: bool):
        super().__init__()
        self.aspp = nn.ModuleList(
            _unit(high, 256, 1 if d == 1 else 3, d, separable) for d in ASPP_DILATIONS
        )
        self.cat_aspp, self.cat_low = Concat(), Concat()
        self.reduce = _unit(256 * len(ASPP_DILATIONS), 256, 1)
        self.upsample1 = nn.ConvTranspose2d(256, 256, 8, stride=4)
        self.low = _unit(low, 48, 1)
        self.crop1, self.crop2 = Crop(), Crop()
        self.refine = nn.Sequential(
            _unit(256 + 48, 256, 3, separable=separable), _unit(256, 256, 3, separable=separable)
        )
        self.scorer = nn.Conv2d(256, num_classes, 1)
        self.upsample2 = nn.ConvTranspose2d(num_classes, num_classes, 8, stride=4)

    def forward(self, image: torch.Tensor, high: torch.Tensor, low: torch.Tensor):
        x = self.reduce(self.cat_aspp(*(branch(high) for branch in self.aspp)))
        low = self.low(low)
        x = self.cat_low(self.crop1(self.upsample1(x), low), low)
        return self.crop2(self.upsample2(self.scorer(self.refine(x))), image)


def _with_biases(module: nn.Module) -> nn.Module:
    """Every convolution of ``module`` with a bias (0), its weights kept: MATLAB's layers."""
    for name, child in module.named_children():
        if isinstance(child, nn.Conv2d) and child.bias is None:
            conv = nn.Conv2d(
                child.in_channels, child.out_channels, child.kernel_size, child.stride,
                child.padding, child.dilation, child.groups, bias=True,
            )  # fmt: skip
            with torch.no_grad():
                conv.weight.copy_(child.weight)
                conv.bias.zero_()
            setattr(module, name, conv)
        else:
            _with_biases(child)
    return module


def _dilate(convs, first_stride_conv: nn.Conv2d | None = None) -> None:
    """Output stride 16: the last stage keeps its input's size, its 3 x 3 convolutions dilated
    2 instead (the receptive field they would have had)."""
    if first_stride_conv is not None:
        first_stride_conv.stride = (1, 1)
    for conv in convs:
        if conv.kernel_size == (3, 3):
            conv.dilation, conv.padding = (2, 2), (2, 2)
        conv.stride = (1, 1)


class ResNetDeepLab(nn.Module):
    """DeepLabV3+ on MATLAB's ResNet-18 or ResNet-50 (torchvision's, with conv biases)."""

    def __init__(self, depth: int, num_classes: int, imagenet: bool = False):
        super().__init__()
        build = {18: tv.resnet18, 50: tv.resnet50}[depth]
        weights = {18: "IMAGENET1K_V1", 50: "IMAGENET1K_V1"}[depth] if imagenet else None
        trunk = build(weights=weights)
        _dilate(m for m in trunk.layer4.modules() if isinstance(m, nn.Conv2d))
        self.encoder = _with_biases(
            nn.ModuleDict(
                {
                    "stem": nn.Sequential(trunk.conv1, trunk.bn1, trunk.relu, trunk.maxpool),
                    "layer1": trunk.layer1,
                    "layer2": trunk.layer2,
                    "layer3": trunk.layer3,
                    "layer4": trunk.layer4,
                }
            )
        )
        low = 64 if depth == 18 else 256
        self.head = Head(512 if depth == 18 else 2048, low, num_classes, separable=False)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        e = self.encoder
        low = e["layer1"](e["stem"](image))
        high = e["layer4"](e["layer3"](e["layer2"](low)))
        return self.head(image, high, low)


class MobileNetDeepLab(nn.Module):
    """DeepLabV3+ on MATLAB's MobileNetV2 (torchvision's, with conv biases): its blocks up to
    block 16's projection, block 3's expansion as the low-level features."""

    def __init__(self, num_classes: int, imagenet: bool = False):
        super().__init__()
        features = tv.mobilenet_v2(weights="IMAGENET1K_V1" if imagenet else None).features
        # features[14] is Keras' block_13, the last stride-2 block: from it on, output stride 16
        _dilate(
            (m for block in features[14:18] for m in block.modules() if isinstance(m, nn.Conv2d)),
        )
        self.encoder = _with_biases(nn.Sequential(*features[:18]))
        self.head = Head(320, 144, num_classes, separable=True)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        block3 = self.encoder[4].conv  # stride 2, so no residual connection
        low = block3[0](self.encoder[:4](image))  # its expansion (conv, BN, ReLU6): 144 channels
        high = self.encoder[5:](block3[1:](low))
        return self.head(image, high, low)
