import csv
import json
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace

import numpy as np
import pytest
import torch
from steelseg import io, network, train
from steelseg.errors import SteelsegError
from steelseg.models import PAPER_MODELS
from steelseg.split import read_split
from steelseg.tiles import TileStore

from .conftest import CLASSES, train_config


def _log(path):
    with open(path) as handle:
        return list(csv.DictReader(handle))


def test_class_weights_median_frequency():
    # Tile 0: 3 px class 0, 1 px class 1; tile 1: 4 px class 0.
    masks = np.array([[[0, 0], [0, 1]], [[0, 0], [0, 0]]], np.uint8)
    weights = train.class_weights(masks, np.array([0, 1]), 3)
    # freq0 = 7/8, freq1 = 1/4 (only tile 0 has class 1); median = 9/16; class 2 absent -> 0.
    np.testing.assert_allclose(weights, [(9 / 16) / (7 / 8), (9 / 16) / (1 / 4), 0.0], rtol=1e-6)


def test_epoch_batches_are_seeded_per_epoch_and_drop_the_incomplete_last():
    tiles = np.arange(10)
    first = train.epoch_batches(tiles, 4, seed=1, epoch=0)
    assert [len(b) for b in first] == [4, 4]
    assert all(
        (a == b).all() for a, b in zip(first, train.epoch_batches(tiles, 4, 1, 0), strict=True)
    )
    assert not all(
        (a == b).all() for a, b in zip(first, train.epoch_batches(tiles, 4, 1, 1), strict=True)
    )
    assert [len(b) for b in train.epoch_batches(np.arange(3), 32, 0, 0)] == [3]


@pytest.mark.parametrize("name", PAPER_MODELS)
def test_every_model_trains_and_gets_better_on_held_out_tiles(tile_store, tmp_path, name):
    # Judged on the fixed validation tiles before and after (the kept checkpoint, population
    # BatchNorm): the loss of 20 mini-batches of 4 is too noisy to show a trend on its own.
    tiles, split = tile_store
    config = train_config(
        epochs=1, batch_size=4, max_iterations=20, validation_frequency=100, seed=0, device="cpu"
    )
    trainer = train.Trainer(
        name, TileStore.open(tiles), read_split(split), CLASSES, config, tmp_path, threads=2
    )
    _, accuracy_before = trainer.validate()
    summary = trainer.run()
    _, accuracy_after = trainer.validate()
    assert accuracy_after >= accuracy_before + 0.1, (accuracy_before, accuracy_after)
    losses = [float(r["train_loss"]) for r in _log(tmp_path / "train_log.csv")]
    assert len(losses) == summary["iterations"] == 20 and all(np.isfinite(losses))
    # what a rerun must match to repeat these bits: the threads given, this torch, this CPU
    assert summary["torch_threads"] == 2 and summary["torch_version"] == torch.__version__
    assert summary["cpu_capability"] == torch.backends.cpu.get_cpu_capability()
    assert summary["gpu"] is None
    environment = {k: summary[k] for k in ("torch_version", "torch_threads", "cpu_capability")}
    assert summary["environments"] == [{"from_iteration": 0, **environment, "gpu": None}]
    checkpoint = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert checkpoint["model_name"] == name and checkpoint["class_names"] == CLASSES
    assert (tmp_path / "curves.png").stat().st_size > 10_000
    assert not (tmp_path / "resume.pt").exists()


@pytest.mark.parametrize("name", ["deeplabv3plus_mobilenetv2", "unet"])
def test_overfits_one_small_batch(tile_store, tmp_path, name):
    tiles, _ = tile_store
    store = TileStore.open(tiles)
    # One batch of 4 tiles with both phases present, trained on again and again.
    mixed = [i for i in range(len(store.index)) if 0.3 < store.masks[i].mean() < 0.7][:4]
    split = {"train": np.array(mixed), "val": np.array(mixed), "test": np.array([], int)}
    config = train_config(
        epochs=60, batch_size=4, validation_frequency=1000, seed=0, device="cpu", learning_rate=1e-3
    )
    trainer = train.Trainer(name, store, split, CLASSES, config, tmp_path, threads=2)
    trainer.run()
    final = [float(r["train_accuracy"]) for r in _log(tmp_path / "train_log.csv")][-3:]
    assert min(final) >= 0.95


