"""Dense masks from sparse scribbles: the paper's Trainable Weka step, with scikit-learn.

Per sample, a random forest (200 trees in the paper) learns from the scribbled pixels of that
sample's annotated images and labels every pixel of every image of the sample. Its features are
a Trainable-Weka-style multiscale filter bank (``filterbank``), at sigmas from ``sigma_min`` to
``sigma_max``. Images are labelled strip by strip, on a grid with the forest's own answer
wherever the grid is in doubt (``predict_mask``).
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from tqdm import tqdm

from . import forests, io, regions, settings
from .dataset import Dataset, load_dataset
from .errors import SteelsegError
from .filterbank import FilterBank
from .metrics import confusion_matrix

REFINE_MARGIN = 0.2  # interpolated top-two probability gap below which a pixel is predicted
CACHE_BYTES = 2 * 1024**3  # a sample's scribbled images' features kept from fit to labelling


def training_pixels(
    bank: FilterBank, images: list[np.ndarray], annotations: list[np.ndarray], strips=None
) -> tuple[np.ndarray, np.ndarray]:
    """Features (N, F) and class indices (N,) of every scribbled pixel, strip by strip.
    ``strips``: each image's ``bank.strips`` where already computed."""
    xs, ys = [], []
    for k, (image, annotation) in enumerate(zip(images, annotations, strict=True)):
        for rows, features in strips[k] if strips else bank.strips(image):
            scribbles = annotation[rows].ravel()
            labelled = scribbles > 0
            if labelled.any():
                xs.append(features[: len(scribbles)][labelled])  # not the lookahead rows
                ys.append(scribbles[labelled].astype(np.int64) - 1)
    return np.concatenate(xs), np.concatenate(ys)


def train_forest(
    x: np.ndarray, y: np.ndarray, trees: int, seed: int, n_jobs: int, max_depth: int | None
) -> RandomForestClassifier:
    forest = RandomForestClassifier(
        n_estimators=trees,
        max_depth=max_depth,
        max_features="sqrt",
        class_weight="balanced",  # scribbles rarely cover classes in proportion
        n_jobs=n_jobs,
        random_state=seed,
    )
    return forest.fit(x, y)


def predict_mask(
    forest: RandomForestClassifier,
    bank: FilterBank,
    image: np.ndarray,
    stride: int = 1,
    strips=None,
) -> np.ndarray:
    """Dense class-index mask (uint8) of one image, strip by strip.

    ``stride`` 1: every pixel through the forest. ``stride`` s > 1: the forest's probabilities
    on every s-th row and column and bilinear between them, and every pixel the grid cannot
    settle through the forest (``_grid_labels``): the forest's own answer wherever it is in
    doubt, for a fraction of the prediction time. ``strips``: the image's
    ``bank.strips(image, lookahead(stride))`` where already computed."""
    height, width = image.shape[:2]
    mask = np.empty((height, width), np.uint8)
    for rows, features in strips or bank.strips(image, lookahead(stride)):
        n_rows = rows.stop - rows.start
        if stride > 1:
            index = _grid_labels(forest, features, n_rows, width, stride)
        else:
            index = forest.predict_proba(features[: n_rows * width]).argmax(1)
            index = index.reshape(n_rows, width)
        mask[rows] = forest.classes_[index]
    return mask


def lookahead(stride: int) -> int:
    """Rows below a strip that its grid prediction needs: one grid step."""
    return stride if stride > 1 else 0


