"""Photometric training augmentation (off by default: the paper trains on rotations only).

A model trained on one generator's or one microscope's lighting learns its absolute brightness
and colour; the real-data check (results/lom-ferrite-pearlite) showed the calls moving with the
illumination alone. ``photometric`` draws, per tile, what changes between microscopes, etchings
and cameras: exposure, contrast, gamma, white balance, focus and sensor noise. Labels are
untouched, so the masks stay exact. On that check (experiment 4) it moved some fractions
towards their bands and others away, and cost synthetic accuracy in 3 CPU epochs: an option,
not the default.

Each mini-batch's draws come from ``(seed, epoch, batch)``, so a resumed run augments exactly as
an uninterrupted one would, with any number of loader processes.
"""

from __future__ import annotations

import numpy as np
import torch
from torchvision.transforms.v2 import functional as tvf

CHOICES = ("none", "photometric")

# Ranges of the per-tile draws (log-uniform for the multiplicative ones).
EXPOSURE = (0.7, 1.4)  # overall gain
CONTRAST = (0.6, 1.3)  # about the tile's mean grey: weak etching lowers it
GAMMA = (0.75, 1.35)
WHITE_BALANCE = (0.85, 1.18)  # per channel, then renormalised to keep the exposure
BLUR_PROBABILITY, BLUR_SIGMA = 0.5, (0.3, 1.5)  # px: focus and lens, hides lamella texture
NOISE_SIGMA = (0.0, 0.03)  # of full scale


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


def batch_rng(seed: int, epoch: int, batch: int) -> np.random.Generator:
    return np.random.default_rng([seed, epoch, batch, 0xA7])
