import numpy as np
import pytest
import torch
from steelseg import augment, train
from steelseg.errors import SteelsegError
from steelseg.tiles import TileStore

from .conftest import CLASSES


def _draws(images, batches=8):
    return [augment.photometric(images, augment.batch_rng(5, 1, b)) for b in range(batches)]


def test_draws_are_fixed_by_seed_epoch_and_batch():
    images = torch.rand(4, 3, 32, 32)
    a = augment.photometric(images, augment.batch_rng(5, 1, 2))
    b = augment.photometric(images, augment.batch_rng(5, 1, 2))
    c = augment.photometric(images, augment.batch_rng(5, 1, 3))
    d = augment.photometric(images, augment.batch_rng(5, 2, 2))
    assert torch.equal(a, b)
    assert not torch.allclose(a, c) and not torch.allclose(a, d)


def test_relighting_spans_exposure_and_white_balance_without_inventing_structure():
    grey = torch.full((16, 3, 48, 48), 0.5)
    out = torch.cat(_draws(grey))
    assert out.min() >= 0 and out.max() <= 1
    means = out.mean(dim=(2, 3))  # (tiles, channels)
    brightness = means.mean(1) / 0.5
    assert brightness.min() < 0.8 and brightness.max() > 1.25
    # white balance: channel ratios move by several per cent, in both directions
    ratio = means[:, 2] / means[:, 0]
    assert ratio.min() < 0.92 and ratio.max() > 1.08
    # a flat field stays flat up to the sensor noise (sigma <= 0.03 of full scale)
    assert out.std(dim=(2, 3)).max() < 0.035


def test_some_tiles_are_blurred_and_edges_survive_in_others():
    stripes = torch.zeros(16, 3, 32, 32)
    stripes[..., ::2] = 1.0  # the finest pattern a sensor can hold, like unresolved lamellae
    out = torch.cat(_draws(stripes, batches=4))
    contrast = (out[..., ::2].mean(dim=(1, 2, 3)) - out[..., 1::2].mean(dim=(1, 2, 3))).abs()
    # blur (probability 1/2, sigma 0.3-1.5 px) wipes the stripes out in some tiles; exposure,
    # contrast and gamma alone keep at least 0.4 of them
    assert (contrast < 0.2).float().mean() > 0.25
    assert (contrast > 0.4).float().mean() > 0.25


def test_tile_batches_relight_images_and_leave_masks_alone(tile_store):
    tiles, split = tile_store
    batches = [np.arange(8), np.arange(8, 16)]
    plain = train.TileBatches(tiles, batches)
    relit = train.TileBatches(tiles, batches, augment_key=(0, 0, 0))
    shifted = train.TileBatches(tiles, batches[1:], augment_key=(0, 0, 1))
    (x, m), (y, n) = plain[1], relit[1]
    assert torch.equal(m, n)
    assert not torch.allclose(x, y)
    # the draws belong to the batch's place in the epoch, not to the loader's list
    assert torch.equal(shifted[0][0], y)


def test_the_trainer_relights_training_batches_but_not_validation(tile_store, tmp_path):
    tiles, split = tile_store
    logs = {}
    for augment_mode in ("none", "photometric"):
        config = train.TrainConfig(
            epochs=1,
            batch_size=4,
            max_iterations=2,
            validation_frequency=2,
            seed=0,
            device="cpu",
            augment=augment_mode,
        )
        trainer = train.Trainer(
            "unet",
            TileStore.open(tiles),
            train.read_split(split),
            CLASSES,
            config,
            tmp_path / augment_mode,
        )
        # same initial weights, so the very first validation loss must match:
        # validation tiles are never re-lit
        logs[augment_mode] = (trainer.validate(), trainer.run())
    (val_none, run_none), (val_aug, run_aug) = logs["none"], logs["photometric"]
    assert val_none == val_aug
    assert run_none["training_loss"] != run_aug["training_loss"]


def test_an_unknown_augmentation_is_a_clear_error(tile_store, tmp_path):
    tiles, split = tile_store
    config = train.TrainConfig(device="cpu", augment="photometrc")
    with pytest.raises(SteelsegError, match="augment 'photometrc': unknown; use one of none"):
        train.Trainer(
            "unet", TileStore.open(tiles), train.read_split(split), CLASSES, config, tmp_path
        )
