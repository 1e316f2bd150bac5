"""One source of truth: every setting's command-line option has the schema's default, choices and
help; the workflow passes settings by the same names; `steelseg synth` alone writes the
workflow's default data."""

import subprocess
import sys

import click
import pytest
from steelseg import settings
from steelseg.cli import main
from steelseg.models import MODELS

from .conftest import REPO, snakemake

# The commands that take a config section's settings, and the arguments they require.
COMMANDS = {
    "synth": ("synth", ["--out", "x"]),
    "rf-masks": ("rf", ["--dataset", "d", "--classes", "a,b", "--out", "o"]),
    "tile": ("tiles", ["--dataset", "d", "--masks", "m", "--classes", "a,b", "--out", "o"]),
    "split": ("split", ["--tiles", "t", "--out", "o"]),
    "train": (
        "train",
        ["--tiles", "t", "--split", "s", "--model", "unet", "--classes", "a,b", "--out", "o"],
    ),
    "predict": ("predict", ["image.png", "--checkpoint", "c.pt", "--out", "o"]),
}


def _parsed(command: str, args: list[str]) -> dict:
    """The values a command receives from its options' defaults."""
    return main.commands[command].make_context(command, list(args)).params


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_setting_options_default_to_the_schema(command):
    section, args = COMMANDS[command]
    values = _parsed(command, args)
    defaults = settings.defaults(section)
    # split's fractions: one option for three numbers (below); predict's images: the argument
    shared = {key for key in defaults if key in values and key not in ("fractions", "images")}
    assert len(shared) >= min(3, len(defaults) - 1), (command, shared)
    for key in shared:
        expected = defaults[key]
        got = values[key]
        if isinstance(expected, list):
            got = list(got)
        assert got == expected, (command, key)
    if command == "split":
        assert values["fractions"] == list(defaults["fractions"].values())


def test_every_setting_of_a_section_reaches_its_command():
    # The options a command lacks are the workflow's own business (rule threads, paths).
    for command, (section, _) in COMMANDS.items():
        params = {p.name for p in main.commands[command].params}
        missing = set(settings.defaults(section)) - params
        allowed = {"predict": {"images", "model", "ensemble"}, "split": {"file", "folds"}}
        assert missing <= allowed.get(command, set()), (command, missing)


def test_choices_are_the_schemas():
    for command, (section, _) in COMMANDS.items():
        for param in main.commands[command].params:
            if isinstance(param.type, click.Choice) and param.name in settings.defaults(section):
                spec = settings.spec(section, param.name)
                assert tuple(param.type.choices) == tuple(spec["enum"]), (command, param.name)
    assert settings.model_names() == tuple(MODELS)
    assert tuple(settings.spec("predict", "model")["enum"]) == settings.model_names()


def test_every_option_of_every_command_has_help():
    for name, command in main.commands.items():
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"steelseg {name} {param.opts[0]} has no help"


def test_settings_become_options_by_one_rule():
    values = {"grain_size_px": [60, 15], "supersample": False, "subpixel_grooves": True}
    values |= {"seed": 3, "colony_density": [0.3, 0.75], "threads": 4, "carbon": None}
    flags = settings.cli_flags("synth", values, skip=("threads",))
    assert flags == (
        "--grain-size 60,15 --no-supersample --subpixel-grooves --seed 3 --colony-density 0.3,0.75"
    )
    assert settings.cli_flags("synth", {"subpixel_grooves": False}) == "--drawn-grooves"


@pytest.mark.slow
def test_synth_alone_writes_the_workflows_default_data(tmp_path):
    # One override (a small size) for both: the workflow's synth rule on config.yaml, and the
    # command with no other option.
    small = {"images_per_sample": [2], "width": 160, "height": 120}
    (tmp_path / "small.yaml").write_text(
        "synth: {images_per_sample: [2], width: 160, height: 120}\n"
    )
    workflow = snakemake(
        tmp_path,
        "results/synthetic_c45e/dataset",
        "--configfile",
        REPO / "config.yaml",
        tmp_path / "small.yaml",
    )
    assert workflow.returncode == 0, workflow.stdout[-3000:]
    options = [f"--{key.replace('_', '-')}" for key in small]
    command = [sys.executable, "-m", "steelseg", "synth", "--out", tmp_path / "alone"]
    command += [word for option, value in zip(options, small.values(), strict=True)
                for word in (option, ",".join(map(str, value)) if isinstance(value, list)
                             else str(value))]  # fmt: skip
    alone = subprocess.run(command, capture_output=True, text=True)
    assert alone.returncode == 0, alone.stderr
    rule = tmp_path / "results/synthetic_c45e/dataset"
    files = sorted(
        p.relative_to(rule)
        for p in rule.rglob("*")
        if p.is_file() and p.name != ".snakemake_timestamp"
    )
    assert len(files) == 4 * 2 * 3 + 2  # images, truth, scribbles (2 a sample), sheet, marker
    assert files == sorted(
        p.relative_to(tmp_path / "alone") for p in (tmp_path / "alone").rglob("*") if p.is_file()
    )
    for name in files:
        assert (rule / name).read_bytes() == (tmp_path / "alone" / name).read_bytes(), name
