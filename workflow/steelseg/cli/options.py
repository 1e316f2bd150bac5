"""Options the commands share, and the options of configuration settings, built from the schema
(``steelseg.settings``): a setting's name, default, type, choices and help are written once."""

from __future__ import annotations

from pathlib import Path

import click

from .. import settings


def comma_list(cast):
    """A click callback: 'a,b,c' -> [cast(a), cast(b), cast(c)]."""

    def convert(ctx, param, value):
        if value is None:
            return None
        if isinstance(value, list | tuple):
            return [cast(v) for v in value]
        try:
            return [cast(v.strip()) for v in str(value).split(",") if v.strip()]
        except ValueError as exc:
            raise click.BadParameter(f"'{value}': {exc}") from exc

    return convert


def comma_choices(choices):
    """A comma list whose every item is one of ``choices`` (one value, or one per sample)."""
    split = comma_list(str)

    def convert(ctx, param, value):
        items = split(ctx, param, value)
        unknown = [v for v in items if v not in choices]
        if unknown or not items:
            raise click.BadParameter(
                f"'{value}': each must be one of {', '.join(choices)} (comma-separated)"
            )
        return items

    return convert


def help_of(spec: dict) -> str:
    return " ".join(spec.get("description", "").replace(" - ", ": ").split())


def _number_type(spec: dict, integer: bool):
    low = spec.get("minimum", spec.get("exclusiveMinimum"))
    high = spec.get("maximum")
    if low is None and high is None:
        return int if integer else float
    if integer:
        return click.IntRange(low, high)
    return click.FloatRange(low, high, min_open="exclusiveMinimum" in spec)


def _items(spec: dict) -> dict:
    """The element schema of a list setting (or of a one-value-or-list one)."""
    if "oneOf" in spec:
        return next(s for s in spec["oneOf"] if s.get("type") == "array")["items"]
    return spec.get("items") or spec.get("else", {}).get("items", {})


def setting(section: str, key: str, **extra):
    """The click option of configuration setting ``section.key``: ``--key`` (or its name in
    ``settings.FLAGS``), the schema's default, type, choices and description; a list as a
    comma-separated value, a boolean as an on/off switch. ``extra`` adds to click.option."""
    spec = settings.spec(section, key)
    flag, default = settings.flag(section, key), spec.get("default")
    options = {"default": default, "show_default": default is not None, "help": help_of(spec)}
    kinds = spec.get("type") if isinstance(spec.get("type"), list) else [spec.get("type")]
    if "boolean" in kinds:
        decl = f"{flag}/{settings.off_flag(section, key)}"
        return click.option(decl, key, **options | extra)
    if "array" in kinds or "oneOf" in spec:
        items = _items(spec)
        choices = items.get("enum") or (spec.get("then") or {}).get("enum")
        cast = {"integer": int, "number": float}.get(items.get("type"), str)
        options["callback"] = (
            comma_choices(choices) if choices and cast is str else comma_list(cast)
        )
        if isinstance(default, list):
            options["default"] = ",".join(map(str, default))
    elif "enum" in spec:
        options["type"] = click.Choice(spec["enum"])
    elif "integer" in kinds:
        options["type"] = _number_type(spec, integer=True)
    elif "number" in kinds:
        options["type"] = _number_type(spec, integer=False)
    return click.option(flag, key, **options | extra)


def settings_of(section: str, *keys: str):
    """Decorators for several settings of one section, in the order given."""

    def apply(command):
        for key in reversed(keys):
            command = setting(section, key)(command)
        return command

    return apply


CLASSES = click.option(
    "--classes",
    required=True,
    callback=comma_list(str),
    help="Class names in index order, comma-separated (e.g. ferrite,pearlite).",
)
DATASET = click.option(
    "--dataset",
    "dataset_dir",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Data set folder (images/, annotations/ or masks/, samples.tsv).",
)
TILES = click.option(
    "--tiles",
    "tiles_dir",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Tile store folder (the tile step's output).",
)
SPLIT = click.option(
    "--split",
    "split_path",
    required=True,
    type=click.Path(path_type=Path),
    help="split.tsv from the split step.",
)
SET = click.option(
    "--set",
    "set_name",
    default="test",
    show_default=True,
    type=click.Choice(settings.SETS),
    help="Which set of the split.",
)
DEVICE = setting("train", "device")
CHECKPOINTS = click.option(
    "--checkpoint",
    "checkpoints",
    required=True,
    multiple=True,
    type=click.Path(path_type=Path),
    help="checkpoint.pt of a trained model. Repeat it to average several models' class "
    "probabilities (an ensemble, e.g. one model trained with different seeds).",
)
MODEL = click.option(
    "--model",
    required=True,
    type=click.Choice(settings.model_names()),
    help="One of the paper's models.",
)
THREADS = click.option(
    "--threads", default=1, show_default=True, type=click.IntRange(1), help="CPU threads for torch."
)


def out_option(what: str):
    """The --out option: ``what`` it is."""
    return click.option("--out", required=True, type=click.Path(path_type=Path), help=what)
