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

from __future__ import annotations

import glob
import math
import os
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from . import io, quantify, regions, render
from .dataset import write_sheet
from .errors import SteelsegError
from .models import MODELS, build_model, fold_batchnorm, spec
from .tiles import TileStore, tile_name
from .train import forward, pick_device, to_network_input


def load_checkpoint(path: str | Path, device: torch.device) -> tuple[torch.nn.Module, dict]:
    """The model ready for inference and the checkpoint's metadata.

    Eval mode, BatchNorm folded into the convolutions and channels-last memory: the same
    outputs to float precision, about 1.5x faster on a CPU (bench/bench_predict.py).
    """
    if not Path(path).is_file():
        raise SteelsegError(f"{path}: checkpoint not found; train the model first")
    keys = ("model_name", "num_classes", "state_dict", "class_names", "mean", "std")
    checkpoint = io.load_torch(path, "steelseg checkpoint", keys)
    name, classes = checkpoint["model_name"], checkpoint["num_classes"]
    if name not in MODELS:
        raise SteelsegError(
            f"{path}: a checkpoint of model '{name}', which this steelseg does not know "
            f"({', '.join(MODELS)}); use the steelseg version that trained it"
        )
    model = build_model(name, classes)
    try:
        model.load_state_dict(checkpoint["state_dict"])
    except (RuntimeError, TypeError) as exc:  # torch lists every key: not for one line
        raise SteelsegError(
            f"{path}: its weights do not fit a {name} of {classes} classes (another network's "
            "or an edited file); give the checkpoint.pt that `steelseg train` wrote"
        ) from exc
    model.eval()
    fold_batchnorm(model)
    return model.to(device, memory_format=torch.channels_last), checkpoint


def infer(model: torch.nn.Module, batch: torch.Tensor, device: torch.device) -> torch.Tensor:
    """Logits of a batch for a model from ``load_checkpoint`` (channels-last input)."""
    return forward(model, batch.contiguous(memory_format=torch.channels_last), device)


def normalise(
    images: np.ndarray, checkpoint: dict, device: torch.device | None = None
) -> torch.Tensor:
    """uint8 (N, H, W, 3) -> the network input, normalised (and turned grey) as the checkpoint
    was trained; checkpoints from before ``colour`` existed saw RGB. With ``device`` the bytes
    go there first and the arithmetic runs there: a quarter of the float copy, and on a GPU the
    CPU is left to the reader and writer threads."""
    colour = checkpoint.get("colour", "rgb")
    return to_network_input(images, checkpoint["mean"], checkpoint["std"], colour, device)


def checkpoint_paths(paths: str | Path | Sequence[str | Path]) -> list[Path]:
    """One checkpoint path or several (an ensemble) as a list; at least one."""
    paths = [paths] if isinstance(paths, str | Path) else list(paths)
    if not paths:
        raise SteelsegError("no checkpoint given; pass --checkpoint PATH (repeat for an ensemble)")
    return [Path(p) for p in paths]


def load_ensemble(
    paths: str | Path | Sequence[str | Path], device: torch.device
) -> list[tuple[torch.nn.Module, dict]]:
    """Every checkpoint's model and metadata; all must segment into the same classes."""
    paths = checkpoint_paths(paths)
    members = [load_checkpoint(path, device) for path in paths]
    names = list(members[0][1]["class_names"])
    for path, (_, checkpoint) in zip(paths[1:], members[1:], strict=True):
        if list(checkpoint["class_names"]) != names:
            raise SteelsegError(
                f"{path}: classes {', '.join(checkpoint['class_names'])} differ from "
                f"{paths[0]}'s ({', '.join(names)}); an ensemble needs checkpoints trained on "
                "the same label set"
            )
    return members


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


# -- whole micrographs ------------------------------------------------------------------------


def taper(tile: int, overlap: int) -> torch.Tensor:
    """(tile, tile) blending weights: 1 inside, a cosine ramp over ``overlap`` px at each edge.

    Sampled at half-pixel offsets, the ramp of one window and the mirrored ramp of the next sum
    to exactly one across their overlap, and no weight is zero.
    """
    ramp = torch.ones(tile, dtype=torch.float32)
    if overlap > 0:
        t = (torch.arange(overlap, dtype=torch.float32) + 0.5) / overlap
        edge = 0.5 - 0.5 * torch.cos(math.pi * t)
        ramp[:overlap] = edge
        ramp[-overlap:] = torch.minimum(ramp[-overlap:], edge.flip(0))
    return ramp[:, None] * ramp[None, :]


