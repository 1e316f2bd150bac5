"""The ``steelseg`` command: one thin subcommand per workflow step.

Commands only parse options and call one function of the step's module. A SteelsegError, and
any error of the file system (no space, read-only, no permission), becomes one line on stderr
and exit code 2; a SteelsegWarning one line ``steelseg: warning: ...``. SIGTERM (what SLURM and
Snakemake send on cancel or time-out) ends a step as an error does, so its temporary output is
removed.
"""

from __future__ import annotations

import errno
import signal
import sys
import warnings
from pathlib import Path

import click
from tabulate import tabulate

from .errors import SteelsegError, SteelsegWarning


def _comma_list(cast):
    def convert(ctx, param, value):
        if value is None:
            return None
        try:
            return [cast(v.strip()) for v in str(value).split(",") if v.strip()]
        except ValueError as exc:
            raise click.BadParameter(f"'{value}': {exc}") from exc

    return convert


PEARLITE_CHOICES = ("network", "islands", "films", "grains", "colonies")  # synth's morphologies


def _comma_choices(choices):
    """A comma list whose every item is one of ``choices`` (one value, or one per sample)."""

    split = _comma_list(str)

    def convert(ctx, param, value):
        items = split(ctx, param, value)
        unknown = [v for v in items if v not in choices]
        if unknown or not items:
            raise click.BadParameter(
                f"'{value}': each must be one of {', '.join(choices)} (comma-separated)"
            )
        return items

    return convert


# What to do about a file-system error, by its errno.
_OS_FIXES = {
    errno.ENOSPC: "the disk is full; free space or write elsewhere, then rerun",
    errno.EDQUOT: "the disk quota is used up; free space or write elsewhere, then rerun",
    errno.EFBIG: "the file is larger than this system allows; write elsewhere, then rerun",
    errno.EROFS: "the file system is read-only; write elsewhere",
    errno.EACCES: "no permission; write where you may, or fix the permissions",
    errno.EPERM: "no permission; write where you may, or fix the permissions",
}


def os_error_line(exc: OSError) -> str:
    """One line for a file-system error: the path, the cause, what to do."""
    where = exc.filename or "a file"
    cause = exc.strerror or str(exc)
    return f"{where}: {cause}; {_OS_FIXES.get(exc.errno, 'check the path, then rerun')}"


def _terminated(signum, frame):
    raise SystemExit(128 + signum)  # unwinds like an error: temporary outputs are removed


def _show_warning(message, category, filename, lineno, file=None, line=None):
    if issubclass(category, SteelsegWarning):
        from tqdm import tqdm

        tqdm.write(f"steelseg: warning: {message}", file=sys.stderr)
    else:
        _default_show_warning(message, category, filename, lineno, file, line)


_default_show_warning = warnings.showwarning


def _fail(message: str):
    """One line on stderr (on a line of its own, also under a progress bar) and exit code 2."""
    from tqdm import tqdm

    tqdm.write(f"steelseg: error: {message}", file=sys.stderr)
    sys.exit(2)


class SteelsegGroup(click.Group):
    """Turn project and file-system errors into one line and exit code 2, with no traceback."""

    def invoke(self, ctx):
        signal.signal(signal.SIGTERM, _terminated)
        warnings.showwarning = _show_warning
        try:
            return super().invoke(ctx)
        except SteelsegError as exc:
            _fail(str(exc))
        except OSError as exc:
            _fail(os_error_line(exc))
        except MemoryError:
            _fail("out of memory; use smaller images, fewer threads, or a machine with more memory")


@click.group(cls=SteelsegGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="steelseg")
def main():
    """Semantic segmentation of steel micrographs (Muñoz-Rodenas et al. 2024), step by step."""


CLASSES = click.option(
    "--classes",
    required=True,
    callback=_comma_list(str),
    help="Class names in index order, comma-separated (e.g. ferrite,pearlite).",
)

