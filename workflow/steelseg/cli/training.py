"""Training commands: train, models, fetch-weights."""

from __future__ import annotations

import click
from tabulate import tabulate

from .. import settings
from ..errors import SteelsegError
from . import main
from .options import CLASSES, MODEL, SPLIT, TILES, help_of, out_option, settings_of

TRAIN = (
    "epochs",
    "learning_rate",
    "l2",
    "validation_frequency",
    "patience",
    "max_iterations",
    "checkpoint_every",
    "augment",
    "labels",
    "colour",
    "output_network",
    "seed",
    "device",
    "workers",
    "threads",
)
MODEL_SETTINGS = settings.schema()["properties"]["models"]["additionalProperties"]["properties"]


@main.command()
@TILES
@SPLIT
@MODEL
@CLASSES
@out_option("Model folder: checkpoint.pt, train_log.csv, curves.png, summary.json.")
@click.option("--weights", default=None, help=help_of(MODEL_SETTINGS["weights"]))
@click.option(
    "--batch-size",
    default=MODEL_SETTINGS["batch_size"]["default"],
    show_default=True,
    type=click.IntRange(1),
    help=help_of(MODEL_SETTINGS["batch_size"]),
)
@click.option(
    "--final-relu/--no-final-relu",
    default=MODEL_SETTINGS["final_relu"]["default"],
    show_default=True,
    help=help_of(MODEL_SETTINGS["final_relu"]),
)
@settings_of("train", *TRAIN)
@click.option(
    "--resume/--no-resume",
    default=True,
    show_default=True,
    help="Continue a killed run from its resume.pt.",
)
def train(tiles_dir, split_path, model, classes, out, weights, batch_size, resume, **values):
    """Train one of the paper's five models on the tiles (resumable)."""
    from ..train import run

    values["batch_size"] = batch_size
    summary = run(model, tiles_dir, split_path, classes, out, weights, resume, values)
    rows = [(k, v) for k, v in summary.items() if k != "class_weights"]
    click.echo(tabulate(rows, headers=[f"training: {model}", ""], floatfmt=".4f"))


@main.command()
@click.option(
    "--classes",
    "num_classes",
    default=2,
    show_default=True,
    type=click.IntRange(2),
    help="Number of classes.",
)
def models(num_classes):
    """Parameters and layers of every model next to the paper's Table 2 (as MATLAB counts
    layers; SegNet's 91 with --final-relu, as the paper preset trains it)."""
    from ..models import parameter_table

    headers = ["model", "network", "parameters", "paper", "difference", "layers", "paper"]
    click.echo(tabulate(parameter_table(num_classes), headers=headers))


@main.command("fetch-weights")
@click.option(
    "--model",
    required=True,
    type=click.Choice(settings.model_names()[1:]),
    help="A model with a pretrained encoder (all but unet).",
)
@out_option("File for the encoder's ImageNet state dict.")
def fetch_weights(model, out):
    """Download a model's ImageNet encoder once (login node) for offline GPU jobs."""
    from ..models import save_encoder_weights

    try:
        path = save_encoder_weights(model, out)
    except (OSError, RuntimeError) as exc:  # no network, hub errors
        raise SteelsegError(
            f"{out}: could not download ImageNet weights for {model} ({exc}); run this where "
            "there is internet, or set the model's weights to null"
        ) from exc
    click.echo(f"wrote {path}")