def _dihedral(batch: torch.Tensor, k: int, flip: bool) -> torch.Tensor:
    batch = batch.flip(-1) if flip else batch
    return torch.rot90(batch, k, dims=(-2, -1))


def _undo_dihedral(batch: torch.Tensor, k: int, flip: bool) -> torch.Tensor:
    batch = torch.rot90(batch, -k, dims=(-2, -1))
    return batch.flip(-1) if flip else batch


def window_layout(length: int, tile: int, overlap: int) -> tuple[int, list[int]]:
    """Where windows go along one axis: (margin before the image, window starts).

    As few windows as cover ``length`` with neighbours overlapping by ``overlap``. What they
    span beyond the image becomes mirrored margins, split evenly between both ends: the image's
    own border then lies inside a window, away from the zero padding a network sees at a window
    edge, at no extra cost. An image exactly one window long gets no margin.
    """
    stride = tile - overlap
    count = max(1, math.ceil((length - overlap) / stride))
    span = count * stride + overlap
    return (span - length) // 2, [i * stride for i in range(count)]


@dataclass(frozen=True)
class WindowSpec:
    """How whole images are cut into network windows and put back together."""

    tile: int | None = None  # None: the tile size the checkpoint was trained on
    overlap: int = 32
    batch_size: int = 8
    tta: bool = False
    scale: float = 1.0  # resample factor before inference (magnification matching)

    @property
    def stride(self) -> int:
        return self.tile - self.overlap