DATASET = click.option(
    "--dataset",
    "dataset_dir",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Data set folder.",
)
TILES = click.option(
    "--tiles",
    "tiles_dir",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Tile store folder.",
)
SPLIT = click.option(
    "--split",
    "split_path",
    required=True,
    type=click.Path(path_type=Path),
    help="split.tsv from the split step.",
)
DEVICE = click.option(
    "--device",
    default="auto",
    show_default=True,
    type=click.Choice(["auto", "cpu", "cuda"]),
    help="cuda stops with an error where no GPU is visible.",
)
CHECKPOINTS = click.option(
    "--checkpoint",
    "checkpoints",
    required=True,
    multiple=True,
    type=click.Path(path_type=Path),
    help="checkpoint.pt of a trained model. Repeat it to average several models' class "
    "probabilities (an ensemble, e.g. one model trained with different seeds).",
)


@main.command()
@click.option(
    "--out", required=True, type=click.Path(path_type=Path), help="Data set folder to write."
)
@click.option(
    "--samples", default=3, show_default=True, type=click.IntRange(1), help="Number of samples."
)
@click.option(
    "--images-per-sample",
    default="12,11,11",
    show_default=True,
    callback=_comma_list(int),
    help="One number for every sample, or one per sample (paper: 12,11,11 = 34 images).",
)
@click.option(
    "--annotated-per-sample",
    default=2,
    show_default=True,
    type=int,
    help="Images per sample that get scribbled annotations.",
)
@click.option("--width", default=2080, show_default=True, type=int, help="Image width, px.")
@click.option("--height", default=1542, show_default=True, type=int, help="Image height, px.")
@click.option(
    "--carbon",
    default="0.45",
    show_default=True,
    callback=_comma_list(float),
    help="Carbon content, wt% (C45E: 0.45): one number, or one per sample. It sets the "
    "pearlite fraction (lever rule).",
)
@click.option(
    "--grain-size",
    default="60",
    show_default=True,
    callback=_comma_list(float),
    help="Mean annealed grain size, px (normalised: 0.6x): one number, or one per sample. It "
    "sets the magnification: 60 is a detail view, 15 an overview at 1/4 of it.",
)
@click.option("--seed", default=0, show_default=True, type=int, help="Random seed.")
@click.option(
    "--pearlite",
    default="network",
    show_default=True,
    callback=_comma_choices(PEARLITE_CHOICES),
    help="Morphology: network (along grain edges, clustered), islands (separate colonies at "
    "grain corners, as in low-carbon steels), films (thin films along most grain edges, "
    "wedges at the corners), grains (whole grains: angular patches, as near the eutectoid) or "
    "colonies (whole cells of a tessellation at half the grain size: finer angular patches); "
    "one, or one per sample (e.g. grains,grains,films).",
)
@click.option(
    "--subpixel-grooves/--drawn-grooves",
    default=False,
    show_default=True,
    help="Grain-boundary grooves narrower than a pixel darken in proportion to their width "
    "(lighter grooves in overviews) instead of being drawn as dark as a 0.3 px line.",
)
@click.option(
    "--colony-darkness",
    default=1.0,
    show_default=True,
    type=float,
    help="Multiplies every pearlite colony's optical density (1: as measured on SAE 1045; "
    "above 1: darker colonies, nothing else changes).",
)
@click.option(
    "--colony-density",
    default="0.3,0.75",
    show_default=True,
    callback=_comma_list(float),
    help="LOW,HIGH: range of the pearlite colonies' base optical density (uniform draw); a "
    "lower LOW adds light, low-contrast colonies and changes nothing else.",
)
@click.option(
    "--interface-depth",
    default=0.5,
    show_default=True,
    type=float,
    help="Optical density of the etched line where ferrite meets pearlite (0: none, so a "
    "pearlite film is no wider in the image than in its mask; nothing else changes).",
)
@click.option(
    "--colony-mottle",
    default=1.0,
    show_default=True,
    type=float,
    help="Gain on the pearlite colonies' blotchy mottle (1: the default data; 2-3: the real "
    "crops' local contrast at overview magnification; only the colonies' tone changes).",
)
@click.option(
    "--look",
    default="sample",
    show_default=True,
    type=click.Choice(["sample", "image"]),
    help="One etch and illumination (cool or warm light) per sample, or one per image with "
    "the lights alternating within each sample, so that no sample's carbon content or "
    "magnification comes with one light (each image's structure is the same either way).",
)
@click.option(
    "--supersample/--no-supersample",
    default=False,
    show_default=True,
    help="Overviews (annealed grain size ≤ 40 px) are rendered at up to 4x the size and "
    "block-averaged, as a camera pixel integrates light, then blurred by ~1 px: lamellae finer "
    "than a pixel become a smooth colony tone, not aliased pixel noise (slower, more memory).",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1),
    help="Processes rendering images side by side (the files are the same for any number; "
    "a supersampled 2080 x 1542 overview takes ~6 GB).",
)
def synth(
    out,
    samples,
    images_per_sample,
    annotated_per_sample,
    width,
    height,
    carbon,
    grain_size,
    seed,
    pearlite,
    subpixel_grooves,
    colony_darkness,
    colony_density,
    interface_depth,
    colony_mottle,
    look,
    supersample,
    workers,
):
    """Generate synthetic ferrite–pearlite micrographs with scribbles and exact truth."""
    from . import synth as synth_module

    rows = synth_module.generate(
        out,
        samples=samples,
        images_per_sample=images_per_sample,
        annotated_per_sample=annotated_per_sample,
        width=width,
        height=height,
        carbon=carbon,
        grain_size_px=grain_size,
        seed=seed,
        pearlite=pearlite,
        subpixel_grooves=subpixel_grooves,
        colony_darkness=colony_darkness,
        supersample=supersample,
        colony_density=tuple(colony_density),
        interface_depth=interface_depth,
        look=look,
        colony_mottle=colony_mottle,
        workers=workers,
    )
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
@click.option(
    "--out", required=True, type=click.Path(path_type=Path), help="Folder for dense masks."
)
@click.option(
    "--quality",
    type=click.Path(path_type=Path),
    help="JSON report of RF masks vs truth/ (where the data set has it).",
)
@click.option("--trees", default=200, show_default=True, type=click.IntRange(1))
@click.option("--sigma-min", default=1.0, show_default=True, type=float)
@click.option("--sigma-max", default=16.0, show_default=True, type=float)
@click.option("--num-sigma", default=5, show_default=True, type=click.IntRange(1))
@click.option("--max-depth", default=None, type=click.IntRange(1), help="Tree depth limit (none).")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--threads", default=1, show_default=True, type=click.IntRange(1))
def rf_masks(
    dataset_dir,
    classes,
    out,
    quality,
    trees,
    sigma_min,
    sigma_max,
    num_sigma,
    max_depth,
    seed,
    threads,
):
    """Dense masks from sparse scribbles with a per-sample random forest (Trainable Weka)."""
    from .dataset import load_dataset
    from .rfmask import FilterBank, make_masks, mark_warnings

    if not 0 < sigma_min <= sigma_max:
        raise SteelsegError("--sigma-min/--sigma-max: need 0 < sigma-min <= sigma-max")
    report = make_masks(
        load_dataset(dataset_dir),
        classes,
        out,
        quality,
        trees=trees,
        bank=FilterBank(sigma_min, sigma_max, num_sigma, workers=threads),
        seed=seed,
        n_jobs=threads,
        max_depth=max_depth,
    )
    if report["reference"]:
        rows = [("pixel accuracy", f"{report['pixel_accuracy']:.4f}")]
        rows += [
            (f"IoU {name}", "n/a" if v is None else f"{v:.4f}") for name, v in report["iou"].items()
        ]
        click.echo(tabulate(rows, headers=["RF masks vs exact truth", ""]))
    for warning in mark_warnings(report, dataset_dir):
        click.echo(f"warning: {warning}")
    click.echo(f"wrote {out}")


