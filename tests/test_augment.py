import numpy as np
import pytest
import torch
from steelseg import augment, train
from steelseg.errors import SteelsegError
from steelseg.split import read_split
from steelseg.tiles import TileStore

from .conftest import CLASSES, train_config


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
    relit = train.TileBatches(tiles, batches, augment="photometric", augment_key=(0, 0, 0))
    shifted = train.TileBatches(tiles, batches[1:], augment="photometric", augment_key=(0, 0, 1))
    (x, m), (y, n) = plain[1], relit[1]
    assert torch.equal(m, n)
    assert not torch.allclose(x, y)
    # the draws belong to the batch's place in the epoch, not to the loader's list
    assert torch.equal(shifted[0][0], y)


def test_the_trainer_relights_training_batches_but_not_validation(tile_store, tmp_path):
    tiles, split = tile_store
    logs = {}
    for augment_mode in augment.CHOICES:
        config = train_config(
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
            read_split(split),
            CLASSES,
            config,
            tmp_path / augment_mode,
        )
        # same initial weights, so the very first validation loss must match:
        # validation tiles are never re-lit
        logs[augment_mode] = (trainer.validate(), trainer.run())
    val_none, run_none = logs.pop("none")
    for val_aug, run_aug in logs.values():
        assert val_none == val_aug
        assert run_none["training_loss"] != run_aug["training_loss"]


def _blobs(size=64, seed=0):
    """A two-phase mask of smooth blobs and an image that is dark exactly where it is 1."""
    from scipy import ndimage as ndi

    field = ndi.gaussian_filter(np.random.default_rng(seed).random((size, size)), 4, mode="wrap")
    mask = torch.from_numpy((field > np.median(field)).astype(np.int64))
    image = (0.8 - 0.6 * mask.float()).expand(3, size, size)
    return image, mask


def test_zooming_in_by_two_enlarges_its_window_pixel_for_pixel():
    image, mask = _blobs(32)
    out_image, out_mask = augment.zoom_tile(image, mask, 2.0, (3, 5))
    assert out_image.shape == image.shape and out_mask.shape == mask.shape
    window = mask[3:19, 5:21]
    expected = window.repeat_interleave(2, 0).repeat_interleave(2, 1)
    assert torch.equal(out_mask, expected)


def test_zooming_out_by_half_shrinks_the_tile_and_mirrors_it_into_the_margins():
    image, mask = _blobs(32)
    out_image, out_mask = augment.zoom_tile(image, mask, 0.5, (5, 7))
    # nearest pixel centres: output pixel j of the shrunk tile is input pixel 2j + 1
    assert torch.equal(out_mask[5:21, 7:23], mask[1::2, 1::2])
    # the margins mirror the shrunk tile about its edge rows and columns, image and mask alike
    for out in (out_mask, out_image[0]):
        assert torch.equal(out[4, 7:23], out[6, 7:23]) and torch.equal(out[21, 7:23], out[19, 7:23])
        assert torch.equal(out[5:21, 6], out[5:21, 8]) and torch.equal(out[5:21, 23], out[5:21, 21])
    assert out_mask.shape == (32, 32) and out_image.shape == (3, 32, 32)


def test_rescaled_tiles_keep_images_and_labels_in_register_at_many_zooms():
    from scipy import ndimage as ndi

    image, mask = _blobs(64)
    n = 48
    images, masks = augment.rescale(
        image.expand(n, 3, 64, 64).clone(),
        mask.expand(n, 64, 64).clone(),
        augment.batch_rng(3, 0, 0),
    )
    assert images.shape == (n, 3, 64, 64) and masks.shape == (n, 64, 64)
    assert set(masks.unique().tolist()) <= {0, 1}
    for tile, labels in zip(images, masks, strict=True):
        labels = labels.numpy()
        # away from the phase boundaries the image says what the label says
        inside = ndi.minimum_filter(labels, 3) == ndi.maximum_filter(labels, 3)
        dark = tile[0].numpy() < 0.5
        assert (dark[inside] == (labels[inside] == 1)).mean() > 0.99
    # boundary pixels per tile area: fewer where zoomed in, more where zoomed out

    def edges(m):
        return (m[:, 1:] != m[:, :-1]).float().mean(dim=(1, 2))

    ratio = edges(masks) / edges(mask[None])
    assert ratio.min() < 0.75 and ratio.max() > 1.4


def test_rescale_draws_are_fixed_by_seed_epoch_and_batch():
    image, mask = _blobs(32)
    images, masks = image.expand(6, 3, 32, 32), mask.expand(6, 32, 32)
    a = augment.rescale(images, masks, augment.batch_rng(5, 1, 2))
    b = augment.rescale(images, masks, augment.batch_rng(5, 1, 2))
    c = augment.rescale(images, masks, augment.batch_rng(5, 1, 3))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[1], c[1])


def test_tile_batches_zoom_images_and_masks_together(tile_store):
    tiles, split = tile_store
    batches = [np.arange(8)]
    (x, m), (y, n) = (
        train.TileBatches(tiles, batches)[0],
        train.TileBatches(tiles, batches, augment="scale", augment_key=(0, 0, 0))[0],
    )
    assert y.shape == x.shape and n.shape == m.shape
    assert not torch.equal(m, n)


def test_an_unknown_augmentation_is_a_clear_error(tile_store, tmp_path):
    tiles, split = tile_store
    config = train_config(device="cpu", augment="photometrc")
    with pytest.raises(SteelsegError, match="augment 'photometrc': unknown; use one of none"):
        train.Trainer("unet", TileStore.open(tiles), read_split(split), CLASSES, config, tmp_path)
