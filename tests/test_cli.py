"""The command line as a user meets it: help, one-line errors, exit codes, no partial output."""

import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner
from steelseg.cli import main

from .conftest import REPO, make_folder_dataset

COMMANDS = ["synth", "rf-masks", "tile", "split"]


def steelseg(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "steelseg", *map(str, args)], capture_output=True, text=True, cwd=cwd
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command):
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0 and "--out" in result.output


def test_error_is_one_line_exit_2_and_no_output(tmp_path):
    image = np.zeros((64, 64, 3), np.uint8)
    root = make_folder_dataset(tmp_path / "d", {"a": image, "b": image})
    (root / "images" / "b.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    (root / "masks").mkdir()
    for name in "ab":
        (root / "masks" / f"{name}.png").write_bytes((root / "images" / "a.png").read_bytes())
    result = steelseg(
        "tile",
        "--dataset",
        root,
        "--masks",
        root / "masks",
        "--classes",
        "ferrite,pearlite",
        "--out",
        tmp_path / "t",
        "--size",
        "32",
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("steelseg: error: ")
    assert "b.png" in lines[0] and "re-export" in lines[0]
    assert not (tmp_path / "t").exists()


def test_an_exclusion_naming_no_image_is_one_line_before_any_output(tmp_path):
    image = np.zeros((64, 64, 3), np.uint8)
    annotation = np.zeros((64, 64), np.uint8)
    annotation[:8], annotation[-8:] = 1, 2
    root = make_folder_dataset(tmp_path / "d", {"a": image}, annotations={"a": annotation})
    (root / "exclude.tsv").write_text("image\tx0\ty0\tx1\ty1\nb\t0\t60\t64\t64\n")
    result = steelseg(
        "rf-masks", "--dataset", root, "--classes", "ferrite,pearlite", "--out", tmp_path / "m"
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "exclude.tsv: boxes for image(s) not given: b" in lines[0]
    assert not (tmp_path / "m").exists()


def test_unknown_option_is_a_usage_error(tmp_path):
    result = steelseg("split", "--tiles", tmp_path, "--out", tmp_path / "s.tsv", "--mode", "x")
    assert result.returncode == 2 and "Invalid value for '--mode'" in result.stderr


def test_synth_morphology_and_groove_options_reach_the_generator(tmp_path):
    from steelseg import io

    common = ["--samples", 1, "--images-per-sample", 1, "--annotated-per-sample", 0]
    common += ["--width", 320, "--height", 240, "--grain-size", 15, "--carbon", 0.22]
    for name, options in [
        ("network", ["--pearlite", "network"]),
        ("islands", ["--pearlite", "islands", "--subpixel-grooves"]),
        ("grains", ["--pearlite", "grains"]),
    ]:
        assert steelseg("synth", "--out", tmp_path / name, *common, *options).returncode == 0
    truth = {
        name: io.read_labels(tmp_path / name / "truth" / "S1_annealed_01.png", 2)
        for name in ("network", "islands", "grains")
    }
    # Same grains (same seed), different pearlite: the option changed the morphology.
    for name in ("islands", "grains"):
        assert abs(truth[name].mean() - truth["network"].mean()) < 0.01
        assert (truth[name] != truth["network"]).mean() > 0.1
    result = steelseg("synth", "--out", tmp_path / "x", *common, "--pearlite", "grains,lumps")
    assert result.returncode == 2 and "Invalid value for '--pearlite'" in result.stderr
    assert not (tmp_path / "x").exists()


def test_pearlite_choices_are_the_generators_in_the_schema():
    from steelseg import settings, synth

    pearlite = settings.spec("synth", "pearlite")
    assert tuple(pearlite["then"]["enum"]) == tuple(synth.PEARLITE_MORPHOLOGIES)
    assert tuple(pearlite["else"]["items"]["enum"]) == tuple(synth.PEARLITE_MORPHOLOGIES)


def test_split_file_modes_need_the_file(tmp_path):
    result = steelseg("split", "--tiles", tmp_path, "--out", tmp_path / "s.tsv", "--mode", "folds")
    assert result.returncode == 2 and "--mode folds: give the JSON split file" in result.stderr
    assert not (tmp_path / "s.tsv").exists()


def test_full_chain_on_the_command_line(tmp_path):
    run = [
        (
            "synth",
            "--out",
            tmp_path / "d",
            "--samples",
            3,
            "--images-per-sample",
            1,
            "--annotated-per-sample",
            1,
            "--width",
            256,
            "--height",
            256,
            "--grain-size",
            30,
            "--carbon",
            0.45,
            "--pearlite",
            "network",
        ),
        (
            "rf-masks",
            "--dataset",
            tmp_path / "d",
            "--classes",
            "ferrite,pearlite",
            "--out",
            tmp_path / "m",
            "--quality",
            tmp_path / "q.json",
            "--trees",
            10,
        ),
        (
            "tile",
            "--dataset",
            tmp_path / "d",
            "--masks",
            tmp_path / "m",
            "--classes",
            "ferrite,pearlite",
            "--out",
            tmp_path / "t",
            "--size",
            128,
        ),
        ("split", "--tiles", tmp_path / "t", "--out", tmp_path / "s.tsv"),
    ]
    for args in run:
        result = steelseg(*args)
        assert result.returncode == 0, result.stderr
    assert "48 tiles from 3 images (16 per image)" in steelseg(*run[2]).stdout
    assert (tmp_path / "s.tsv").read_text().count("\n") == 49


@pytest.mark.parametrize(
    ("option", "measured", "changed", "lighter", "bad", "message"),
    [
        (
            "--colony-darkness",
            1.0,
            1.5,
            False,
            -1,
            "Invalid value for '--colony-darkness': -1.0 is not in the range x>0",
        ),
        (
            "--colony-density",
            "0.3,0.75",
            "0.1,0.75",
            True,
            "0.8,0.2",
            "--colony-density 0.8,0.2: give two optical densities low, high",
        ),
    ],
)
def test_synth_colony_tone_options_reach_the_generator(
    tmp_path, option, measured, changed, lighter, bad, message
):
    from steelseg import io

    common = ["--samples", 1, "--images-per-sample", 1, "--annotated-per-sample", 0]
    common += ["--width", 320, "--height", 240, "--grain-size", 15, "--carbon", 0.3]
    common += ["--pearlite", "network"]
    image, truth = {}, {}
    for name, value in [("measured", measured), ("changed", changed)]:
        result = steelseg("synth", "--out", tmp_path / name, *common, option, value)
        assert result.returncode == 0, result.stderr
        image[name] = io.read_image(tmp_path / name / "images" / "S1_annealed_01.png").mean(-1)
        truth[name] = io.read_labels(tmp_path / name / "truth" / "S1_annealed_01.png", 2)
    np.testing.assert_array_equal(truth["measured"], truth["changed"])
    pearlite = truth["changed"] == 1
    gap = image["changed"][pearlite].mean() - image["measured"][pearlite].mean()
    assert gap > 5 if lighter else gap < -5, gap
    result = steelseg("synth", "--out", tmp_path / "x", *common, option, bad)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert message in result.stderr
    assert not (tmp_path / "x").exists()


def test_synth_supersample_reaches_the_generator_for_overviews_only(tmp_path):
    from steelseg import io

    common = ["--samples", 2, "--images-per-sample", 1, "--annotated-per-sample", 1]
    common += ["--width", 160, "--height", 120, "--grain-size", "15,60"]
    common += ["--carbon", 0.45, "--pearlite", "network", "--look", "sample"]
    for flag in ("--no-supersample", "--supersample"):
        result = steelseg("synth", "--out", tmp_path / flag, *common, flag)
        assert result.returncode == 0, result.stderr

    def read(flag, folder, name):
        path = tmp_path / flag / folder / f"{name}.png"
        return io.read_image(path) if folder == "images" else io.read_labels(path, 3)

    detail, overview = "S2_normalised_01", "S1_annealed_01"
    for folder in ("images", "truth", "annotations"):
        drawn, averaged = (
            read("--no-supersample", folder, detail),
            read("--supersample", folder, detail),
        )
        np.testing.assert_array_equal(drawn, averaged)
    drawn, averaged = (read(f, "images", overview) for f in ("--no-supersample", "--supersample"))
    assert (drawn != averaged).mean() > 0.5
    scribbles = read("--supersample", "annotations", overview)
    assert set(np.unique(scribbles)) == {0, 1, 2}  # both phases scribbled at the output size


def test_augment_choices_are_the_ones_augment_knows_in_cli_and_schema():
    import yaml
    from steelseg import augment

    option = next(p for p in main.commands["train"].params if p.name == "augment")
    assert tuple(option.type.choices) == augment.CHOICES
    schema = yaml.safe_load((REPO / "workflow/steelseg/config.schema.yaml").read_text())
    assert tuple(schema["properties"]["train"]["properties"]["augment"]["enum"]) == augment.CHOICES


@pytest.mark.parametrize("command", ["train", "export-tiles"])
def test_labels_choices_are_the_ones_the_tile_store_has(command):
    from steelseg import tiles

    option = next(p for p in main.commands[command].params if p.name == "labels")
    assert tuple(option.type.choices) == tiles.LABELS