@main.command()
@DATASET
@click.option(
    "--masks",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder of dense masks (the rf-masks output).",
)
@CLASSES
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Tile store folder.")
@click.option("--size", default=224, show_default=True, type=int, help="Tile side, px.")
@click.option("--stride", default=None, type=int, help="Grid step, px (default: size).")
@click.option(
    "--rotations",
    default="0,90,180,270",
    show_default=True,
    callback=_comma_list(int),
    help="Rotations in degrees (multiples of 90).",
)
@click.option(
    "--cover/--no-cover",
    default=False,
    show_default=True,
    help="Add a last overlapping row/column so the whole image is covered.",
)
def tile(dataset_dir, masks, classes, out, size, stride, rotations, cover):
    """Cut images and masks into rotated square tiles (the paper's augmentation)."""
    from .dataset import load_dataset
    from .tiles import TileSpec, write_store

    spec = TileSpec(size=size, stride=stride or size, rotations=tuple(rotations), cover=cover)
    rows = write_store(load_dataset(dataset_dir), masks, out, len(classes), spec)
    images = len({r["image"] for r in rows})
    click.echo(
        f"{len(rows)} tiles from {images} images ({len(rows) // max(images, 1)} per image) in {out}"
    )


@main.command()
@TILES
@click.option("--out", required=True, type=click.Path(path_type=Path), help="split.tsv to write.")
@click.option(
    "--mode",
    default="grouped",
    show_default=True,
    type=click.Choice(["grouped", "paper", "fixed", "folds"]),
    help="grouped: no source image in two sets; paper: tiles at random (leaks); fixed: the "
    "sets a JSON file names; folds: fold --fold of a JSON folds file is the test set.",
)
@click.option(
    "--assignment",
    type=click.Path(path_type=Path),
    help="fixed: {train,val,test: [images]}; folds: {0: [images], 1: ...} (JSON).",
)
@click.option("--fold", type=int, help="folds: the test fold (the next one validates).")
@click.option(
    "--group-by", default="image", show_default=True, type=click.Choice(["image", "sample"])
)
@click.option(
    "--fractions",
    default="0.7,0.2,0.1",
    show_default=True,
    callback=_comma_list(float),
    help="train,val,test fractions.",
)
@click.option("--seed", default=0, show_default=True, type=int)
def split(tiles_dir, out, mode, assignment, fold, group_by, fractions, seed):
    """Split the tiles into train / val / test sets."""
    from . import split as split_module
    from .tiles import TileStore

    if len(fractions) != 3:
        raise SteelsegError("--fractions: give three numbers train,val,test, e.g. 0.7,0.2,0.1")
    if mode in split_module.FILE_MODES and assignment is None:
        raise SteelsegError(f"--mode {mode}: give the JSON split file with --assignment FILE")
    if mode not in split_module.FILE_MODES and assignment is not None:
        raise SteelsegError(f"--mode {mode}: --assignment goes with --mode fixed or folds only")
    index = TileStore.open(tiles_dir).index
    by_image = assignment and split_module.read_assignment(assignment, mode, fold)
    labels = split_module.assign(
        index,
        mode,
        dict(zip(split_module.SETS, fractions, strict=True)),
        seed,
        group_by,
        assignment=by_image or None,
        source=str(assignment),
    )
    summary = split_module.write_split(index, labels, out)
    table = [(name, *summary[name].values()) for name in split_module.SETS]
    click.echo(tabulate(table, headers=["set", "tiles", "images", "samples"]))
    click.echo(
        f"mode {mode}"
        + (f" (grouped by {group_by})" if mode == "grouped" else "")
        + (
            f" ({assignment}" + (f", fold {fold})" if mode == "folds" else ")")
            if assignment
            else ""
        )
        + f"; wrote {out}"
    )


