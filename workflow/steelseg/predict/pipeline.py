"""Predicting files: stored tiles (the paper's test metrics) and whole micrographs, read ahead,
segmented, measured and written behind, into an output folder replaced whole."""

from __future__ import annotations

import math
import os
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from .. import calibration, io, quantify, regions, render
from ..errors import SteelsegError
from ..inputs import expand_inputs
from ..network import pick_device
from ..tiles import TileStore, tile_name
from .checkpoints import checkpoint_paths, infer, load_ensemble, normalise
from .outputs import Outputs, mean_confidence, probability_planes, write_image_outputs
from .tables import ImageResult, SampleResult, caption, write_fractions, write_sample_fractions
from .window import SlidingWindow, class_indices


def predict_tiles(
    checkpoint_path: str | Path | Sequence[str | Path],
    tiles_dir: str | Path,
    tiles: np.ndarray,
    out: str | Path,
    batch_size: int = 16,
    device: str = "auto",
) -> int:
    """Predict the given tiles of the store and write one label PNG per tile.

    Several checkpoints: the label with the highest mean class probability over them.
    """
    torch_device = pick_device(device)
    paths = checkpoint_paths(checkpoint_path)
    members = load_ensemble(paths, torch_device)
    store = TileStore.open(tiles_dir)
    for path, (_, checkpoint) in zip(paths, members, strict=True):
        if store.meta["num_classes"] != checkpoint["num_classes"]:
            raise SteelsegError(
                f"{path}: model has {checkpoint['num_classes']} classes, tiles "
                f"{store.meta['num_classes']}; use the checkpoint trained on these tiles"
            )
    with io.atomic_dir(out, inputs=(tiles_dir, *paths)) as tmp:
        for start in tqdm(range(0, len(tiles), batch_size), desc="predict tiles", unit="batch"):
            chunk = np.sort(tiles[start : start + batch_size])
            images = store.images[chunk]
            with torch.no_grad():
                logits = [
                    infer(model, normalise(images, meta), torch_device) for model, meta in members
                ]
            # One model: its logits' argmax is its probabilities' argmax.
            scores = logits[0] if len(logits) == 1 else sum(x.softmax(1) for x in logits)
            labels = scores.argmax(1).cpu().numpy().astype(np.uint8)
            for t, label in zip(chunk, labels, strict=True):
                io.write_png(tmp / tile_name(t), label)
    return len(tiles)


OVERVIEW_IMAGES = 8  # images shown in overview.png


def read_samples(path: str | Path, images: list[Path]) -> dict[str, str]:
    """Image name -> sample from a samples.tsv (columns image, sample; names with or without
    their extension), checked to name every image before any is predicted."""
    rows = io.read_table(path, ("image", "sample"), "give a tab-separated file: image, sample")
    sample_of: dict[str, str] = {}
    for line, row in enumerate(rows, start=2):
        name, sample = io.image_name(row["image"] or ""), (row["sample"] or "").strip()
        if not name or not sample:
            raise SteelsegError(f"{path}, line {line}: needs an image name and a sample")
        if sample_of.get(name, sample) != sample:
            raise SteelsegError(
                f"{path}, line {line}: image {name} is in sample {sample_of[name]} already; "
                "give each image one sample"
            )
        sample_of[name] = sample
    missing = [p.stem for p in images if p.stem not in sample_of]
    if missing:
        raise SteelsegError(
            f"{path}: no sample for image(s) {io.first_few(missing)}; add a row "
            "(image<TAB>sample) for each"
        )
    return sample_of


def pool_by_sample(
    results: list[ImageResult], sample_of: dict[str, str], class_names: list[str]
) -> list[SampleResult]:
    """One result per sample, in order of first appearance: its images' fields pooled."""
    groups: dict[str, list[ImageResult]] = {}
    for r in results:
        groups.setdefault(sample_of[r.image], []).append(r)
    return [
        SampleResult(
            sample,
            len(members),
            sum(len(r.spread.fields) for r in members),
            quantify.pooled_measures([r.spread for r in members], class_names),
        )
        for sample, members in groups.items()
    ]