class SlidingWindow:
    """Trained models applied to whole images of any size through overlapping windows.

    One checkpoint, or several whose class probabilities are averaged (an ensemble).
    """

    def __init__(
        self,
        checkpoint_path: str | Path | Sequence[str | Path],
        window: WindowSpec,
        device: str = "auto",
    ):
        self.device = pick_device(device)
        self.paths = checkpoint_paths(checkpoint_path)
        self.members = load_ensemble(self.paths, self.device)
        first = self.members[0][1]
        self.class_names = list(first["class_names"])
        window = replace(window, tile=window.tile or int(first["tile_size"]))
        for _, checkpoint in self.members:
            multiple = spec(checkpoint["model_name"]).multiple
            if window.tile < multiple or window.tile % multiple:
                raise SteelsegError(
                    f"--tile {window.tile}: model '{checkpoint['model_name']}' needs windows "
                    f"that are a multiple of {multiple} px; use e.g. "
                    f"{max(multiple, window.tile // multiple * multiple)}"
                )
        if not 0 <= window.overlap < window.tile:
            raise SteelsegError(
                f"--overlap {window.overlap}: must be at least 0 and less than --tile "
                f"{window.tile}; e.g. 32"
            )
        if not window.scale > 0:
            raise SteelsegError(f"--scale {window.scale}: must be above 0, e.g. 1")
        self.window = window
        self.weights = taper(window.tile, window.overlap).to(self.device)
        self.forward_seconds = 0.0  # time inside the network, for the benchmark

    @property
    def description(self) -> str:
        """The model's name, or the ensemble's members' names, for titles."""
        names = [checkpoint["model_name"] for _, checkpoint in self.members]
        if len(names) == 1:
            return names[0]
        if len(set(names)) == 1:
            return f"ensemble of {len(names)} {names[0]}"
        return "ensemble of " + " + ".join(names)

    def _network(self, model: torch.nn.Module, batch: torch.Tensor) -> torch.Tensor:
        """Logits of a batch of windows, averaged over the 8 flips/rotations with TTA."""
        if self.device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        if not self.window.tta:
            logits = infer(model, batch, self.device)
        else:
            views = [(k, flip) for k in range(4) for flip in (False, True)]
            logits = sum(
                _undo_dihedral(infer(model, _dihedral(batch, k, f), self.device), k, f)
                for k, f in views
            ) / len(views)
        if self.device.type == "cuda":
            torch.cuda.synchronize()
        self.forward_seconds += time.perf_counter() - start
        return logits

    def _weighted_sum(
        self, image: np.ndarray, member: int = 0
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Taper-weighted sum of one member's window logits (K, h, w) and the summed weights
        (1, h, w), at the (possibly resampled) image size."""
        model, checkpoint = self.members[member]
        x = normalise(image[None], checkpoint, self.device)
        if self.window.scale != 1:
            x = F.interpolate(x, scale_factor=self.window.scale, mode="bilinear", antialias=True)
        tile, overlap = self.window.tile, self.window.overlap
        h, w = x.shape[-2:]
        (top, ys), (left, xs) = (window_layout(n, tile, overlap) for n in (h, w))
        pad_h, pad_w = ys[-1] + tile - h, xs[-1] + tile - w
        if pad_h or pad_w:  # mirror the image out into the margins
            mode = (
                "reflect"
                if max(top, pad_h - top) < h and max(left, pad_w - left) < w
                else "replicate"
            )
            x = F.pad(x, (left, pad_w - left, top, pad_h - top), mode=mode)
        total = torch.zeros((len(self.class_names), *x.shape[-2:]), device=self.device)
        weight = torch.zeros((1, *x.shape[-2:]), device=self.device)
        corners = [(y0, x0) for y0 in ys for x0 in xs]
        for start in range(0, len(corners), self.window.batch_size):
            chunk = corners[start : start + self.window.batch_size]
            batch = torch.cat([x[:, :, y0 : y0 + tile, x0 : x0 + tile] for y0, x0 in chunk])
            for (y0, x0), logits in zip(chunk, self._network(model, batch), strict=True):
                total[:, y0 : y0 + tile, x0 : x0 + tile].addcmul_(logits, self.weights)
                weight[:, y0 : y0 + tile, x0 : x0 + tile] += self.weights
        inside = (slice(None), slice(top, top + h), slice(left, left + w))
        return total[inside], weight[inside]

    def _member_logits(self, image: np.ndarray, member: int) -> torch.Tensor:
        """One member's blended logits (K, H, W) at the image's own size."""
        total, weight = self._weighted_sum(image, member)
        blended = total / weight
        if self.window.scale != 1:
            blended = F.interpolate(blended[None], size=image.shape[:2], mode="bilinear")[0]
        return blended

    def _mean_probabilities(self, image: np.ndarray) -> torch.Tensor:
        """The ensemble members' mean class probabilities (K, H, W)."""
        total = self._member_logits(image, 0).softmax(0)
        for member in range(1, len(self.members)):
            total += self._member_logits(image, member).softmax(0)
        return total / len(self.members)

    @torch.inference_mode()
    def logits(self, image: np.ndarray) -> torch.Tensor:
        """Blended logits (K, H, W) of an RGB uint8 image (H, W, 3), on the model's device.

        For an ensemble, the log of the members' mean class probabilities: logits whose
        softmax is that mean.
        """
        if len(self.members) == 1:
            return self._member_logits(image, 0)
        return self._mean_probabilities(image).log()

    @torch.inference_mode()
    def labels(self, image: np.ndarray) -> np.ndarray:
        """Class-index mask (H, W) uint8 of one RGB uint8 image."""
        if len(self.members) > 1:
            scores = self._mean_probabilities(image)
        elif self.window.scale != 1:
            scores = self._member_logits(image, 0)
        else:  # the weights are the same for every class: no need to divide before argmax
            scores, _ = self._weighted_sum(image)
        return class_indices(scores).cpu().numpy()


def class_indices(scores: torch.Tensor) -> torch.Tensor:
    """uint8 argmax over the leading class axis of (K, H, W) scores, ties to the lower index.

    A running maximum over the K planes reads each plane once: for two classes a single
    comparison, ~10x faster than ``argmax(0)`` (which strides across planes) on a CPU.
    """
    indices = torch.zeros(scores.shape[1:], dtype=torch.uint8, device=scores.device)
    best = scores[0]
    for k in range(1, scores.shape[0]):
        indices.masked_fill_(scores[k] > best, k)
        if k + 1 < scores.shape[0]:
            best = torch.maximum(best, scores[k])
    return indices


def expand_inputs(items: list[str | Path]) -> list[Path]:
    """Image files from paths, folders (their images) and glob patterns, in the given order."""
    found: list[Path] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            found += list(io.list_images(path).values())
        elif path.exists():
            found.append(path)
        elif glob.has_magic(str(item)):
            matches = sorted(Path(p) for p in glob.glob(str(item)))
            images = [p for p in matches if p.suffix.lower() in io.IMAGE_SUFFIXES]
            if not images:
                raise SteelsegError(f"{item}: the pattern matches no PNG, TIFF or JPEG file")
            found += images
        else:
            raise SteelsegError(f"{item}: no such file or folder; check the path")
    if not found:
        raise SteelsegError(f"{', '.join(map(str, items))}: no images found; give image files")
    seen: dict[str, Path] = {}
    for path in found:
        if path.stem in seen and seen[path.stem] != path:
            raise SteelsegError(
                f"{path}: same name as {seen[path.stem]}; outputs are named by image, so "
                "predict them into separate --out folders or rename one"
            )
        seen[path.stem] = path
    return list(dict.fromkeys(found))


OVERVIEW_IMAGES = 8  # images shown in overview.png


@dataclass
class ImageResult:
    image: str
    width: int
    height: int
    measures: dict[str, object]
    spread: quantify.Spread | None = None  # the fractions' sampling error: pooled per sample
    excluded: float | None = None  # share of the image left out (--exclude), None: not asked
    marks: tuple[regions.Box, ...] = ()  # flat rectangles measured (scale bars?): warned of


@dataclass
class SampleResult:
    sample: str
    images: int
    fields: int
    measures: dict[str, object]


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


def _write_outputs(out: Path, name: str, image, labels, colours, specimen) -> None:
    # zlib levels chosen on 2080x1542 images: the writer thread takes CPU from the network
    # on small machines. Masks: level 1, 0.026 s and 140 kB (level 6: 0.041 s, 94 kB).
    io.write_png(out / "masks" / f"{name}.png", labels, 1)
    # The overlay (indexed colour) holds the micrograph's grain and hardly compresses: stored
    # uncompressed it takes 0.003 s and 3.2 MB, against 0.076 s and 2.4 MB at level 1.
    indices, palette = render.indexed_overlay(image, labels, colours, specimen=specimen)
    io.write_png(out / "overlays" / f"{name}.png", indices, 0, palette=palette)


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
) -> tuple[list[ImageResult], list[tuple[Path, SteelsegError]], list[SampleResult]]:
    """Segment every image: masks/, overlays/, overview.png and phase_fractions.csv under
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
    """
    run = _Run(
        predictor,
        render.palette(len(predictor.class_names), colours),
        um_per_px,
        sampling,
        exclusions,
        io_threads or io_threads_for(predictor.device),
    )
    inputs = (*paths, *predictor.paths, *([exclusions.source] if exclusions else []))
    by_sample: list[SampleResult] = []
    with io.atomic_dir(out, inputs=inputs) as tmp:
        results, failures = run.segment(paths, Path(tmp), on_error)
        if not results:
            raise SteelsegError(f"{out}: no image could be segmented (see above); nothing written")
        write_fractions(Path(tmp) / "phase_fractions.csv", results, um_per_px)
        if sample_of:
            by_sample = pool_by_sample(results, sample_of, predictor.class_names)
            write_sample_fractions(Path(tmp) / "phase_fractions_by_sample.csv", by_sample)
    return results, failures, by_sample