MODEL_NAMES = [
    "unet",
    "segnet",
    "deeplabv3plus_resnet50",
    "deeplabv3plus_resnet18",
    "deeplabv3plus_mobilenetv2",
]


def _weights(value: str | None) -> str | None:
    return None if value in (None, "", "null", "none", "None") else value


@main.command()
@TILES
@SPLIT
@click.option("--model", required=True, type=click.Choice(MODEL_NAMES))
@CLASSES
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path),
    help="Model folder: checkpoint.pt, train_log.csv, curves.png, summary.json.",
)
@click.option(
    "--weights",
    default=None,
    help="Encoder weights: null, imagenet, or a file from `steelseg fetch-weights`.",
)
@click.option("--epochs", default=3, show_default=True, type=click.IntRange(1))
@click.option("--batch-size", default=32, show_default=True, type=click.IntRange(1))
@click.option("--lr", "learning_rate", default=1e-3, show_default=True, type=float)
@click.option("--l2", default=1e-4, show_default=True, type=float, help="L2 regularisation.")
@click.option(
    "--validation-frequency",
    default=50,
    show_default=True,
    type=click.IntRange(1),
    help="Validate every N iterations.",
)
@click.option(
    "--patience",
    default=4,
    show_default=True,
    type=click.IntRange(1),
    help="Stop after N validations without a lower validation loss.",
)
@click.option(
    "--max-iterations",
    default=None,
    type=click.IntRange(1),
    help="Stop after N iterations (CPU presets).",
)
@click.option(
    "--checkpoint-every",
    default=None,
    type=click.IntRange(1),
    help="Write the resume checkpoint every N iterations (default: at validations).",
)
@click.option(
    "--augment",
    default="none",
    show_default=True,
    type=click.Choice(["none", "photometric", "scale"]),
    help="photometric: per-tile exposure, contrast, gamma, white balance, blur and noise; "
    "scale: per-tile zoom 0.5-2x, labels alike (paper: none).",
)
@click.option(
    "--labels",
    default="masks",
    show_default=True,
    type=click.Choice(["masks", "truth"]),
    help="Learn from the RF masks (the paper) or the exact truth (synthetic data only).",
)
@click.option(
    "--colour",
    default="rgb",
    show_default=True,
    type=click.Choice(["rgb", "grey"]),
    help="What the network sees: the colour image (the paper) or its luminance alone; "
    "the checkpoint records it and prediction converts alike.",
)
@click.option("--seed", default=0, show_default=True, type=int)
@DEVICE
@click.option(
    "--workers",
    default=0,
    show_default=True,
    type=click.IntRange(0),
    help="Data-loading worker processes.",
)
@click.option(
    "--threads", default=1, show_default=True, type=click.IntRange(1), help="CPU threads for torch."
)
@click.option(
    "--resume/--no-resume",
    default=True,
    show_default=True,
    help="Continue a killed run from its resume.pt.",
)
def train(
    tiles_dir,
    split_path,
    model,
    classes,
    out,
    weights,
    epochs,
    batch_size,
    learning_rate,
    l2,
    validation_frequency,
    patience,
    max_iterations,
    checkpoint_every,
    augment,
    labels,
    colour,
    seed,
    device,
    workers,
    threads,
    resume,
):
    """Train one of the paper's five models on the tiles (resumable)."""
    from .train import TrainConfig
    from .train import train as run_training

    config = TrainConfig(
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        l2=l2,
        validation_frequency=validation_frequency,
        patience=patience,
        max_iterations=max_iterations,
        seed=seed,
        device=device,
        workers=workers,
        checkpoint_every=checkpoint_every,
        weights=_weights(weights),
        augment=augment,
        labels=labels,
        colour=colour,
    )
    summary = run_training(model, tiles_dir, split_path, classes, out, config, threads, resume)
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
    """Parameter counts of the five models next to the paper's Table 2."""
    from .models import MODELS, build_model, count_parameters

    rows = []
    for name, model_spec in MODELS.items():
        count = count_parameters(build_model(name, num_classes))
        paper = model_spec.paper_params if num_classes == 2 else None
        diff = f"{100 * (count - paper) / paper:+.2f} %" if paper else "—"
        rows.append((name, model_spec.family, f"{count:,}", f"{paper:,}" if paper else "—", diff))
    click.echo(tabulate(rows, headers=["model", "network", "parameters", "paper", "difference"]))


