"""Mini-batches from the tile store: the epoch's shuffle, whole batches read in one sorted slice,
augmentation fixed by each batch's place in its epoch, and the class weights of the loss."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .. import augment, io
from ..network import normalise, to_unit_float
from ..tiles import TileStore


def class_weights(masks: np.ndarray, tiles: np.ndarray, num_classes: int) -> np.ndarray:
    """Median-frequency balancing (MATLAB's semantic-segmentation recipe).

    freq_c = pixels of class c / pixels of the tiles in which c occurs; w_c = median(freq)/freq_c.
    A class absent from the training tiles gets weight 0. Pixels left out (``io.IGNORE``)
    count in no class.
    """
    pixels = np.zeros(num_classes, np.float64)
    image_pixels = np.zeros(num_classes, np.float64)
    tile_size = masks.shape[1] * masks.shape[2]
    for start in range(0, len(tiles), 256):
        chunk = np.asarray(masks[tiles[start : start + 256]]).reshape(-1, tile_size)
        offsets = np.arange(len(chunk))[:, None] * 256  # every uint8 value, io.IGNORE too
        counts = np.bincount((chunk + offsets).ravel(), minlength=len(chunk) * 256)
        counts = counts.reshape(len(chunk), 256)[:, :num_classes]
        pixels += counts.sum(0)
        image_pixels += (counts > 0).sum(0) * tile_size
    present = pixels > 0
    freq = np.where(present, pixels / np.maximum(image_pixels, 1), np.nan)
    weights = np.where(present, np.nanmedian(freq) / freq, 0.0)
    return weights.astype(np.float32)


def labelled_tiles(masks: np.ndarray, tiles: np.ndarray) -> np.ndarray:
    """The ``tiles`` with at least one pixel not ``io.IGNORE``: a tile wholly inside a data bar
    teaches nothing, and a batch of only such tiles would make the loss 0/0."""
    keep = np.ones(len(tiles), dtype=bool)
    for start in range(0, len(tiles), 256):
        chunk = np.asarray(masks[tiles[start : start + 256]])
        keep[start : start + len(chunk)] = (chunk != io.IGNORE).any(axis=(1, 2))
    return tiles[keep]


def in_order(tiles: np.ndarray, size: int) -> list[np.ndarray]:
    """Consecutive batches of ``size`` tiles, the last one possibly smaller (evaluation)."""
    return [tiles[i : i + size] for i in range(0, len(tiles), size)]


class TileBatches(torch.utils.data.Dataset):
    """Whole mini-batches read from the memory-mapped store in one sorted slice each.

    With ``augment`` other than "none" and ``augment_key`` = (seed, epoch, index of the first
    batch in its epoch), each batch is augmented (``augment.apply``) with draws fixed by its
    place in the epoch; then normalised for the network as ``colour`` says.
    """

    def __init__(
        self,
        root: Path,
        batches: list[np.ndarray],
        labels: str = "masks",
        augment: str = "none",
        augment_key: tuple[int, int, int] = (0, 0, 0),
        colour: str = "rgb",
    ):
        self.root, self.batches, self.labels = root, batches, labels
        self.augment, self.augment_key, self.colour = augment, augment_key, colour
        self._images = self._masks = None

    def __len__(self) -> int:
        return len(self.batches)

    def __getitem__(self, i: int):
        if self._images is None:  # opened lazily, once per worker process
            store = TileStore.open(self.root)
            self._images, self._masks = store.images, store.labels(self.labels)
        index = self.batches[i]
        order = np.argsort(index)  # sorted reads are sequential on disk
        images = torch.from_numpy(np.ascontiguousarray(self._images[index[order]]))
        masks = torch.from_numpy(np.ascontiguousarray(self._masks[index[order]])).long()
        inverse = torch.from_numpy(np.argsort(order))
        x, masks = to_unit_float(images[inverse]), masks[inverse]
        if self.augment != "none":
            seed, epoch, first = self.augment_key
            rng = augment.batch_rng(seed, epoch, first + i)
            x, masks = augment.apply(self.augment, x, masks, rng)
        return normalise(x, colour=self.colour), masks


def epoch_batches(tiles: np.ndarray, batch_size: int, seed: int, epoch: int) -> list[np.ndarray]:
    """This epoch's mini-batches: a (seed, epoch)-determined shuffle, incomplete last dropped."""
    order = np.random.default_rng([seed, epoch]).permutation(tiles)
    size = min(batch_size, len(order))
    return [order[i : i + size] for i in range(0, len(order) - size + 1, size)]


def batch_loader(root, batches, config, augment_key=None):
    """Batches of (network input, labels) as ``config`` says; augmented (as ``config.augment``
    says) when ``augment_key`` is given: training, not evaluation."""
    # Its own generator: a DataLoader iterator otherwise draws its base seed from the global
    # torch RNG, so a resumed run (one loader more) would get other dropout masks.
    augmented = augment_key is not None
    return torch.utils.data.DataLoader(
        TileBatches(
            root,
            batches,
            labels=config.labels,
            augment=config.augment if augmented else "none",
            augment_key=augment_key if augmented else (0, 0, 0),
            colour=config.colour,
        ),
        batch_size=None,
        shuffle=False,
        num_workers=config.workers,
        persistent_workers=False,
        pin_memory=torch.cuda.is_available(),
        generator=torch.Generator().manual_seed(0),
    )