@dataclass
class _Run:
    """One ``predict_images`` run's settings, and its reading, measuring and writing."""

    predictor: SlidingWindow
    colours: np.ndarray
    um_per_px: float | None
    sampling: quantify.Sampling
    exclusions: regions.Exclusions | None
    io_threads: int

    def read(self, path: Path):
        """(image, specimen, flat marks measured, error) of one file, in a reader thread."""
        try:
            image = io.read_image(path)
            specimen = (
                self.exclusions.specimen(path.stem, image.shape[:2]) if self.exclusions else None
            )
        except SteelsegError as exc:
            return None, None, (), exc
        return image, specimen, tuple(regions.unexcluded_marks(image, specimen)), None

    def measure(self, path: Path, image, labels, specimen, marks) -> ImageResult:
        names = self.predictor.class_names
        spread = self.sampling.spread(labels, len(names), specimen)
        measures = quantify.measure(labels, names, self.um_per_px, spread=spread, specimen=specimen)
        height, width = image.shape[:2]
        excluded = None if self.exclusions is None else 0.0
        if specimen is not None:
            excluded = 1 - np.count_nonzero(specimen) / specimen.size
        return ImageResult(path.stem, width, height, measures, spread, excluded, marks)

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
                image, specimen, marks, error = upcoming.popleft().result()
                if i + ahead < len(paths):
                    upcoming.append(reader.submit(self.read, paths[i + ahead]))
                if error is not None:
                    failures.append((path, error))
                    if on_error:
                        on_error(error)
                    continue
                labels = self.predictor.labels(image)
                pending.append(
                    writer.submit(
                        _write_outputs, out, path.stem, image, labels, self.colours, specimen
                    )
                )
                if len(pending) > 2 * ahead:  # writers behind: wait rather than queue images
                    pending.popleft().result()
                results.append(self.measure(path, image, labels, specimen, marks))
                if len(thumbnails) < OVERVIEW_IMAGES:
                    thumbnails.append(self.thumbnail(results[-1], image, labels, specimen))
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