@main.command("fetch-dataset")
@click.option(
    "--sources",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="TSV: file, source_url, sha256, becomes (e.g. workflow/published/uhcs24/sources.tsv).",
)
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Data set folder.")
def fetch_dataset(sources, out):
    """Download a public data set, check every file's sha256, convert it to the folder layout."""
    from .download import fetch_dataset as fetch

    count = fetch(sources, out)
    click.echo(f"fetched and verified {count} files into {out}")


@main.command("fetch-weights")
@click.option("--model", required=True, type=click.Choice(MODEL_NAMES[1:]))
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path),
    help="File for the encoder's ImageNet state dict.",
)
def fetch_weights(model, out):
    """Download a model's ImageNet encoder once (login node) for offline GPU jobs."""
    from .models import save_encoder_weights

    try:
        path = save_encoder_weights(model, out)
    except (OSError, RuntimeError) as exc:  # no network, hub errors
        raise SteelsegError(
            f"{out}: could not download ImageNet weights for {model} ({exc}); run this where "
            "there is internet, or set the model's weights to null"
        ) from exc
    click.echo(f"wrote {path}")


SETS = click.Choice(["train", "val", "test"])


@main.command("export-images")
@DATASET
@click.option(
    "--masks",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Dense masks from the rf-masks step.",
)
@SPLIT
@click.option("--set", "set_name", default="test", show_default=True, type=SETS)
@CLASSES
@click.option("--out", required=True, type=click.Path(path_type=Path))
def export_images(dataset_dir, masks, split_path, set_name, classes, out):
    """Write one set's whole images and reference masks (for predict + evaluate on images)."""
    from .dataset import export_images as export
    from .dataset import load_dataset
    from .split import images_in_set

    names = images_in_set(split_path, set_name)
    counts = export(load_dataset(dataset_dir), names, masks, len(classes), out)
    click.echo(
        f"wrote {counts['images']} {set_name} images with rf_masks"
        + (f" and exact_truth ({counts['exact_truth']})" if counts["exact_truth"] else "")
        + f" to {out}"
    )


