"""Inference with a trained checkpoint: on stored tiles (the paper's test metrics) and on whole
micrographs of any size (what a metallurgist does with a trained model).

Whole images go through a sliding window: windows of the training tile size overlap by
``overlap`` pixels; each window's logits are weighted by a cosine (Hann) taper that falls to ~0
at its edges, summed, and divided by the summed weights. Where two windows overlap their tapers
add up to one, so the prediction fades from one window's interior to the next one's and no seam
shows where a network sees the zero padding at a window edge. The image is mirrored out into
the margins the windows span beyond it (``window_layout``), which also serves images smaller
than a window. Optional test-time augmentation averages the logits of the 8 flips/rotations.

Several checkpoints (e.g. the same model trained with different seeds) make an ensemble: each
member's blended logits become class probabilities, and their mean is the prediction. A
single training run on little data varies with its seed; the mean of a few runs varies less.

Predicted label PNGs are named like their inputs, so `steelseg evaluate` scores them folder
against folder, the same code path a user takes for Weka or ilastik output.
"""

from .checkpoints import checkpoint_paths, infer, load_checkpoint, load_ensemble, normalise
from .pipeline import (
    OVERVIEW_IMAGES,
    expand_inputs,
    io_threads_for,
    pool_by_sample,
    predict_images,
    predict_tiles,
    predict_tiles_of_set,
    read_samples,
    run,
)
from .tables import (
    ImageResult,
    SampleResult,
    caption,
    mark_warnings,
    sample_summary_rows,
    summary_rows,
    summary_text,
    write_fractions,
    write_sample_fractions,
)
from .window import SlidingWindow, WindowSpec, class_indices, taper, window_layout

__all__ = [
    "ImageResult",
    "OVERVIEW_IMAGES",
    "SampleResult",
    "SlidingWindow",
    "WindowSpec",
    "caption",
    "checkpoint_paths",
    "class_indices",
    "expand_inputs",
    "infer",
    "io_threads_for",
    "load_checkpoint",
    "load_ensemble",
    "mark_warnings",
    "normalise",
    "pool_by_sample",
    "predict_images",
    "predict_tiles",
    "predict_tiles_of_set",
    "read_samples",
    "run",
    "sample_summary_rows",
    "summary_rows",
    "summary_text",
    "taper",
    "window_layout",
    "write_fractions",
    "write_sample_fractions",
]
