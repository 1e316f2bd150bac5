"""The predict command: whole micrographs segmented and measured."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import main
from .options import CHECKPOINTS, DEVICE, THREADS, comma_list, out_option, setting, settings_of


@main.command()
@click.argument("images", nargs=-1, required=True)
@CHECKPOINTS
@out_option("Folder for masks/, overlays/, phase_fractions.csv, overview.png (and probabilities/).")
@settings_of("predict", "tile", "overlap", "batch_size", "tta", "scale", "um_per_px", "fields")
@setting("predict", "ci")
@setting("predict", "samples", type=click.Path(path_type=Path, dir_okay=False))
@setting("predict", "exclude", type=click.Path(path_type=Path, exists=True))
@settings_of("predict", "probabilities", "mask_format")
@click.option(
    "--colors",
    default=None,
    callback=comma_list(str),
    help="Overlay colours per class, #RRGGBB, comma-separated (default: built-in palette).",
)
@DEVICE
@THREADS
@click.option(
    "--io-threads",
    default=None,
    type=click.IntRange(1),
    help="Threads reading images ahead and writing outputs, each (default: 1 on the CPU; on a "
    "GPU half the cores this job may use, at most 8).",
)
def predict(images, checkpoints, out, tile, overlap, batch_size, tta, scale, device, threads,
            io_threads, **measures):  # fmt: skip
    """Segment whole micrographs of any size and measure their phases.

    IMAGES are files, folders or quoted glob patterns ('raw/*.tif'). A bad image is reported
    on one line and skipped; the exit code is 2 if any image failed.
    """
    import torch
    from tqdm import tqdm

    from ..predict import WindowSpec, run

    def report_error(exc):
        tqdm.write(f"steelseg: error: {exc}", file=sys.stderr)

    torch.set_num_threads(threads)
    window = WindowSpec(tile=tile, overlap=overlap, batch_size=batch_size, tta=tta, scale=scale)
    text, given, failed = run(images, checkpoints, out, window, measures, device, io_threads,
                              report_error)  # fmt: skip
    click.echo(text)
    if failed:
        click.echo(f"{failed} of {given} image(s) failed (see the errors above)")
        sys.exit(2)


@main.command()
@click.argument("checkpoints", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--onnx",
    "out",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder for <model>.onnx, one per checkpoint (normalisation and class names in the "
    "metadata).",
)
def export(checkpoints, out):
    """Export trained checkpoints to ONNX, to run where PyTorch is not (onnxruntime, OpenCV).

    CHECKPOINTS are checkpoint.pt files of different models; docs/predict.md shows how to run
    the exported graph.
    """
    from ..export import export_onnx

    for path in export_onnx(checkpoints, out):
        click.echo(f"wrote {path}")