@main.command("export-tiles")
@TILES
@SPLIT
@click.option("--set", "set_name", default="test", show_default=True, type=SETS)
@click.option(
    "--labels",
    default="masks",
    show_default=True,
    type=click.Choice(["masks", "truth"]),
    help="masks: the RF masks trained on (paper); truth: exact synthetic truth.",
)
@click.option("--out", required=True, type=click.Path(path_type=Path))
def export_tiles(tiles_dir, split_path, set_name, labels, out):
    """Write the label tiles of one set as PNGs (the reference for `steelseg evaluate`)."""
    from .tiles import TileStore, export_labels
    from .train import read_split

    count = export_labels(TileStore.open(tiles_dir), read_split(split_path)[set_name], labels, out)
    click.echo(f"wrote {count} {labels} tiles of the {set_name} set to {out}")


@main.command("predict-tiles")
@CHECKPOINTS
@TILES
@SPLIT
@click.option("--set", "set_name", default="test", show_default=True, type=SETS)
@click.option("--out", required=True, type=click.Path(path_type=Path))
@click.option("--batch-size", default=16, show_default=True, type=click.IntRange(1))
@DEVICE
@click.option("--threads", default=1, show_default=True, type=click.IntRange(1))
def predict_tiles(checkpoints, tiles_dir, split_path, set_name, out, batch_size, device, threads):
    """Predict one set of stored tiles with a trained checkpoint (label PNGs)."""
    import torch

    from .predict import predict_tiles as run
    from .train import read_split

    torch.set_num_threads(threads)
    count = run(checkpoints, tiles_dir, read_split(split_path)[set_name], out, batch_size, device)
    click.echo(f"wrote {count} predicted tiles to {out}")


