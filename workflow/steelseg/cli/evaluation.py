"""Evaluation commands: export-tiles, predict-tiles, evaluate, compare, report."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import SteelsegError
from . import main
from .options import (
    CHECKPOINTS,
    CLASSES,
    DEVICE,
    SET,
    SPLIT,
    THREADS,
    TILES,
    comma_list,
    out_option,
)


@main.command("export-tiles")
@TILES
@SPLIT
@SET
@click.option(
    "--labels",
    default="masks",
    show_default=True,
    type=click.Choice(["masks", "truth"]),
    help="masks: the RF masks trained on (paper); truth: exact synthetic truth.",
)
@out_option("Folder for the label tiles (PNG) and groups.tsv.")
def export_tiles(tiles_dir, split_path, set_name, labels, out):
    """Write the label tiles of one set as PNGs (the reference for `steelseg evaluate`)."""
    from ..split import read_split
    from ..tiles import TileStore, export_labels

    count = export_labels(TileStore.open(tiles_dir), read_split(split_path)[set_name], labels, out)
    click.echo(f"wrote {count} {labels} tiles of the {set_name} set to {out}")


@main.command("predict-tiles")
@CHECKPOINTS
@TILES
@SPLIT
@SET
@out_option("Folder for the predicted label tiles (PNG).")
@click.option(
    "--batch-size", default=16, show_default=True, type=click.IntRange(1), help="Tiles per pass."
)
@DEVICE
@THREADS
def predict_tiles(checkpoints, tiles_dir, split_path, set_name, out, batch_size, device, threads):
    """Predict one set of stored tiles with a trained checkpoint (label PNGs)."""
    from ..predict import predict_tiles_of_set as run

    count = run(checkpoints, tiles_dir, split_path, set_name, out, batch_size, device, threads)
    click.echo(f"wrote {count} predicted tiles to {out}")


@main.command()
@click.option(
    "--pred",
    "pred_dir",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Predicted label images.",
)
@click.option(
    "--truth",
    "truth_dir",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Truth label images.",
)
@click.option("--num-classes", required=True, type=click.IntRange(2), help="Number of classes.")
@click.option(
    "--class-names",
    default=None,
    callback=comma_list(str),
    help="Comma-separated names (default: class0, class1, ...).",
)
@click.option(
    "--scored-on",
    default="tiles",
    show_default=True,
    type=click.Choice(["tiles", "images"]),
    help="What the files are: sets the meaning of the BF tolerance.",
)
@click.option("--reference", default=None, help="Name of the truth, e.g. rf_masks, exact_truth.")
@click.option("--model", default=None, help="Model name to record in the JSON.")
@click.option(
    "--groups",
    type=click.Path(path_type=Path, dir_okay=False),
    help="TSV: a 'file' column (image names) and grouping columns (e.g. image, sample); adds "
    "per-group scores and phase fractions (export-tiles writes one as groups.tsv).",
)
@out_option("Metrics JSON to write.")
def evaluate(
    pred_dir, truth_dir, num_classes, class_names, scored_on, reference, model, groups, out
):
    """Score predicted label images against truth, as MATLAB evaluateSemanticSegmentation."""
    from ..evaluate import score_folders, summary, write_json

    names = class_names or [f"class{k}" for k in range(num_classes)]
    if len(names) != num_classes:
        raise SteelsegError(
            f"--class-names: {len(names)} names for --num-classes {num_classes}; give one each"
        )
    result = score_folders(pred_dir, truth_dir, names, scored_on, reference, model, groups)
    write_json(result, out)
    click.echo(summary(result, names))


@main.command()
@click.argument("folds", nargs=-1, required=True, type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--models",
    "model_names",
    required=True,
    callback=comma_list(str),
    help="The models to compare, comma-separated.",
)
@CLASSES
@click.option(
    "--published",
    type=click.Path(path_type=Path),
    help="TSV of published results to list beside ours (workflow/published/<data set>/).",
)
@click.option(
    "--reference",
    default="rf_masks",
    show_default=True,
    type=click.Choice(["rf_masks", "exact_truth"]),
    help="Which whole-image scores: against the data set's masks or its exact truth.",
)
@out_option("Markdown table to write.")
def compare(folds, model_names, classes, published, reference, out):
    """Mean ± std over cross-validation folds (results/<dataset>/folds/<k>) vs published."""
    from ..compare import write_comparison

    click.echo(write_comparison(list(folds), model_names, classes, out, published, reference))
    click.echo(f"wrote {out}")


@main.command()
@click.option(
    "--results",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="results/<dataset> folder.",
)
@click.option(
    "--models",
    "model_names",
    required=True,
    callback=comma_list(str),
    help="The models trained, comma-separated.",
)
@CLASSES
@click.option(
    "--colors",
    required=True,
    callback=comma_list(str),
    help="Class colours, #RRGGBB, comma-separated, in class order.",
)
@click.option(
    "--split-mode",
    default="grouped",
    show_default=True,
    help="The split the tables describe (split.mode).",
)
def report(results, model_names, classes, colors, split_mode):
    """Tables 3 and 4 (Markdown, LaTeX, HTML) and the paper's figures."""
    from ..report import make_report

    if len(colors) != len(classes):
        raise SteelsegError("--colors: give one colour per class")
    for name, path in make_report(results, model_names, classes, colors, split_mode).items():
        click.echo(f"== {name} ({path})")
        click.echo(path.read_text())
