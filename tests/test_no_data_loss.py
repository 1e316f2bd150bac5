"""Nothing a user owns is deleted or silently misread: output folders, label encodings, image
formats, full and read-only disks, killed runs, odd table encodings, odd checkpoints."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import tifffile
import torch
from PIL import Image
from steelseg import io, predict, regions
from steelseg.dataset import load_dataset
from steelseg.errors import SteelsegError, SteelsegWarning

from .conftest import (
    CLASSES,
    make_folder_dataset,
    random_checkpoint,
    snakemake,
    tiny_synthetic,
    train_config,
)

NAMES = ",".join(CLASSES)


def steelseg(*args, cwd=None, preexec_fn=None, wait=True):
    command = [sys.executable, "-m", "steelseg", *map(str, args)]
    if not wait:
        return subprocess.Popen(
            command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, preexec_fn=preexec_fn)


def one_error_line(result) -> str:
    lines = [line for line in result.stderr.splitlines() if "error" in line]
    assert result.returncode == 2, result.stderr[-2000:]
    assert len(lines) == 1 and lines[0].startswith("steelseg: error: "), result.stderr[-2000:]
    return lines[0]


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with its content's hash."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# -- 1. --out never deletes what it points at -----------------------------------------------


def test_out_onto_the_data_set_or_the_current_folder_is_refused_and_nothing_moves(tmp_path):
    data = tiny_synthetic(tmp_path / "D")
    before = snapshot(data)
    refused = steelseg("rf-masks", "--dataset", data, "--classes", NAMES, "--out", data)
    assert "is an input or holds one" in one_error_line(refused)
    assert snapshot(data) == before
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "notes.txt").write_text("mine\n")
    here = steelseg(
        "tile", "--dataset", data, "--masks", data / "truth", "--classes", NAMES, "--out", ".",
        "--size", 32, cwd=tmp_path / "work",
    )  # fmt: skip
    assert "is the current folder" in one_error_line(here)
    assert (tmp_path / "work" / "notes.txt").read_text() == "mine\n"
    above = steelseg("rf-masks", "--dataset", data, "--classes", NAMES, "--out", tmp_path)
    assert "holds one" in one_error_line(above) and snapshot(data) == before


def test_a_users_folder_is_refused_and_steelsegs_own_output_is_replaced(tmp_path):
    data = tiny_synthetic(tmp_path / "D")
    mine = tmp_path / "masks"
    mine.mkdir()
    (mine / "hand_drawn.png").write_bytes(b"not steelseg's")
    command = ("rf-masks", "--dataset", data, "--classes", NAMES, "--trees", 5, "--out", mine)
    assert "a folder steelseg did not write" in one_error_line(steelseg(*command))
    assert (mine / "hand_drawn.png").read_bytes() == b"not steelseg's"
    fresh = tmp_path / "rf"
    for _ in range(2):  # written, then replaced by a rerun of the same step
        run = steelseg(*command[:-1], fresh)
        assert run.returncode == 0, run.stderr
        assert sorted(p.name for p in fresh.iterdir()) == sorted(
            [io.MARKER, *(f"{n}.png" for n in load_dataset(data).images)]
        )
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporaries


# -- 2. 0/255 binary masks ------------------------------------------------------------------


def _binary_data_set(root: Path, classes: int = 2) -> tuple[Path, np.ndarray]:
    rng = np.random.default_rng(0)
    image = rng.integers(60, 200, (64, 64, 3), dtype=np.uint8)
    truth = np.zeros((64, 64), np.uint8)
    truth[:, 40:] = 1
    image[truth == 1] //= 3  # the dark phase
    masks = {name: truth * 255 for name in ("a", "b")}  # as Fiji saves a thresholded mask
    return make_folder_dataset(root, {"a": image, "b": image}, masks=masks), truth


def test_binary_0_255_masks_are_two_classes_with_a_warning(tmp_path):
    root, truth = _binary_data_set(tmp_path / "d")
    run = steelseg("rf-masks", "--dataset", root, "--classes", NAMES, "--out", tmp_path / "m")
    assert run.returncode == 0, run.stderr
    assert "steelseg: warning:" in run.stderr and "read as binary" in run.stderr
    for name in ("a", "b"):
        np.testing.assert_array_equal(io.read_labels(tmp_path / "m" / f"{name}.png", 2), truth)
    tile = steelseg(
        "tile", "--dataset", root, "--masks", tmp_path / "m", "--classes", NAMES,
        "--out", tmp_path / "t", "--size", 32,
    )  # fmt: skip
    assert tile.returncode == 0 and "in no mask" not in tile.stderr
    masks = np.load(tmp_path / "t" / "masks.npy")
    assert set(np.unique(masks).tolist()) == {0, 1}  # pearlite is learnt, not "no class"


def test_binary_0_255_masks_with_three_classes_are_refused(tmp_path):
    root, _ = _binary_data_set(tmp_path / "d")
    run = steelseg("rf-masks", "--dataset", root, "--classes", "a,b,c", "--out", tmp_path / "m")
    line = one_error_line(run)
    assert "only 0 and 255 (binary masks?)" in line and "save class indices 0..2" in line
    assert not (tmp_path / "m").exists()


def test_evaluate_reads_0_255_truth_as_the_two_classes(tmp_path):
    truth = np.zeros((32, 32), np.uint8)
    truth[8:20, 4:30] = 1
    pred = np.roll(truth, 2, axis=1)
    for folder, labels in (("pred", pred), ("truth01", truth), ("truth255", truth * 255)):
        io.write_png(tmp_path / folder / "a.png", labels)
    scores = {}
    for reference in ("truth01", "truth255"):
        run = steelseg(
            "evaluate", "--pred", tmp_path / "pred", "--truth", tmp_path / reference,
            "--num-classes", 2, "--class-names", NAMES, "--scored-on", "images",
            "--out", tmp_path / f"{reference}.json",
        )  # fmt: skip
        assert run.returncode == 0, run.stderr
        assert ("read as binary" in run.stderr) == (reference == "truth255")
        scores[reference] = json.loads((tmp_path / f"{reference}.json").read_text())
    assert scores["truth255"]["mean_iou"] == scores["truth01"]["mean_iou"] > 0.8


def test_a_class_in_no_mask_is_a_warning_before_any_training(tmp_path):
    data = tiny_synthetic(tmp_path / "D")
    ferrite = tmp_path / "masks"
    for name in load_dataset(data).images:
        io.write_png(ferrite / f"{name}.png", np.zeros((96, 128), np.uint8))
    run = steelseg(
        "tile", "--dataset", data, "--masks", ferrite, "--classes", NAMES, "--out",
        tmp_path / "t", "--size", 32,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "class 1 (number 2 in --classes) is in no mask" in run.stderr


# -- 3. image formats read as what they show ------------------------------------------------


def test_a_hot_pixel_does_not_darken_a_12_bit_image(tmp_path):
    rng = np.random.default_rng(1)
    twelve_bit = rng.integers(200, 4000, (40, 50), dtype=np.uint16)
    tifffile.imwrite(tmp_path / "plain.tif", twelve_bit)
    hot = twelve_bit.copy()
    hot[3, 4] = 65535
    tifffile.imwrite(tmp_path / "hot.tif", hot)
    plain, read = io.read_image(tmp_path / "plain.tif"), io.read_image(tmp_path / "hot.tif")
    read[3, 4] = plain[3, 4]
    np.testing.assert_array_equal(read, plain)
    assert plain.max() > 240  # scaled by 12 bits, not 16


def test_a_multi_page_tiff_is_its_first_page_with_a_warning(tmp_path):
    with tifffile.TiffWriter(tmp_path / "stack.tif") as stack:
        for value in (10, 120, 250):  # three grey pages (a z-stack or a series)
            stack.write(np.full((30, 40), value, np.uint8))
    with pytest.warns(SteelsegWarning, match="3 pages; only the first is read"):
        image = io.read_image(tmp_path / "stack.tif")
    assert image.shape == (30, 40, 3) and (image == 10).all()


def test_cmyk_images_are_read_as_rgb(tmp_path):
    rgb = np.zeros((32, 48, 3), np.uint8)
    rgb[:, :24] = (230, 220, 200)  # light ferrite
    rgb[:, 24:] = (90, 60, 50)  # dark pearlite
    Image.fromarray(rgb).convert("CMYK").save(tmp_path / "cmyk.jpg", quality=95)
    ink = np.asarray(Image.fromarray(rgb).convert("CMYK")).astype(np.float64) / 255
    tifffile.imwrite(
        tmp_path / "cmyk.tif",
        np.round(ink * 255).astype(np.uint8),
        photometric="separated",
    )
    for name in ("cmyk.jpg", "cmyk.tif"):
        image = io.read_image(tmp_path / name).astype(int)
        assert image.shape == rgb.shape
        assert np.abs(image - rgb).mean() < 12, name  # its colours, not C, M, Y


# -- 4. full and read-only disks ------------------------------------------------------------


@contextlib.contextmanager
def small_disk(folder: Path, kib: int):
    """(folder, preexec_fn) where writing more than ``kib`` KiB fails: a tmpfs of that size
    where this process may mount one (a real full disk), else a file-size limit on the child
    (writes past it fail with EFBIG)."""
    folder.mkdir()
    mounted = os.geteuid() == 0 and (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={kib}k", "tmpfs", str(folder)],
            capture_output=True,
        ).returncode
        == 0
    )

    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (kib * 1024, kib * 1024))

    try:
        yield folder, None if mounted else limit
    finally:
        if mounted:
            subprocess.run(["umount", str(folder)], check=True)


def test_tile_onto_a_full_disk_is_one_line_and_leaves_nothing(tmp_path):
    data = tiny_synthetic(tmp_path / "D", images=3)
    with small_disk(tmp_path / "disk", 64) as (disk, preexec):
        run = steelseg(
            "tile", "--dataset", data, "--masks", data / "truth", "--classes", NAMES,
            "--out", disk / "tiles", "--size", 32, preexec_fn=preexec,
        )  # fmt: skip
        line = one_error_line(run)
        assert "disk is full" in line or "larger than this system allows" in line
        assert list(disk.iterdir()) == []


def test_train_onto_a_full_disk_is_one_line_and_leaves_no_checkpoint(tile_store, tmp_path):
    tiles, split = tile_store
    with small_disk(tmp_path / "disk", 256) as (disk, preexec):
        run = steelseg(
            "train", "--tiles", tiles, "--split", split, "--model", "deeplabv3plus_mobilenetv2",
            "--classes", NAMES, "--out", disk / "model", "--batch-size", 2,
            "--max-iterations", 1, "--device", "cpu", "--workers", 0, "--threads", 1,
            preexec_fn=preexec,
        )  # fmt: skip
        line = one_error_line(run)
        assert "disk is full" in line or "larger than this system allows" in line
        assert "inline_container" not in run.stderr
        assert not [p for p in (disk / "model").iterdir() if p.suffix in (".pt", ".tmp")]


def test_predict_onto_a_full_disk_leaves_no_masks_without_their_table(tmp_path):
    checkpoint = random_checkpoint(tmp_path / "model.pt")
    for seed in range(3):
        noise = np.random.default_rng(seed).integers(0, 255, (96, 128, 3), dtype=np.uint8)
        io.write_png(tmp_path / "in" / f"m{seed}.png", noise)
    with small_disk(tmp_path / "disk", 64) as (disk, preexec):
        run = steelseg(
            "predict", tmp_path / "in", "--checkpoint", checkpoint, "--out", disk / "out",
            preexec_fn=preexec,
        )  # fmt: skip
        one_error_line(run)
        assert list(disk.iterdir()) == []


@pytest.fixture
def read_only(tmp_path):
    """A folder nothing can be written in, even by root (a read-only mount)."""
    folder = tmp_path / "ro"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    mount = ["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(folder)]
    if subprocess.run(mount, capture_output=True).returncode != 0:
        pytest.skip("root without the right to mount: no folder is read-only to this process")
    yield folder
    subprocess.run(["umount", str(folder)], check=True)


def test_every_writing_command_meets_a_read_only_folder_with_one_line(
    read_only, tile_store, tmp_path
):
    tiles, split = tile_store
    data = tiny_synthetic(tmp_path / "D")
    checkpoint = random_checkpoint(tmp_path / "model.pt")
    out = read_only / "out"
    commands = {
        "synth": ("synth", "--out", out, "--samples", 1, "--images-per-sample", 1,
                  "--annotated-per-sample", 1, "--width", 64, "--height", 64, "--carbon", 0.45,
                  "--grain-size", 30, "--pearlite", "network"),
        "rf-masks": ("rf-masks", "--dataset", data, "--classes", NAMES, "--out", out),
        "tile": ("tile", "--dataset", data, "--masks", data / "truth", "--classes", NAMES,
                 "--out", out, "--size", 32),
        "split": ("split", "--tiles", tiles, "--out", out / "split.tsv"),
        "export-tiles": ("export-tiles", "--tiles", tiles, "--split", split, "--out", out),
        "predict": ("predict", data / "images", "--checkpoint", checkpoint, "--out", out),
        "evaluate": ("evaluate", "--pred", data / "truth", "--truth", data / "truth",
                     "--num-classes", 2, "--class-names", NAMES, "--out", out / "m.json"),
    }  # fmt: skip
    for name, command in commands.items():
        line = one_error_line(steelseg(*command))
        assert str(read_only) in line and "read-only" in line or "permission" in line, name
        assert "Traceback" not in line


# -- 5. killed runs -------------------------------------------------------------------------


def _rf_masks_run(data: Path, out: Path):
    return ("rf-masks", "--dataset", data, "--classes", NAMES, "--trees", 300, "--out", out)


def _stopped_in_the_middle(tmp_path: Path, how: int) -> Path:
    """rf-masks on a small data set in ``tmp_path``, sent ``how`` once its temporary output
    folder exists; the data set."""
    data = tiny_synthetic(tmp_path / "D", images=4)
    process = steelseg(*_rf_masks_run(data, tmp_path / "masks"), wait=False)
    end = time.time() + 60
    while time.time() < end and process.poll() is None:
        if any(p.name.startswith(".masks.") for p in tmp_path.iterdir()):
            break
        time.sleep(0.005)
    assert process.poll() is None, "rf-masks ended before it could be stopped"
    process.send_signal(how)
    process.wait(60)
    assert process.returncode != 0
    return data


def test_sigterm_removes_the_temporary_output(tmp_path):
    _stopped_in_the_middle(tmp_path, signal.SIGTERM)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["D"]  # no .masks.*.tmp left


def test_a_killed_runs_leftovers_are_removed_by_the_next_run(tmp_path):
    data = _stopped_in_the_middle(tmp_path, signal.SIGKILL)
    assert [p for p in tmp_path.iterdir() if p.name.startswith(".masks.")]  # left by SIGKILL
    rerun = steelseg(*_rf_masks_run(data, tmp_path / "masks"))
    assert rerun.returncode == 0, rerun.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["D", "masks"]


# -- 7. smaller ones ------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8-sig", "latin-1"], ids=["utf8-with-bom", "latin-1"])
def test_samples_sheets_as_spreadsheets_save_them(tmp_path, encoding):
    image = np.zeros((8, 8, 3), np.uint8)
    root = make_folder_dataset(tmp_path / "d", {"a": image, "b": image})
    (root / "samples.tsv").write_bytes("image\tsample\na\tÅland\nb\tS2\n".encode(encoding))
    assert load_dataset(root).samples == {"a": "Åland", "b": "S2"}


def test_a_config_typo_is_named_in_a_few_lines(tmp_path):
    (tmp_path / "typo.yaml").write_text("synth:\n  samplez: 3\n")
    smoke = Path(__file__).resolve().parents[1] / "workflow/presets/smoke.yaml"
    run = snakemake(tmp_path, "-n", "--configfile", smoke, tmp_path / "typo.yaml")
    assert run.returncode != 0
    assert "config: synth: Additional properties are not allowed ('samplez'" in run.stdout
    assert len(run.stdout.strip().splitlines()) <= 5, run.stdout[:3000]


def test_what_is_no_checkpoint_is_one_line(tmp_path):
    (tmp_path / "bytes.pt").write_bytes(os.urandom(2000))
    (tmp_path / "json.pt").write_text('{"model_name": "unet"}')
    torch.save(torch.nn.Conv2d(3, 2, 1), tmp_path / "module.pt")  # a pickled module
    torch.save({"epoch": 3}, tmp_path / "dict.pt")
    for name in ("bytes.pt", "json.pt", "module.pt", "dict.pt"):
        with pytest.raises(SteelsegError, match=rf"{name}: not a steelseg checkpoint") as error:
            predict.load_checkpoint(tmp_path / name, torch.device("cpu"))
        assert "\n" not in str(error.value) and len(str(error.value)) < 400
    other = random_checkpoint(tmp_path / "other.pt", "deeplabv3plus_resnet18")
    payload = torch.load(other, weights_only=True)
    payload["model_name"] = "deeplabv3plus_mobilenetv2"  # weights of another network
    torch.save(payload, other)
    image = np.zeros((64, 64, 3), np.uint8)
    io.write_png(tmp_path / "in" / "a.png", image)
    run = steelseg("predict", tmp_path / "in", "--checkpoint", other, "--out", tmp_path / "o")
    line = one_error_line(run)
    assert "do not fit a deeplabv3plus_mobilenetv2" in line and len(line) < 400
    assert len(run.stderr) < 1000 and not (tmp_path / "o").exists()


def test_predict_rerun_replaces_the_last_runs_outputs(tmp_path):
    checkpoint = random_checkpoint(tmp_path / "model.pt")
    for name in ("a", "b"):
        io.write_png(tmp_path / "first" / f"{name}.png", np.full((40, 50, 3), 128, np.uint8))
    io.write_png(tmp_path / "second" / "c.png", np.full((40, 50, 3), 128, np.uint8))
    for folder in ("first", "second"):
        run = steelseg("predict", tmp_path / folder, "--checkpoint", checkpoint, "--out",
                       tmp_path / "out")  # fmt: skip
        assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in (tmp_path / "out" / "masks").iterdir()) == ["c.png"]
    rows = (tmp_path / "out" / "phase_fractions.csv").read_text().splitlines()
    assert [row.split(",")[0] for row in rows[1:]] == ["c"]


def test_an_image_in_two_samples_is_refused(tmp_path):
    sheet = tmp_path / "samples.tsv"
    sheet.write_text("image\tsample\na\tS1\nb\tS1\na.png\tS2\n")
    with pytest.raises(SteelsegError, match=r"line 4: image a is in sample S1 already"):
        predict.read_samples(sheet, [tmp_path / "a.png", tmp_path / "b.png"])


def test_a_resume_checkpoint_of_another_training_is_named(tile_store, tmp_path):
    from steelseg import train
    from steelseg.split import read_split
    from steelseg.tiles import TileStore

    tiles, split = tile_store
    config = train_config(epochs=1, batch_size=2, max_iterations=2, device="cpu")
    store, sets = TileStore.open(tiles), read_split(split)
    other = train.Trainer("deeplabv3plus_resnet18", store, sets, CLASSES, config, tmp_path, 1)
    other._save_resume()
    this = train.Trainer("deeplabv3plus_mobilenetv2", store, sets, CLASSES, config, tmp_path, 1)
    with pytest.warns(SteelsegWarning, match="resume.pt: is of another training"):
        assert not this.try_resume()
    (tmp_path / "resume.pt").write_bytes(b"garbage")
    with pytest.warns(SteelsegWarning, match="not a resume checkpoint"):
        assert not this.try_resume()


def test_an_off_white_jpeg_scale_bar_is_found(tmp_path):
    from steelseg import synth

    rng = np.random.default_rng(4)
    image, _, _ = synth.micrograph(rng, 160, 240, 0.45, 30, synth.ANNEALED, synth.sample_look(rng))
    assert regions.flat_marks(image) == []
    image[140:148, 150:230] = 250  # an off-white bar, then JPEG's ringing around it
    Image.fromarray(image).save(tmp_path / "bar.jpg", quality=85)
    (mark,) = regions.flat_marks(io.read_image(tmp_path / "bar.jpg"))
    assert np.abs(np.subtract(mark, (150, 140, 230, 148))).max() <= 2


def test_stale_temporaries_of_live_processes_and_other_hosts_stay(tmp_path):
    target = tmp_path / "masks"
    alive = tmp_path / f".masks.{io._HOST}.{os.getpid()}.x.tmp"
    other_host = tmp_path / ".masks.elsewhere.1.x.tmp"
    dead = tmp_path / f".masks.{io._HOST}.{2**22 + 7}.x.tmp"  # beyond pid_max: never alive
    for folder in (alive, other_host, dead):
        folder.mkdir()
    io.remove_stale_temporaries(target)
    assert alive.exists() and other_host.exists() and not dead.exists()
    shutil.rmtree(alive)


def test_apptainer_images_under_a_path_with_a_space_are_one_clear_line(tmp_path):
    # Snakemake refuses an image path with a space; without --sdm apptainer none is named (the
    # smoke workflow runs under a path with spaces in test_workflow.py), with it the line says
    # what to do.
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "apptainer").write_text('#!/bin/sh\necho "apptainer version 1.3.4"\n')
    (fake / "apptainer").chmod(0o755)
    repo = Path(__file__).resolve().parents[1]
    path = f"{fake}:{os.environ['PATH']}"
    images = {"STEELSEG_CONTAINERS": str(tmp_path / "site images")}
    smoke = repo / "workflow/presets/smoke.yaml"
    run = snakemake(
        tmp_path, "-n", "--sdm", "apptainer", "--configfile", smoke,
        env=os.environ | {"PATH": path} | images,
    )  # fmt: skip
    assert run.returncode != 0
    assert "has a space, which Snakemake refuses; set STEELSEG_CONTAINERS" in run.stdout


def test_a_checkpoint_of_smps_deeplab_under_the_papers_name_still_loads(tmp_path):
    path = random_checkpoint(tmp_path / "smp.pt", "smp_deeplabv3plus_mobilenetv2")
    payload = torch.load(path, weights_only=True)
    payload["model_name"] = "deeplabv3plus_mobilenetv2"  # as steelseg named smp's network
    torch.save(payload, path)
    with pytest.warns(SteelsegWarning, match="loaded as smp_deeplabv3plus_mobilenetv2"):
        model, _ = predict.load_checkpoint(path, torch.device("cpu"))
    with torch.no_grad():
        assert model(torch.zeros(1, 3, 64, 64)).shape == (1, 2, 64, 64)