@main.command()
@click.argument("images", nargs=-1, required=True)
@CHECKPOINTS
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for masks/, overlays/, phase_fractions.csv and overview.png.",
)
@click.option(
    "--tile",
    default=None,
    type=click.IntRange(8),
    help="Window side, px (default: the tile size the model was trained on).",
)
@click.option(
    "--overlap",
    default=32,
    show_default=True,
    type=click.IntRange(0),
    help="Overlap of neighbouring windows, px; blended with a cosine taper.",
)
@click.option(
    "--batch",
    "batch_size",
    default=8,
    show_default=True,
    type=click.IntRange(1),
    help="Windows per forward pass.",
)
@click.option(
    "--tta/--no-tta",
    default=False,
    show_default=True,
    help="Average the logits of the 8 flips/rotations (8x slower).",
)
@click.option(
    "--scale",
    default=1.0,
    show_default=True,
    type=click.FloatRange(0, min_open=True),
    help="Resample images by this factor before inference, to match the magnification the "
    "model was trained at (e.g. 2 for images at half of it); masks keep the image's size.",
)
@click.option(
    "--um-per-px",
    default=None,
    type=click.FloatRange(0, min_open=True),
    help="Micrometres per pixel: adds mean linear intercepts and ASTM E112 G per phase.",
)
@click.option(
    "--fields",
    default=4,
    show_default=True,
    type=click.IntRange(1),
    help="Cut each image into N x N fields: the fractions' 95 % confidence half-width comes "
    "from their spread over the fields (ASTM E562/E1245; with --ci integral-range also over "
    "2N x 2N and 4N x 4N); 1 = none.",
)
@click.option(
    "--ci",
    "ci_method",
    default="e562",
    show_default=True,
    type=click.Choice(["e562", "integral-range"]),
    help="How the 95 % half-width is taken: e562 (t s / sqrt(n) over the fields, the ASTM "
    "statistic) or integral-range (the fields' variance at three field sizes extrapolated to "
    "the image; wider where the structure clusters beyond a field).",
)
@click.option(
    "--samples",
    "samples_file",
    default=None,
    type=click.Path(path_type=Path, dir_okay=False),
    help="samples.tsv (columns image, sample): also pool each sample's fields across its "
    "images into phase_fractions_by_sample.csv (a specimen's fraction and its CI).",
)
@click.option(
    "--exclude",
    "exclude_path",
    default=None,
    type=click.Path(path_type=Path, exists=True),
    help="Scale bars, data bars, labels to leave out of every measure: a tab-separated file "
    "of pixel boxes (columns image, x0, y0, x1, y1; x1, y1 exclusive; a row per box) or a "
    "folder of masks named as the images (non-zero = not specimen).",
)
@click.option(
    "--colors",
    default=None,
    callback=_comma_list(str),
    help="Overlay colours per class, #RRGGBB, comma-separated (default: built-in palette).",
)
@DEVICE
@click.option("--threads", default=1, show_default=True, type=click.IntRange(1))
@click.option(
    "--io-threads",
    default=None,
    type=click.IntRange(1),
    help="Threads reading images ahead and writing outputs, each (default: 1 on the CPU; on a "
    "GPU half the cores this job may use, at most 8).",
)
def predict(
    images,
    checkpoints,
    out,
    tile,
    overlap,
    batch_size,
    tta,
    scale,
    um_per_px,
    fields,
    ci_method,
    samples_file,
    exclude_path,
    colors,
    device,
    threads,
    io_threads,
):
    """Segment whole micrographs of any size and measure their phases.

    IMAGES are files, folders or quoted glob patterns ('raw/*.tif'). A bad image is reported
    on one line and skipped; the exit code is 2 if any image failed.
    """
    import torch
    from tqdm import tqdm

    from .io import check_output_dir
    from .predict import (
        SlidingWindow,
        WindowSpec,
        expand_inputs,
        mark_warnings,
        predict_images,
        read_samples,
        sample_summary_rows,
        summary_rows,
    )
    from .quantify import CI_NOTES, INTERCEPT_NOTE, LEVER_RULE_NOTE, Sampling
    from .regions import read_exclusions

    torch.set_num_threads(threads)
    paths = expand_inputs(list(images))
    given = (*paths, *checkpoints, *(p for p in (samples_file, exclude_path) if p))
    check_output_dir(out, given)  # before any model is loaded
    sample_of = read_samples(samples_file, paths) if samples_file else None
    exclusions = read_exclusions(exclude_path, paths) if exclude_path else None
    window = WindowSpec(tile=tile, overlap=overlap, batch_size=batch_size, tta=tta, scale=scale)
    predictor = SlidingWindow(checkpoints, window, device)

    def report_error(exc):
        tqdm.write(f"steelseg: error: {exc}", file=sys.stderr)

    sampling = Sampling(fields, ci_method)
    results, failures, by_sample = predict_images(
        paths,
        predictor,
        out,
        colors,
        um_per_px,
        report_error,
        io_threads,
        sampling,
        sample_of,
        exclusions,
    )
    if results:
        headers, rows = summary_rows(results, predictor.class_names)
        click.echo(tabulate(rows, headers=headers, floatfmt=".3f"))
        if by_sample:
            headers, rows = sample_summary_rows(by_sample, predictor.class_names)
            click.echo("\nper sample, the fields of its images pooled:")
            click.echo(tabulate(rows, headers=headers, floatfmt=".3f"))
        if fields > 1:
            click.echo(f"note: {CI_NOTES[ci_method]}")
        if results[0].measures["carbon_wt_pct"] is not None:
            click.echo(f"note: {LEVER_RULE_NOTE}")
        if um_per_px:
            click.echo(f"note: {INTERCEPT_NOTE}")
        for warning in mark_warnings(results):
            click.echo(f"warning: {warning}")
        tables = "phase_fractions.csv" + (" and _by_sample.csv" if sample_of else "")
        click.echo(f"wrote {len(results)} mask(s), overlays and {tables} to {out}")
    if failures:
        click.echo(f"{len(failures)} of {len(paths)} image(s) failed (see the errors above)")
        sys.exit(2)


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
@click.option("--num-classes", required=True, type=click.IntRange(2))
@click.option(
    "--class-names",
    default=None,
    callback=_comma_list(str),
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
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Metrics JSON.")
def evaluate(
    pred_dir, truth_dir, num_classes, class_names, scored_on, reference, model, groups, out
):
    """Score predicted label images against truth, as MATLAB evaluateSemanticSegmentation."""
    from .evaluate import score_folders, write_json

    names = class_names or [f"class{k}" for k in range(num_classes)]
    if len(names) != num_classes:
        raise SteelsegError(
            f"--class-names: {len(names)} names for --num-classes {num_classes}; give one each"
        )
    result = score_folders(pred_dir, truth_dir, names, scored_on, reference, model, groups)
    write_json(result, out)
    keys = ["global_accuracy", "mean_accuracy", "mean_iou", "weighted_iou", "mean_bf_score"]
    click.echo(
        tabulate([(k, result[k]) for k in keys], headers=["metric", "value"], floatfmt=".4f")
    )
    for grouping, values in result.get("per_group", {}).items():
        click.echo()
        click.echo(tabulate(_group_rows(values, names), headers=[grouping, *_group_headers(names)]))


def _group_headers(names):
    fractions = [f"{n} % (pred / truth)" for n in names]
    return ["n", "global acc.", "mean IoU", "mean BF", *fractions]


def _group_rows(values, names):
    """One row per group: its size, scores and each class's predicted / true pixel share."""

    def number(x):
        return "-" if x is None else f"{x:.3f}"

    rows = []
    for value, scores in values.items():
        classes = scores["per_class"]
        rows.append(
            [
                value,
                scores["n_images"],
                *(number(scores[k]) for k in ("global_accuracy", "mean_iou", "mean_bf_score")),
                *(
                    f"{100 * classes[n]['fraction_predicted']:.1f} / "
                    f"{100 * classes[n]['fraction_truth']:.1f}"
                    for n in names
                ),
            ]
        )
    return rows


@main.command()
@click.argument("folds", nargs=-1, required=True, type=click.Path(path_type=Path, file_okay=False))
@click.option("--models", "model_names", required=True, callback=_comma_list(str))
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
)
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Markdown table.")
def compare(folds, model_names, classes, published, reference, out):
    """Mean ± std over cross-validation folds (results/<dataset>/folds/<k>) vs published."""
    from .compare import write_comparison

    click.echo(write_comparison(list(folds), model_names, classes, out, published, reference))
    click.echo(f"wrote {out}")


@main.command()
@click.option(
    "--results",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="results/<dataset> folder.",
)
@click.option("--models", "model_names", required=True, callback=_comma_list(str))
@CLASSES
@click.option(
    "--colors",
    required=True,
    callback=_comma_list(str),
    help="Class colours, #RRGGBB, comma-separated, in class order.",
)
@click.option("--split-mode", default="grouped", show_default=True)
def report(results, model_names, classes, colors, split_mode):
    """Tables 3 and 4 (Markdown, LaTeX, HTML) and the paper's figures."""
    from .report import make_report

    if len(colors) != len(classes):
        raise SteelsegError("--colors: give one colour per class")
    for name, path in make_report(results, model_names, classes, colors, split_mode).items():
        click.echo(f"== {name} ({path})")
        click.echo(path.read_text())


if __name__ == "__main__":
    main()
