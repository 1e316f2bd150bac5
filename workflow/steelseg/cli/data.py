"""Data commands: synth, rf-masks, rf-apply, tile, split, fetch-dataset, export-images."""

from __future__ import annotations

from pathlib import Path

import click
from tabulate import tabulate

from .. import settings
from . import main
from .options import (
    CLASSES,
    DATASET,
    SET,
    SPLIT,
    TILES,
    comma_list,
    out_option,
    setting,
    settings_of,
)

SYNTH = (
    "samples",
    "images_per_sample",
    "annotated_per_sample",
    "width",
    "height",
    "carbon",
    "grain_size_px",
    "seed",
    "pearlite",
    "subpixel_grooves",
    "colony_darkness",
    "colony_density",
    "interface_depth",
    "colony_mottle",
    "look",
    "supersample",
    "threads",
)
RF = ("trees", "sigma_min", "sigma_max", "num_sigma", "stride", "max_depth", "seed", "threads")


@main.command()
@out_option("Data set folder to write.")
@settings_of("synth", *SYNTH)
def synth(out, **values):
    """Generate synthetic ferrite–pearlite micrographs with scribbles and exact truth.

    With no options: the workflow's embedded default data (config.yaml)."""
    from .. import synth as synth_module

    rows = synth_module.generate(out, **values)
    table = [
        (r["image"], r["sample"], r["condition"], r["carbon_wt_pct"], r["pearlite_fraction"])
        for r in rows
    ]
    headers = ["image", "sample", "condition", "C wt%", "pearlite fraction"]
    click.echo(tabulate(table, headers=headers))
    click.echo(f"wrote {out} (lever-rule targets in samples.tsv)")


@main.command("rf-masks")
@DATASET
@CLASSES
@out_option("Folder for the dense masks.")
@click.option(
    "--quality",
    type=click.Path(path_type=Path),
    help="JSON report of RF masks vs truth/ (where the data set has it).",
)
@click.option(
    "--save-forest",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder to save each sample's fitted forest in (<sample>.skops), for rf-apply.",
)
@settings_of("rf", *RF)
def rf_masks(dataset_dir, classes, out, quality, save_forest, **rf):
    """Dense masks from sparse scribbles with a per-sample random forest (Trainable Weka)."""
    from ..rfmask import mark_warnings, run

    report = run(dataset_dir, classes, out, quality, save_forest, **rf)
    if report["reference"]:
        rows = [("pixel accuracy", f"{report['pixel_accuracy']:.4f}")]
        rows += [
            (f"IoU {name}", "n/a" if v is None else f"{v:.4f}") for name, v in report["iou"].items()
        ]
        click.echo(tabulate(rows, headers=["RF masks vs exact truth", ""]))
    for warning in mark_warnings(report, dataset_dir):
        click.echo(f"warning: {warning}")
    click.echo(f"wrote {out}" + (f" and the forests to {save_forest}" if save_forest else ""))


@main.command("rf-apply")
@click.argument("images", nargs=-1, required=True)
@click.option(
    "--forest",
    "forest_path",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="A <sample>.skops forest saved by rf-masks --save-forest.",
)
@out_option("Folder for the dense masks (PNG class indices, named like the images).")
@click.option(
    "--classes",
    default=None,
    callback=comma_list(str),
    help="Class names in index order, checked against the forest's (default: the forest's).",
)
@setting("rf", "sigma_min", default=None, show_default=False)
@setting("rf", "sigma_max", default=None, show_default=False)
@setting("rf", "num_sigma", default=None, show_default=False)
@setting("rf", "threads", default=1)
def rf_apply(images, forest_path, out, threads, **given):
    """Label new micrographs with a saved random forest, as rf-masks labels a sample's images.

    IMAGES are files, folders or quoted glob patterns. Filter-bank settings and classes are
    the forest's own; one given that differs is refused.
    """
    from ..forests import apply

    count = apply(forest_path, images, out, threads, **given)
    click.echo(f"wrote {count} mask(s) to {out}")


@main.command()
@DATASET
@click.option(
    "--masks",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder of dense masks (the rf-masks output).",
)
@CLASSES
@out_option("Tile store folder to write.")
@settings_of("tiles", "size", "stride", "rotations", "cover")
def tile(dataset_dir, masks, classes, out, size, stride, rotations, cover):
    """Cut images and masks into rotated square tiles (the paper's augmentation)."""
    from ..dataset import load_dataset
    from ..tiles import TileSpec, write_store

    spec = TileSpec(size=size, stride=stride or size, rotations=tuple(rotations), cover=cover)
    rows = write_store(load_dataset(dataset_dir), masks, out, len(classes), spec)
    images = len({r["image"] for r in rows})
    click.echo(
        f"{len(rows)} tiles from {images} images ({len(rows) // max(images, 1)} per image) in {out}"
    )


@main.command()
@TILES
@out_option("split.tsv to write.")
@setting("split", "mode")
@click.option(
    "--assignment",
    type=click.Path(path_type=Path),
    help="fixed: {train,val,test: [images]}; folds: {0: [images], 1: ...} (JSON).",
)
@click.option("--fold", type=int, help="folds: the test fold (the next one validates).")
@setting("split", "group_by")
@click.option(
    "--fractions",
    default=",".join(map(str, settings.defaults("split")["fractions"].values())),
    show_default=True,
    callback=comma_list(float),
    help="train,val,test fractions; they sum to 1.",
)
@setting("split", "seed")
def split(tiles_dir, out, mode, assignment, fold, group_by, fractions, seed):
    """Split the tiles into train / val / test sets."""
    from ..split import run

    click.echo(run(tiles_dir, out, mode, fractions, seed, group_by, assignment, fold))


@main.command("fetch-dataset")
@click.option(
    "--sources",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="TSV: file, source_url, sha256, becomes (e.g. workflow/published/uhcs24/sources.tsv).",
)
@out_option("Data set folder to write.")
def fetch_dataset(sources, out):
    """Download a public data set, check every file's sha256, convert it to the folder layout."""
    from ..download import fetch_dataset as fetch

    count = fetch(sources, out)
    click.echo(f"fetched and verified {count} files into {out}")


@main.command("export-images")
@DATASET
@click.option(
    "--masks",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Dense masks from the rf-masks step.",
)
@SPLIT
@SET
@CLASSES
@out_option("Folder for images/, rf_masks/ (and exact_truth/, exclude/) of the set.")
def export_images(dataset_dir, masks, split_path, set_name, classes, out):
    """Write one set's whole images and reference masks (for predict + evaluate on images)."""
    from ..dataset import export_images as export
    from ..dataset import load_dataset
    from ..split import images_in_set

    names = images_in_set(split_path, set_name)
    counts = export(load_dataset(dataset_dir), names, masks, len(classes), out)
    click.echo(
        f"wrote {counts['images']} {set_name} images with rf_masks"
        + (f" and exact_truth ({counts['exact_truth']})" if counts["exact_truth"] else "")
        + f" to {out}"
    )