def _store_copy(tiles, root, masks=None, truth=True):
    """The tile store in ``root``, with other masks and, if ``truth`` is False, no truth."""
    root.mkdir()
    for name in ("images.npy", "index.tsv", "meta.json", "masks.npy") + ("truth.npy",) * truth:
        shutil.copy(tiles / name, root / name)
    if masks is not None:
        np.save(root / "masks.npy", masks)
    return root


def test_labels_truth_trains_on_the_exact_truth_not_the_masks(tile_store, tmp_path):
    tiles, _ = tile_store
    truth = np.load(tiles / "truth.npy")
    # Masks that say the opposite of the truth everywhere: what is learnt shows which was read.
    store = TileStore.open(_store_copy(tiles, tmp_path / "tiles", masks=1 - truth))
    mixed = [i for i in range(len(truth)) if 0.3 < truth[i].mean() < 0.7][:4]
    split = {"train": np.array(mixed), "val": np.array(mixed), "test": np.array([], int)}
    config = train_config(
        epochs=60, batch_size=4, validation_frequency=20, seed=0, device="cpu", labels="truth"
    )
    trainer = train.Trainer("unet", store, split, CLASSES, config, tmp_path / "model", threads=2)
    np.testing.assert_allclose(trainer.weights, train.class_weights(truth, split["train"], 2))
    summary = trainer.run()
    assert summary["labels"] == "truth"
    _, against_truth = trainer.validate()
    trainer.config.labels = "masks"
    _, against_masks = trainer.validate()
    assert against_truth >= 0.95 and against_masks <= 0.05, (against_truth, against_masks)


def test_pixels_left_out_teach_nothing_and_count_nowhere(tile_store, tmp_path):
    tiles, _ = tile_store
    truth = np.load(tiles / "truth.npy")
    masks = np.load(tiles / "masks.npy")
    masks[:, 32:] = io.IGNORE  # the bottom half of every tile is not specimen ...
    masks[0] = io.IGNORE  # ... and all of tile 0
    store = TileStore.open(_store_copy(tiles, tmp_path / "tiles", masks=masks))
    mixed = [i for i in range(1, len(truth)) if 0.3 < truth[i].mean() < 0.7][:4]
    split = {"train": np.array([0, *mixed]), "val": np.array([0, *mixed])}
    config = train_config(
        epochs=2, batch_size=2, max_iterations=3, validation_frequency=100, seed=0, device="cpu"
    )
    trainer = train.Trainer("unet", store, split, CLASSES, config, tmp_path / "model", threads=2)
    # Tile 0 teaches nothing: out of both sets. The weights come from the labelled halves (the
    # median-frequency ratios do not depend on how many pixels a tile has).
    assert trainer.split["train"].tolist() == trainer.split["val"].tolist() == mixed
    np.testing.assert_allclose(
        trainer.weights, train.class_weights(masks[:, :32], np.array(mixed), 2), rtol=1e-6
    )
    assert trainer.weights.min() > 0
    # Validation accuracy counts the labelled halves only.
    trainer.model.eval()
    with torch.no_grad():
        images = network.to_network_input(np.asarray(store.images[mixed]))
        pred = trainer._forward(images).argmax(1).numpy()
    expected = (pred[:, :32] == masks[mixed][:, :32]).mean()
    loss, accuracy = trainer.validate()
    assert accuracy == pytest.approx(expected) and np.isfinite(loss)
    trainer.run()
    log = _log(tmp_path / "model" / "train_log.csv")
    assert len(log) == 3 and all(np.isfinite(float(r["train_loss"])) for r in log)
    with pytest.raises(SteelsegError, match="every training tile is left out"):
        train.Trainer(
            "unet",
            store,
            {"train": np.array([0]), "val": np.array([0])},
            CLASSES,
            config,
            tmp_path / "none",
        )