def mark_warnings(results: list[ImageResult]) -> list[str]:
    """One line per flat rectangle measured as specimen, with the --exclude row that would
    leave it out."""
    return [
        f"{regions.describe_mark(r.image, box)} is measured as specimen; if it is not, leave it "
        f"out with --exclude (a row: {r.image} {' '.join(map(str, box))})"
        for r in results
        for box in r.marks
    ]


def caption(name: str, measures: dict[str, object], class_names: list[str]) -> str:
    """Image name over its phase fractions (and lever-rule carbon where it applies)."""
    pearlite = quantify.ferrite_pearlite(class_names)
    if pearlite is not None:
        pearlite_name = class_names[pearlite]
        text = f"pearlite {100 * measures['fraction_' + pearlite_name]:.1f}"
        ci = measures[f"ci95_{pearlite_name}"]
        text += " %" if ci is None else f" ± {100 * ci:.1f} %"
        return f"{name}\n{text}, C ~ {measures['carbon_wt_pct']:.2f} wt%"
    return (
        name + "\n" + ", ".join(f"{n} {100 * measures['fraction_' + n]:.0f} %" for n in class_names)
    )


def _columns(first: dict[str, object], class_names: list[str]) -> tuple[list[str], list[str]]:
    """Headers and measure keys of a summary table: % per class with its 95 % CI, C,
    intercepts (those the measures have)."""
    headers, keys = [], []
    for n in class_names:
        headers += [f"{n} %", "± 95 %"]
        keys += [f"fraction_{n}", f"ci95_{n}"]
    if first.get("carbon_wt_pct") is not None:
        headers += ["C wt% (lever rule)", "± 95 %"]
        keys += ["carbon_wt_pct", "carbon_ci95_wt_pct"]
    for n in class_names:
        if f"intercept_um_{n}" in first:
            headers += [f"{n} intercept um", f"{n} ASTM G"]
            keys += [f"intercept_um_{n}", f"astm_g_{n}"]
    return headers, keys


def _shown(key: str, value):
    if value is None:
        return "—"
    return 100 * value if key.startswith(("fraction_", "ci95_")) else value


def summary_rows(
    results: list[ImageResult], class_names: list[str]
) -> tuple[list[str], list[list[object]]]:
    """Headers and rows of the table printed after prediction, one row per image."""
    headers, keys = _columns(results[0].measures, class_names)
    left_out = results[0].excluded is not None  # --exclude given: how much each image lost
    rows = [
        [
            r.image,
            f"{r.width}x{r.height}",
            *([100 * r.excluded] if left_out else []),
            *(_shown(k, r.measures[k]) for k in keys),
        ]
        for r in results
    ]
    return ["image", "size", *(["excluded %"] if left_out else []), *headers], rows


def sample_summary_rows(
    samples: list[SampleResult], class_names: list[str]
) -> tuple[list[str], list[list[object]]]:
    """Headers and rows of the per-sample table: each sample's fields pooled."""
    headers, keys = _columns(samples[0].measures, class_names)
    rows = [
        [s.sample, s.images, s.fields, *(_shown(k, s.measures[k]) for k in keys)] for s in samples
    ]
    return ["sample", "images", "fields", *headers], rows


def _cell(value):
    """A CSV cell: empty where a value does not apply, floats to 6 decimals."""
    return "" if value is None else round(value, 6) if isinstance(value, float) else value


def _write_measures(path: Path, rows: list[tuple[dict[str, object], dict[str, object]]]) -> None:
    """A CSV of (what the row is, its measures) pairs; empty cells where a value does not
    apply, written whole or not at all."""
    sheet = [{**ident, **{k: _cell(v) for k, v in measures.items()}} for ident, measures in rows]
    with io.atomic_file(path) as tmp:
        write_sheet(tmp, sheet, delimiter=",")


def write_fractions(path: Path, results: list[ImageResult], um_per_px: float | None) -> None:
    """phase_fractions.csv: one row per image (with --exclude, the share of it left out)."""

    def ident(r: ImageResult) -> dict[str, object]:
        row = {"image": r.image, "width": r.width, "height": r.height}
        if r.excluded is not None:
            row["excluded_fraction"] = _cell(r.excluded)
        return {**row, "um_per_px": _cell(um_per_px)}

    _write_measures(path, [(ident(r), r.measures) for r in results])


def write_sample_fractions(path: Path, samples: list[SampleResult]) -> None:
    """phase_fractions_by_sample.csv: one row per sample, its images' fields pooled."""
    _write_measures(
        path,
        [
            ({"sample": s.sample, "images": s.images, "fields": s.fields}, s.measures)
            for s in samples
        ],
    )