def io_threads_for(device: torch.device) -> int:
    """Reader (and writer) threads: one beside a network on the CPU, which needs the cores;
    on a GPU the CPU only decodes and encodes PNGs (0.11 s and 0.05 s per 2080x1542 image
    against 0.03-0.07 s of network), so up to 8, half the cores this process may use (a
    SLURM job's allocation, not the node's) each (Pillow releases the GIL)."""
    if device.type == "cpu":
        return 1
    return max(1, min(8, len(os.sched_getaffinity(0)) // 2))


def predict_images(
    paths: list[Path],
    predictor: SlidingWindow,
    out: str | Path,
    colours: list[str] | None = None,
    um_per_px: float | None = None,
    on_error: Callable[[SteelsegError], None] | None = None,
    io_threads: int | None = None,
    sampling: quantify.Sampling = quantify.DEFAULT_SAMPLING,
    sample_of: dict[str, str] | None = None,
    exclusions: regions.Exclusions | None = None,
    outputs: Outputs | None = None,
) -> tuple[list[ImageResult], list[tuple[Path, SteelsegError]], list[SampleResult]]:
    """Segment every image: masks/, overlays/, overview.png and phase_fractions.csv (and with
    ``outputs.probabilities`` probabilities/) under
    ``out``, which they replace as a whole once every image is done (a rerun leaves nothing of
    the run before; a failed run leaves what was there).

    A bad image is reported through ``on_error`` and skipped; the others are still done.
    Reading the next images and writing the last ones' files overlap with the network:
    ``io_threads`` readers (as many images read ahead) and writers, by default
    ``io_threads_for`` the predictor's device. Results come in the order of ``paths``.
    Fractions get a 95 % CI as ``sampling`` says (``quantify.measure``); with ``sample_of``
    (``read_samples``) each sample's fields are pooled into phase_fractions_by_sample.csv
    too, and returned (else no samples). ``exclusions`` (``regions.read_exclusions``) leave
    scale bars and the like out of every measure; one that does not fit its image fails it.
    Lengths take ``um_per_px``, else each image's own calibration (``calibration.read``).
    """
    run = _Run(
        predictor,
        render.palette(len(predictor.class_names), colours),
        um_per_px,
        sampling,
        exclusions,
        io_threads or io_threads_for(predictor.device),
        outputs or Outputs(),
    )
    inputs = (*paths, *predictor.paths, *([exclusions.source] if exclusions else []))
    by_sample: list[SampleResult] = []
    with io.atomic_dir(out, inputs=inputs) as tmp:
        results, failures = run.segment(paths, Path(tmp), on_error)
        if not results:
            raise SteelsegError(f"{out}: no image could be segmented (see above); nothing written")
        write_fractions(Path(tmp) / "phase_fractions.csv", results)
        if sample_of:
            by_sample = pool_by_sample(results, sample_of, predictor.class_names)
            write_sample_fractions(Path(tmp) / "phase_fractions_by_sample.csv", by_sample)
    return results, failures, by_sample


@dataclass
class _Input:
    """One file as a reader thread leaves it: the image, what of it is measured, flat marks
    found in it, its calibration, or the error that stopped it."""

    image: np.ndarray | None = None
    specimen: np.ndarray | None = None
    marks: tuple = ()
    um_per_px: float | None = None
    um_source: str = "none"
    error: SteelsegError | None = None


@dataclass
class _Run:
    """One ``predict_images`` run's settings, and its reading, measuring and writing."""

    predictor: SlidingWindow
    colours: np.ndarray
    um_per_px: float | None
    sampling: quantify.Sampling
    exclusions: regions.Exclusions | None
    io_threads: int
    outputs: Outputs = Outputs()

    def read(self, path: Path) -> _Input:
        """One file read, in a reader thread: ``--um-per-px`` or else the file's calibration."""
        try:
            image = io.read_image(path)
            specimen = (
                self.exclusions.specimen(path.stem, image.shape[:2]) if self.exclusions else None
            )
        except SteelsegError as exc:
            return _Input(error=exc)
        um, source = (self.um_per_px, "option") if self.um_per_px else calibration.read(path)
        marks = tuple(regions.unexcluded_marks(image, specimen))
        return _Input(image, specimen, marks, um, source)

    def measure(self, path: Path, given: _Input, labels, confidence: float) -> ImageResult:
        names, specimen = self.predictor.class_names, given.specimen
        spread = self.sampling.spread(labels, len(names), specimen)
        um = given.um_per_px
        measures = quantify.measure(labels, names, um, spread=spread, specimen=specimen)
        height, width = given.image.shape[:2]
        excluded = None if self.exclusions is None else 0.0
        if specimen is not None:
            excluded = 1 - np.count_nonzero(specimen) / specimen.size
        return ImageResult(path.stem, width, height, measures, spread, excluded, given.marks,
                           given.um_per_px, given.um_source, confidence)  # fmt: skip

    def segment_one(self, given: _Input) -> tuple[np.ndarray, np.ndarray | None, float]:
        """The network's mask, the probability planes to store (or None) and the mean
        confidence of one image."""
        probabilities = self.predictor.probabilities(given.image)
        labels = class_indices(probabilities).cpu().numpy()
        planes = probability_planes(probabilities, self.outputs.probabilities)
        return labels, planes, mean_confidence(probabilities, given.specimen)

    def write(self, out: Path, name: str, given: _Input, labels, planes) -> None:
        context = {
            "colours": self.colours,
            "specimen": given.specimen,
            "um_per_px": given.um_per_px,
            "outputs": self.outputs,
            "class_names": self.predictor.class_names,
        }
        write_image_outputs(out, name, given.image, labels, planes, context)

    def thumbnail(self, result: ImageResult, image, labels, specimen) -> tuple:
        """(caption, small image, small overlay) for overview.png."""
        step = max(1, math.ceil(max(image.shape[:2]) / 512))
        small, small_labels = image[::step, ::step], labels[::step, ::step]
        small_specimen = None if specimen is None else specimen[::step, ::step]
        overlay = render.overlay(small, small_labels, self.colours, specimen=small_specimen)
        return caption(result.image, result.measures, self.predictor.class_names), small, overlay

    def draw_overview(self, out: Path, panels, shown: str) -> None:
        title = f"{self.predictor.description}: {shown}"
        render.montage(
            panels, self.predictor.class_names, self.colours, out / "overview.png", title=title
        )

    def segment(self, paths: list[Path], out: Path, on_error) -> tuple[list, list]:
        """Every image through the network, reading ahead and writing behind it."""
        results: list[ImageResult] = []
        failures: list[tuple[Path, SteelsegError]] = []
        thumbnails: list[tuple[str, np.ndarray, np.ndarray]] = []
        overview = None
        ahead = self.io_threads
        with (
            ThreadPoolExecutor(max_workers=ahead) as reader,
            ThreadPoolExecutor(max_workers=ahead) as writer,
        ):
            pending: deque = deque()
            upcoming = deque(reader.submit(self.read, path) for path in paths[:ahead])
            for i, path in enumerate(tqdm(paths, desc="predict", unit="image")):
                given = upcoming.popleft().result()
                if i + ahead < len(paths):
                    upcoming.append(reader.submit(self.read, paths[i + ahead]))
                if given.error is not None:
                    failures.append((path, given.error))
                    if on_error:
                        on_error(given.error)
                    continue
                labels, planes, confidence = self.segment_one(given)
                pending.append(writer.submit(self.write, out, path.stem, given, labels, planes))
                if len(pending) > 2 * ahead:  # writers behind: wait rather than queue images
                    pending.popleft().result()
                results.append(self.measure(path, given, labels, confidence))
                if len(thumbnails) < OVERVIEW_IMAGES:
                    thumbnails.append(
                        self.thumbnail(results[-1], given.image, labels, given.specimen)
                    )
                    if len(thumbnails) == OVERVIEW_IMAGES and i + 1 < len(paths):
                        # Full while images remain: drawn alongside them rather than after them.
                        shown = f"first {OVERVIEW_IMAGES} of {len(paths)} images given"
                        overview = writer.submit(self.draw_overview, out, thumbnails, shown)
            if results and overview is None:
                shown = f"{len(results)} image(s)"
                overview = writer.submit(self.draw_overview, out, thumbnails, shown)
            for job in [*pending, overview]:
                if job is not None:
                    job.result()
        return results, failures


def predict_tiles_of_set(
    checkpoints: Sequence[str | Path],
    tiles_dir: str | Path,
    split_path: str | Path,
    set_name: str,
    out: str | Path,
    batch_size: int = 16,
    device: str = "auto",
    threads: int = 1,
) -> int:
    """``predict_tiles`` of one set of split.tsv, on ``threads`` torch threads."""
    from ..split import read_split

    torch.set_num_threads(threads)
    tiles = read_split(split_path)[set_name]
    return predict_tiles(checkpoints, tiles_dir, tiles, out, batch_size, device)


def run(
    images: Sequence[str | Path],
    checkpoints: Sequence[str | Path],
    out: str | Path,
    window,
    measures: dict,
    device: str = "auto",
    io_threads: int | None = None,
    on_error: Callable[[SteelsegError], None] | None = None,
) -> tuple[str, int, int]:
    """``steelseg predict``: the inputs checked before any model is loaded, every image
    segmented and measured. ``window``: a ``WindowSpec``; ``measures``: um_per_px, fields, ci,
    samples (a samples.tsv), exclude (boxes or masks), colors, and the optional outputs
    probabilities and mask_format (``Outputs``). Returns the summary to print, the images
    given and the images that failed."""
    from .tables import summary_text

    paths = expand_inputs(list(images))
    given = (*paths, *checkpoints, *(p for p in (measures["samples"], measures["exclude"]) if p))
    io.check_output_dir(out, given)
    sample_of = read_samples(measures["samples"], paths) if measures["samples"] else None
    exclusions = (
        regions.read_exclusions(measures["exclude"], paths) if measures["exclude"] else None
    )
    predictor = SlidingWindow(checkpoints, window, device)
    sampling = quantify.Sampling(measures["fields"], measures["ci"])
    results, failures, by_sample = predict_images(
        paths,
        predictor,
        out,
        measures["colors"],
        measures["um_per_px"],
        on_error,
        io_threads,
        sampling,
        sample_of,
        exclusions,
        Outputs(measures["probabilities"], measures["mask_format"]),
    )
    text = summary_text(results, by_sample, predictor.class_names, sampling)
    tables = "phase_fractions.csv" + (" and _by_sample.csv" if sample_of else "")
    probabilities = ", probabilities" if measures["probabilities"] != "none" else ""
    text += f"\nwrote {len(results)} mask(s), overlays{probabilities} and {tables} to {out}"
    return text, len(paths), len(failures)