def test_labels_truth_without_truth_is_a_one_line_error(tile_store, tmp_path):
    tiles, split = tile_store
    store = _store_copy(tiles, tmp_path / "tiles", truth=False)
    out = tmp_path / "model"
    result = subprocess.run(
        _train_command(store, split, out, "--labels", "truth"), capture_output=True, text=True
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "the tiles have no exact truth" in lines[0]
    assert str(store) in lines[0] and not out.exists()
    with pytest.raises(SteelsegError, match="labels 'dense': unknown; use masks or truth"):
        train.Trainer(
            "unet",
            TileStore.open(tiles),
            read_split(split),
            CLASSES,
            train_config(labels="dense"),
            out,
        )


def _train_command(tiles, split, out, *extra):
    return [
        sys.executable,
        "-m",
        "steelseg",
        "train",
        "--tiles",
        str(tiles),
        "--split",
        str(split),
        "--model",
        "unet",
        "--classes",
        ",".join(CLASSES),
        "--out",
        str(out),
        "--batch-size",
        "4",
        "--max-iterations",
        "8",
        "--validation-frequency",
        "3",
        "--checkpoint-every",
        "2",
        "--device",
        "cpu",
        "--threads",
        "1",
        "--workers",
        "0",
        "--seed",
        "3",
        *extra,
    ]


@pytest.mark.parametrize("augment", ["none", "photometric", "scale"])
def test_killed_training_resumes_to_the_same_final_state(tile_store, tmp_path, augment):
    tiles, split = tile_store
    extra = ("--augment", augment)
    whole = subprocess.run(
        _train_command(tiles, split, tmp_path / "whole", *extra), capture_output=True, text=True
    )
    assert whole.returncode == 0, whole.stderr
    # Start again elsewhere and kill -9 it as soon as its first resume checkpoint exists.
    out = tmp_path / "killed"
    process = subprocess.Popen(
        _train_command(tiles, split, out, *extra),
        stderr=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.time() + 120
    while not (out / "resume.pt").exists() and process.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "training ended before it could be killed"
    assert not (out / "checkpoint.pt").exists()
    resumed = subprocess.run(
        _train_command(tiles, split, out, *extra), capture_output=True, text=True
    )
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming unet from iteration" in resumed.stderr
    assert "from iteration 0" not in resumed.stderr
    assert "warning" not in resumed.stderr  # same threads, same machine
    # summary.json records each process's part: the first from 0, the resumed one from where
    # the kill left it
    parts = json.loads((out / "summary.json").read_text())["environments"]
    assert len(parts) == 2 and parts[0]["from_iteration"] == 0
    assert 0 < parts[1]["from_iteration"] < 8 and parts[0]["torch_threads"] == 1
    a = torch.load(tmp_path / "whole" / "checkpoint.pt", weights_only=True)
    b = torch.load(out / "checkpoint.pt", weights_only=True)
    assert a["iteration"] == b["iteration"] and a["val_loss"] == b["val_loss"]
    for key, value in a["state_dict"].items():
        assert torch.equal(value, b["state_dict"][key]), key
    strip = [{k: v for k, v in r.items() if k != "elapsed_s"} for r in _log(out / "train_log.csv")]
    assert strip == [
        {k: v for k, v in r.items() if k != "elapsed_s"}
        for r in _log(tmp_path / "whole" / "train_log.csv")
    ]


def test_a_resume_on_other_threads_or_another_torch_is_named():
    before = {"from_iteration": 0, "torch_version": "2.14.1", "torch_threads": 2, "gpu": None}
    same = {**before, "from_iteration": 50}
    assert train.environment_change(before, same) is None
    now = {**same, "torch_threads": 1, "torch_version": "2.15.0"}
    assert train.environment_change(before, now) == (
        "torch_version 2.14.1 -> 2.15.0, torch_threads 2 -> 1"
    )


def test_resuming_on_other_threads_warns_and_records_both_parts(tile_store, tmp_path, capsys):
    tiles, split = tile_store
    config = train_config(epochs=1, batch_size=2, max_iterations=2, device="cpu")
    first = train.Trainer(
        "unet", TileStore.open(tiles), read_split(split), CLASSES, config, tmp_path, 1
    )
    # a part run elsewhere on 3 threads, its resume checkpoint written at iteration 0
    part = {"from_iteration": 0, **train.compute_environment(first.device), "torch_threads": 3}
    first.state.environments.append(part)
    first._save_resume()
    summary = train.train("unet", tiles, split, CLASSES, tmp_path, config, threads=1)
    assert "resumes with torch_threads 3 -> 1" in capsys.readouterr().err
    assert [p["torch_threads"] for p in summary["environments"]] == [3, 1]


def test_nan_loss_names_model_and_iteration(tile_store, tmp_path, monkeypatch):
    tiles, split = tile_store
    trainer = train.Trainer(
        "deeplabv3plus_resnet18",
        TileStore.open(tiles),
        read_split(split),
        CLASSES,
        train_config(batch_size=2, device="cpu"),
        tmp_path,
    )
    monkeypatch.setattr(
        trainer,
        "_forward",
        lambda images: torch.full(
            (images.shape[0], 2, *images.shape[2:]), float("nan"), requires_grad=True
        ),
    )
    with pytest.raises(
        SteelsegError,
        match=r"'deeplabv3plus_resnet18': training loss is nan at "
        r"iteration 0",
    ):
        trainer.run()
    assert not (tmp_path / "checkpoint.pt").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_cuda_without_gpu_is_a_clear_error():
    with pytest.raises(SteelsegError, match="--device cuda: no CUDA GPU is visible"):
        network.pick_device("cuda")


def test_wrong_class_count_and_tile_size(tile_store, tmp_path):
    tiles, split = tile_store
    store, sets = TileStore.open(tiles), read_split(split)
    with pytest.raises(SteelsegError, match="tiles have 2 classes but --classes names 3"):
        train.Trainer("unet", store, sets, ["a", "b", "c"], train_config(), tmp_path)
    store.meta["size"] = 72
    with pytest.raises(SteelsegError, match="tile size 72 is not a multiple of 32"):
        train.Trainer("segnet", store, sets, CLASSES, train_config(), tmp_path)


@pytest.mark.parametrize("augment", ["none", "photometric"])
def test_batchnorm_statistics_are_recomputed_over_the_training_tiles(augment, tile_store, tmp_path):
    tiles, split = tile_store
    config = train_config(
        epochs=1, batch_size=8, max_iterations=3, seed=0, device="cpu", augment=augment
    )
    train.train("deeplabv3plus_mobilenetv2", tiles, split, CLASSES, tmp_path, config, threads=2)
    checkpoint = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert checkpoint["batchnorm_statistics"] == "population"
    # The first conv's output averaged over every training tile, batch by batch (MATLAB's
    # population statistics), is exactly the first BatchNorm's running mean; with an
    # augmentation, over the tiles as augmented in training (the draws of the epoch after the
    # last), not the plain ones.
    from steelseg.models import build_model

    # The model as saved (predict.load_checkpoint folds BatchNorm away).
    model = build_model(checkpoint["model_name"], checkpoint["num_classes"]).eval()
    model.load_state_dict(checkpoint["state_dict"])
    # The network's first convolution and the BatchNorm right after it.
    conv = next(m for m in model.modules() if isinstance(m, torch.nn.Conv2d))
    norm = next(m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d))
    batches = train.in_order(read_split(split)["train"], 8)

    def conv_mean(augment):
        key = (config.seed, config.epochs, 0)  # the epoch after the last
        data = train.TileBatches(tiles, batches, augment=augment, augment_key=key)
        with torch.no_grad():
            return torch.stack([conv(x).mean(dim=(0, 2, 3)) for x, _ in data]).mean(0).numpy()

    expected = conv_mean(augment)
    np.testing.assert_allclose(norm.running_mean.numpy(), expected, rtol=1e-4, atol=1e-5)
    if augment != "none":  # the re-lit statistics really are other ones
        assert np.abs(expected - conv_mean("none")).max() > 1e-2


def _opposite_hue(images):
    """uint8 (..., 3) -> the same luminance (ITU-R 601, up to rounding) with the opposite hue:
    each channel mirrored about the pixel's luminance. Inputs in 64-191 with channels within
    64 of their luminance stay in range, so nothing is clipped."""
    rgb = images.astype(np.float64)
    luminance = rgb @ np.array([0.299, 0.587, 0.114])
    mirrored = 2 * luminance[..., None] - rgb
    assert mirrored.min() >= 0 and mirrored.max() <= 255
    return np.round(mirrored).astype(np.uint8)


def test_grey_colour_trains_and_predicts_on_luminance_alone(tile_store, tmp_path):
    from steelseg import predict

    tiles, split = tile_store
    # The same tiles at half contrast (so the mirrored hue stays in range), and again with the
    # hue reversed: a cool light's ferrite turned warm, the luminance kept.
    plain = (64 + np.load(tiles / "images.npy") // 2).astype(np.uint8)
    assert np.abs(plain - plain.mean(-1, keepdims=True)).max() > 5  # the tiles have hue
    stores = {}
    for name, images in (("plain", plain), ("reversed", _opposite_hue(plain))):
        stores[name] = _store_copy(tiles, tmp_path / name)
        np.save(stores[name] / "images.npy", images)
    batch = [np.arange(8)]
    seen = {
        (colour, name): train.TileBatches(root, batch, colour=colour)[0][0]
        for colour in network.COLOURS
        for name, root in stores.items()
    }
    assert (seen["rgb", "plain"] - seen["rgb", "reversed"]).abs().max() > 0.2
    # one rounding step of luminance, in normalised units, is about 0.004 / 0.225
    assert (seen["grey", "plain"] - seen["grey", "reversed"]).abs().max() < 0.02
    config = train_config(
        epochs=1, batch_size=4, max_iterations=4, validation_frequency=2, device="cpu"
    )
    store = TileStore.open(stores["plain"])
    grey = replace(config, colour="grey")
    trainer = train.Trainer("unet", store, read_split(split), CLASSES, grey, tmp_path / "g")
    assert trainer.run()["colour"] == "grey"
    checkpoint = torch.load(tmp_path / "g" / "checkpoint.pt", weights_only=True)
    assert checkpoint["colour"] == "grey"
    # Prediction converts as the checkpoint says: a hue reversal moves the grey model's logits
    # by rounding alone, and the same weights read as an RGB model's by far more.
    checkpoint["colour"] = "rgb"
    torch.save(checkpoint, tmp_path / "as_rgb.pt")
    image = np.concatenate(list(plain[:4]), axis=1)  # 64 x 256 px
    shift = {}
    for name, path in (("grey", tmp_path / "g" / "checkpoint.pt"), ("rgb", tmp_path / "as_rgb.pt")):
        window = predict.SlidingWindow(path, predict.WindowSpec(overlap=16), "cpu")
        logits = [window.logits(x) for x in (image, _opposite_hue(image))]
        shift[name] = (logits[0] - logits[1]).abs().max().item()
    assert shift["grey"] < shift["rgb"] / 10, shift
    with pytest.raises(SteelsegError, match="colour 'gray': unknown; use one of rgb, grey"):
        train.Trainer(
            "unet",
            store,
            read_split(split),
            CLASSES,
            replace(config, colour="gray"),
            tmp_path / "x",
        )


@pytest.mark.parametrize("output_network", ["best", "last"])
def test_the_network_kept_is_the_best_or_the_last_as_asked(tile_store, tmp_path, output_network):
    tiles, split = tile_store
    config = train_config(
        batch_size=4, max_iterations=4, validation_frequency=1, output_network=output_network
    )
    summary = train.train("unet", tiles, split, CLASSES, tmp_path, config, threads=1)
    log = _log(tmp_path / "train_log.csv")
    losses = [float(row["val_loss"]) for row in log]
    kept = torch.load(tmp_path / "checkpoint.pt", weights_only=True)["iteration"]
    expected = 4 if output_network == "last" else 1 + losses.index(min(losses))
    assert kept == summary["output_iteration"] == expected
    assert summary["output_network"] == output_network