def _grid_labels(forest, features: np.ndarray, n_rows: int, width: int, stride: int):
    """Class indices (n_rows, width) from the forest's probabilities on a grid of every
    ``stride``-th row and column of ``features`` (which may hold rows below ``n_rows``),
    interpolated bilinearly. A pixel goes through the forest itself when the corners of its
    grid cell disagree (a class boundary crosses the cell), when the interpolated gap between
    its two likeliest classes is under REFINE_MARGIN, or when it lies beyond the last grid row
    or column."""
    grid_rows = np.arange(0, features.shape[0] // width, stride)
    grid_cols = np.arange(0, width, stride)
    on_grid = (grid_rows[:, None] * width + grid_cols).ravel()
    prob = forest.predict_proba(_rows(features, on_grid)).astype(np.float32)
    prob = prob.reshape(len(grid_rows), len(grid_cols), -1)
    corner_labels = prob.argmax(-1)
    rows, cols = np.arange(n_rows), np.arange(width)
    r0 = np.minimum(rows // stride, len(grid_rows) - 1)
    c0 = np.minimum(cols // stride, len(grid_cols) - 1)
    r1, c1 = np.minimum(r0 + 1, len(grid_rows) - 1), np.minimum(c0 + 1, len(grid_cols) - 1)
    tr = np.clip((rows - grid_rows[r0]) / stride, 0, 1).astype(np.float32)[:, None]
    tc = np.clip((cols - grid_cols[c0]) / stride, 0, 1).astype(np.float32)[None, :]
    corners = [(r0, c0, (1 - tr) * (1 - tc)), (r0, c1, (1 - tr) * tc)]
    corners += [(r1, c0, tr * (1 - tc)), (r1, c1, tr * tc)]
    interpolated = sum(w[..., None] * prob[r][:, c] for r, c, w in corners)
    first = corner_labels[r0][:, c0]
    doubt = (rows[:, None] > grid_rows[-1]) | (cols[None, :] > grid_cols[-1])
    for r, c, w in corners[1:]:
        doubt |= (w > 0) & (corner_labels[r][:, c] != first)
    if interpolated.shape[-1] > 1:
        top_two = np.sort(interpolated, axis=-1)[..., -2:]
        doubt |= top_two[..., 1] - top_two[..., 0] < REFINE_MARGIN
    doubt[::stride, ::stride] = False  # grid pixels hold the forest's own answer
    labels = interpolated.argmax(-1)
    redo = np.flatnonzero(doubt)
    if redo.size:
        labels.ravel()[redo] = forest.predict_proba(_rows(features, redo)).argmax(1)
    return labels


def _rows(features: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Rows of a column-major feature array, column-major (what NumPy's ``features[index]``
    is not): scikit-learn's trees read a column-major array about twice as fast."""
    return features.T[:, index].T


def quality(cm: np.ndarray, class_names: list[str]) -> dict[str, object]:
    """Pixel accuracy and IoU per class from a confusion matrix (NaN-free: absent -> None)."""
    tp = np.diag(cm).astype(float)
    union = cm.sum(0) + cm.sum(1) - tp
    iou = {
        name: (float(tp[k] / union[k]) if union[k] else None) for k, name in enumerate(class_names)
    }
    return {"pixel_accuracy": float(tp.sum() / cm.sum()), "iou": iou}


def _check_sample_labels(dataset: Dataset, sample: str, names, annotations, class_names):
    present = set()
    for annotation in annotations:
        present.update(int(v) - 1 for v in np.unique(annotation) if v > 0)
    missing = [class_names[k] for k in range(len(class_names)) if k not in present]
    if missing:
        files = ", ".join(dataset.annotations[n].name for n in names)
        raise SteelsegError(
            f"{dataset.root / 'annotations'}: sample {sample} has no annotated pixel of class "
            f"{', '.join(repr(m) for m in missing)} in {files}; scribble some pixels of every "
            "class on at least one image of the sample"
        )


def mark_warnings(report: dict[str, object], dataset_root: str | Path) -> list[str]:
    """One line per flat rectangle ``make_masks`` labelled as a phase, with the exclude.tsv row
    that would leave it out of training."""
    return [
        f"{regions.describe_mark(name, tuple(box))} is labelled as a phase and trained on; if it "
        f"is not specimen, name it in {Path(dataset_root) / 'exclude.tsv'} (a row: {name} "
        f"{' '.join(map(str, box))}) or exclude/"
        for name, boxes in report["flat_marks"].items()
        for box in boxes
    ]


def make_masks(
    dataset: Dataset,
    class_names: list[str],
    out: str | Path,
    quality_json: str | Path | None,
    trees: int = 200,
    bank: FilterBank | None = None,
    seed: int = 0,
    n_jobs: int = 1,
    max_depth: int | None = None,
    save_forest: str | Path | None = None,
    stride: int | None = None,
) -> dict[str, object]:
    """Write a dense mask for every image of the data set to ``out`` (PNG class indices).

    Images with a dense mask in ``masks/`` keep it as is; the other images of a sample are
    labelled by a forest trained on that sample's scribbles (``predict_mask`` with ``stride``),
    saved as
    ``save_forest/<sample>.skops`` where asked (``forests.save``). Returns the quality report
    (RF masks vs ``truth/`` where it exists), also written to ``quality_json``.
    """
    bank = bank or FilterBank()
    stride = stride or settings.defaults("rf")["stride"]
    plan = _scribbled_images(dataset)  # checked before any work or output
    run = _Run(dataset, class_names, bank, (trees, seed, n_jobs, max_depth), stride)
    if save_forest is not None:
        io.check_output_dir(save_forest, (dataset.root, out))
    with (
        io.atomic_dir(out, inputs=(dataset.root,)) as tmp,
        _optional_dir(save_forest, (dataset.root,)) as forest_dir,
        tqdm(total=len(dataset.images), desc="rf-masks", unit="image") as progress,
    ):
        for sample in dataset.sample_ids:
            forest = run.forest(sample, plan[sample], progress) if sample in plan else None
            if forest is not None and forest_dir is not None:
                forests.save(
                    forest_dir / f"{sample}.skops", forest, bank, stride, class_names, sample
                )
            for name in dataset.images_of(sample):
                run.mask(name, sample, forest, tmp, progress)
                progress.update()
        report = run.report()
        if quality_json is not None:
            with io.atomic_file(quality_json) as qtmp:
                qtmp.write_text(json.dumps(report, indent=2))
    return report


def _optional_dir(path: str | Path | None, inputs: tuple):
    """``io.atomic_dir`` for a folder asked for, else a context giving None."""
    return io.atomic_dir(path, inputs=inputs) if path is not None else contextlib.nullcontext()


def _scribbled_images(dataset: Dataset) -> dict[str, list[str]]:
    """Per sample that needs a forest (an image without a dense mask), its scribbled images."""
    plan: dict[str, list[str]] = {}
    for sample in dataset.sample_ids:
        names = dataset.images_of(sample)
        todo = [n for n in names if n not in dataset.masks]
        if todo:
            scribbled = [n for n in names if n in dataset.annotations]
            if not scribbled:
                raise SteelsegError(
                    f"{dataset.root}: sample {sample} has images without masks/ "
                    f"({todo[0]}, ...) and no annotations/ for any image; add scribbles "
                    "for at least one of its images, or dense masks for all"
                )
            plan[sample] = scribbled
    return plan


class _Run:
    """One ``make_masks`` run: its forests, its masks, and what it learns of their quality."""

    def __init__(self, dataset: Dataset, class_names, bank: FilterBank, forest, stride: int):
        self.dataset, self.class_names, self.bank, self.stride = dataset, class_names, bank, stride
        self.trees, self.seed, self.n_jobs, self.max_depth = forest
        k = len(class_names)
        self.totals = np.zeros((k, k), np.int64)
        self.n_features = None
        self.per_image: dict[str, object] = {}
        self.marks: dict[str, list[list[int]]] = {}  # flat rectangles labelled: scale bars?
        self.cached: dict[str, list] = {}  # features of the scribbled images, until labelled

    def forest(self, sample: str, scribbled: list[str], progress) -> RandomForestClassifier:
        """The forest of one sample, trained on its scribbled images."""
        dataset, k = self.dataset, len(self.class_names)
        images = [dataset.read_image(n) for n in scribbled]
        annotations = [
            dataset.read_label("annotations", n, k, im.shape)
            for n, im in zip(scribbled, images, strict=True)
        ]
        _check_sample_labels(dataset, sample, scribbled, annotations, self.class_names)
        progress.set_postfix_str(f"training forest for sample {sample}")
        strips = None
        pixels = sum(im.shape[0] * im.shape[1] for im in images)
        if pixels * self.bank.n_features * 4 <= CACHE_BYTES:  # computed once, used twice
            strips = [list(self.bank.strips(im, lookahead(self.stride))) for im in images]
            self.cached = dict(zip(scribbled, strips, strict=True))
        x, y = training_pixels(self.bank, images, annotations, strips)
        forest = train_forest(x, y, self.trees, self.seed, self.n_jobs, self.max_depth)
        self.n_features = int(forest.n_features_in_)
        return forest

    def mask(self, name: str, sample: str, forest, out: Path, progress) -> None:
        """Write one image's dense mask: its given one, or its forest's; score it."""
        dataset, k = self.dataset, len(self.class_names)
        image = dataset.read_image(name)
        specimen = dataset.specimen(name, image.shape)
        found = regions.unexcluded_marks(image, specimen)
        if found:
            self.marks[name] = [list(box) for box in found]
        if name in dataset.masks:
            mask, source = dataset.read_label("masks", name, k, image.shape), "masks"
        else:
            progress.set_postfix_str(name)
            strips = self.cached.pop(name, None)
            mask = predict_mask(forest, self.bank, image, self.stride, strips)
            source = "random_forest"
            if specimen is not None:  # a scale bar is no phase: train on none of it
                mask[~specimen] = io.IGNORE
        io.write_png(out / f"{name}.png", mask)
        if name in dataset.truth:
            cm = confusion_matrix(dataset.read_label("truth", name, k, image.shape), mask, k)
            self.totals += cm
            self.per_image[name] = {"sample": sample, "source": source}
            self.per_image[name] |= quality(cm, self.class_names)

    def report(self) -> dict[str, object]:
        """The quality report: RF masks against truth/, per image and in all, flat marks."""
        scored = bool(self.per_image)
        report: dict[str, object] = {
            "reference": "exact_truth" if scored else None,
            "note": "RF masks vs truth/" if scored else "no truth/ folder: nothing to score",
            "classes": self.class_names,
            "trees": self.trees,
            "sigmas": [round(float(s), 3) for s in self.bank.sigmas],
            "stride": self.stride,
            "n_features": self.n_features,
            "per_image": self.per_image,
            "flat_marks": self.marks,
        }
        if scored:
            report.update(quality(self.totals, self.class_names))
            report["confusion_matrix"] = self.totals.tolist()
        return report


def run(
    dataset_dir: str | Path,
    class_names: list[str],
    out: str | Path,
    quality_json: str | Path | None,
    save_forest: str | Path | None = None,
    **rf,
) -> dict[str, object]:
    """``make_masks`` with the rf settings (config.schema.yaml: trees, sigma_min, sigma_max,
    num_sigma, stride, max_depth, seed, threads) as the workflow and command line give them."""
    values = settings.defaults("rf") | rf
    settings.check_rf(values, settings.cli_label("rf"))
    threads = values["threads"]
    bank = FilterBank(values["sigma_min"], values["sigma_max"], values["num_sigma"], threads)
    return make_masks(
        load_dataset(dataset_dir),
        class_names,
        out,
        quality_json,
        trees=values["trees"],
        bank=bank,
        seed=values["seed"],
        n_jobs=threads,
        max_depth=values["max_depth"],
        save_forest=save_forest,
        stride=values["stride"],
    )
