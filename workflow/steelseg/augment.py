"""Training augmentation (off by default: the paper trains on rotations only).

``photometric``: a model trained on one generator's or one microscope's lighting learns its
absolute brightness and colour, and its calls on real micrographs move with the illumination
alone (docs/real-data-check.md). ``photometric`` draws, per tile, what changes between
microscopes, etchings and cameras: exposure, contrast, gamma, white balance, focus and sensor
noise. Labels are untouched, so the masks stay exact. It trains accurate models on the default
data but brings the real crops no closer to their lever-rule bands: an option, not the default.

``scale``: a model trained at one magnification answers differently at every ``predict
--scale``. ``scale`` zooms
each tile by its own log-uniform factor in 0.5-2x, with its labels, so that colonies of one size
are seen at many sizes in pixels: zooming in enlarges a random window to the tile, zooming out
shrinks the tile and fills the rest with its own mirror image (labels mirrored alike, so they
stay exact up to the nearest-pixel resampling of the mask). Resampling is the one ``predict
--scale`` uses. On synthetic data it removes the size bias (the true pearlite share at
2x and 4x, where un-augmented models overshoot); with grey input it keeps a model's answer on
the real crops flat from 1.25x to 2x (the real-data preset sets both).

Each mini-batch's draws come from ``(seed, epoch, batch)``, so a resumed run augments exactly as
an uninterrupted one would, with any number of loader processes.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torchvision.transforms.v2 import functional as tvf

CHOICES = ("none", "photometric", "scale")

# Ranges of the per-tile draws (log-uniform for the multiplicative ones).
EXPOSURE = (0.7, 1.4)  # overall gain
CONTRAST = (0.6, 1.3)  # about the tile's mean grey: weak etching lowers it
GAMMA = (0.75, 1.35)
WHITE_BALANCE = (0.85, 1.18)  # per channel, then renormalised to keep the exposure
BLUR_PROBABILITY, BLUR_SIGMA = 0.5, (0.3, 1.5)  # px: focus and lens, hides lamella texture
NOISE_SIGMA = (0.0, 0.03)  # of full scale
ZOOM = (0.5, 2.0)  # scale: per-tile magnification factor


def _log_uniform(rng: np.random.Generator, bounds: tuple[float, float], size) -> np.ndarray:
    low, high = np.log(bounds)
    return np.exp(rng.uniform(low, high, size))


def photometric(images: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """float (N, 3, H, W) in [0, 1] -> the same, each tile re-lit, re-focused and re-noised."""
    n = images.shape[0]
    per_tile = (n, 1, 1, 1)
    exposure = torch.from_numpy(_log_uniform(rng, EXPOSURE, per_tile)).float()
    contrast = torch.from_numpy(_log_uniform(rng, CONTRAST, per_tile)).float()
    gamma = torch.from_numpy(_log_uniform(rng, GAMMA, per_tile)).float()
    balance = _log_uniform(rng, WHITE_BALANCE, (n, 3, 1, 1))
    balance = torch.from_numpy(balance / balance.mean(axis=1, keepdims=True)).float()
    blurred = rng.random(n) < BLUR_PROBABILITY
    sigmas = rng.uniform(*BLUR_SIGMA, n)
    noise = torch.from_numpy(rng.uniform(*NOISE_SIGMA, per_tile)).float()
    noise_seed = int(rng.integers(2**31))

    out = images.clamp(0, 1).pow(gamma)
    mean = out.mean(dim=(1, 2, 3), keepdim=True)
    out = (out - mean) * contrast + mean
    out = out * exposure * balance
    out = torch.stack(
        [
            tvf.gaussian_blur(tile, kernel_size=2 * round(3 * s) + 1, sigma=float(s)) if b else tile
            for tile, b, s in zip(out, blurred, sigmas, strict=True)
        ]
    )
    generator = torch.Generator().manual_seed(noise_seed)
    out = out + noise * torch.randn(out.shape, generator=generator)
    return out.clamp_(0, 1)


def _resize(images: torch.Tensor, masks: torch.Tensor, size: tuple[int, int]):
    """(C, h, w) float and (h, w) class indices resampled to ``size``: the image as predict
    --scale resamples (bilinear, antialiased), the mask by nearest pixel centres."""
    image = F.interpolate(images[None], size=size, mode="bilinear", antialias=True)[0]
    mask = F.interpolate(masks[None, None].float(), size=size, mode="nearest-exact")[0, 0]
    return image, mask.long()


def zoom_tile(image: torch.Tensor, mask: torch.Tensor, factor: float, corner: tuple[int, int]):
    """One tile (C, H, W) and its mask (H, W) seen ``factor`` times larger, same shape out.

    factor >= 1: the window of size H/factor whose top-left corner is ``corner`` is enlarged
    to the tile. factor < 1 (down to 0.5): the tile shrinks to H*factor and sits at ``corner``
    in the output, the margins mirrored from it.
    """
    height, width = mask.shape
    if factor >= 1:
        h, w = round(height / factor), round(width / factor)
        top, left = corner
        window = (slice(top, top + h), slice(left, left + w))
        return _resize(image[:, window[0], window[1]], mask[window], (height, width))
    h, w = round(height * factor), round(width * factor)
    image, mask = _resize(image, mask, (h, w))
    top, left = corner
    padding = (left, width - w - left, top, height - h - top)
    image = F.pad(image[None], padding, mode="reflect")[0]
    mask = F.pad(mask[None, None].float(), padding, mode="reflect")[0, 0].long()
    return image, mask


def rescale(images: torch.Tensor, masks: torch.Tensor, rng: np.random.Generator):
    """float (N, 3, H, W) and class indices (N, H, W) -> the same, each tile zoomed by its own
    log-uniform factor in ``ZOOM`` at a random place."""
    height, width = masks.shape[-2:]
    factors = _log_uniform(rng, ZOOM, len(masks))
    out_images, out_masks = [], []
    for image, mask, factor in zip(images, masks, factors, strict=True):
        span = []  # where the corner may go, per axis
        for n in (height, width):
            if factor >= 1:
                span.append((0, n - round(n / factor)))
            else:  # each mirrored margin narrower than the shrunk tile (reflect padding)
                shrunk = round(n * factor)
                span.append((max(0, n - 2 * shrunk + 1), min(n - shrunk, shrunk - 1)))
        corner = tuple(int(rng.integers(lo, hi + 1)) for lo, hi in span)
        image, mask = zoom_tile(image, mask, float(factor), corner)
        out_images.append(image)
        out_masks.append(mask)
    return torch.stack(out_images).clamp_(0, 1), torch.stack(out_masks)


def apply(mode: str, images: torch.Tensor, masks: torch.Tensor, rng: np.random.Generator):
    """Images float (N, 3, H, W) in [0, 1] and masks (N, H, W) augmented by ``mode``."""
    if mode == "photometric":
        return photometric(images, rng), masks
    if mode == "scale":
        return rescale(images, masks, rng)
    return images, masks


def batch_rng(seed: int, epoch: int, batch: int) -> np.random.Generator:
    return np.random.default_rng([seed, epoch, batch, 0xA7])
