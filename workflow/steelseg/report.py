"""Tables 3 and 4 of the paper (Markdown, LaTeX, HTML) and its figures, from the results folder.

Reads only files the earlier steps wrote under ``results/<dataset>/``: ``models/<m>/summary.json``,
``metrics/<m>.json`` (against the RF masks, the paper's protocol), ``metrics/exact_truth/<m>.json``
(where truth exists), the tile store and the exported test tiles and predictions.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from tabulate import tabulate

from . import io
from .render import LEFT_OUT, colourise
from .tiles import TileStore, tile_name

TABLE4_COLUMNS = (
    ("global_accuracy", "Global accuracy"),
    ("mean_accuracy", "Mean accuracy"),
    ("mean_iou", "Mean IoU"),
    ("weighted_iou", "Weighted IoU"),
    ("mean_bf_score", "Mean BF score"),
)
FAMILY = {
    "unet": "U-Net",
    "segnet": "SegNet (VGG16)",
    "deeplabv3plus_resnet50": "DeepLabV3+ (ResNet50)",
    "deeplabv3plus_resnet18": "DeepLabV3+ (ResNet18)",
    "deeplabv3plus_mobilenetv2": "DeepLabV3+ (MobileNetV2)",
}


def _read(path: Path) -> dict:
    return json.loads(Path(path).read_text())


def _minutes(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def _write_table(rows, headers, stem: Path, bold: dict[tuple[int, int], bool], note: str):
    """Write stem.md, stem.tex (a tabular) and stem.html; best cells in bold."""

    def styled(fmt_bold):
        return [
            [fmt_bold(v) if bold.get((i, j)) else v for j, v in enumerate(row)]
            for i, row in enumerate(rows)
        ]

    markdown = tabulate(styled(lambda v: f"**{v}**"), headers, tablefmt="github")
    latex_rows = [
        [str(v).replace("%", r"\%") for v in row] for row in styled(lambda v: rf"\textbf{{{v}}}")
    ]
    latex = tabulate(
        latex_rows,
        [h.replace("%", r"\%") for h in headers],
        tablefmt="latex_raw",
        colalign=("left",) + ("right",) * (len(headers) - 1),
    )
    html = tabulate(styled(lambda v: f"<b>{v}</b>"), headers, tablefmt="unsafehtml")
    stem.parent.mkdir(parents=True, exist_ok=True)
    for suffix, text in (
        (".md", f"{markdown}\n\n{note}\n"),
        (".tex", f"% {note}\n{latex}\n"),
        (".html", f"{html}\n<p>{note}</p>\n"),
    ):
        with io.atomic_file(stem.with_suffix(suffix)) as tmp:
            tmp.write_text(text)


def _device(summary: dict) -> str:
    """The GPU's name, or the CPU with its thread count (a summary without the thread count:
    the device alone); the paper's table names its card."""
    if summary.get("gpu"):
        return summary["gpu"]
    threads = summary.get("torch_threads")
    if not threads:
        return summary["device"]
    return f"{summary['device']}, {threads} thread{'' if threads == 1 else 's'}"


def table3(results: Path, models: list[str], out: Path) -> list[list[object]]:
    """Training results as the paper's Table 3."""
    summaries = {m: _read(results / "models" / m / "summary.json") for m in models}
    rows = []
    for model, s in summaries.items():
        pct = lambda v: "—" if v is None else f"{100 * v:.2f} %"  # noqa: E731
        num = lambda v: "—" if v is None else f"{v:.4f}"  # noqa: E731
        rows.append(
            [
                FAMILY.get(model, model),
                pct(s["training_accuracy"]),
                num(s["training_loss"]),
                pct(s["validation_accuracy"]),
                num(s["validation_loss"]),
                s["batch_size"],
                s["iterations"],
                _minutes(s["elapsed_s"]),
                _device(s),
            ]
        )
    headers = [
        "Model",
        "Training accuracy",
        "Training loss",
        "Validation accuracy",
        "Validation loss",
        "Mini-batch",
        "Iterations",
        "Training time",
        "Device",
    ]
    total = sum(s["elapsed_s"] for s in summaries.values())
    first = next(iter(summaries.values()))
    store = results / "tiles" / "images.npy"
    side = f" of {np.load(store, mmap_mode='r').shape[1]} px" if store.is_file() else ""
    note = (
        f"Training accuracy/loss: last mini-batch; validation: last validation. "
        f"Tiles{side}: {first['train_tiles']} training, {first['val_tiles']} validation. "
        f"Total training time {_minutes(total)} (paper, RTX 3080: 47 min 57 s)."
    )
    _write_table(rows, headers, out / "table3", {}, note)
    return rows


def table4(
    metric_files: dict[str, Path], out_stem: Path, context: str, labels: Path | None = None
) -> list[list[object]]:
    """Test metrics as the paper's Table 4, best model per column in bold; ``labels``: the
    scores of the labels the models learnt from, a last row outside the bolding."""
    data = {m: _read(p) for m, p in metric_files.items()}
    rows, values = [], []
    for model, result in data.items():
        numbers = [result[key] for key, _ in TABLE4_COLUMNS]
        values.append([np.nan if v is None else v for v in numbers])
        rows.append([FAMILY.get(model, model)] + _cells(numbers))
    values = np.array(values, float)
    if labels is not None:
        scores = _read(labels)
        rows.append(["RF masks (the labels)"] + _cells([scores[k] for k, _ in TABLE4_COLUMNS]))
    bold = {}
    for j in range(values.shape[1]):
        if np.isfinite(values[:, j]).any():
            best = np.nanmax(values[:, j])
            for i in np.flatnonzero(values[:, j] == best):
                bold[(int(i), j + 1)] = True
    first = next(iter(data.values()))
    note = (
        f"{context} Scored on {first['n_images']} test {first['scored_on']} against "
        f"{first['reference']}; BF tolerance {first.get('bf_tolerance', '0.75 %')}. "
        "Paper (DeepLabV3+/MobileNetV2, best): mean IoU 0.952, mean BF 0.915."
    )
    _write_table(rows, ["Model"] + [title for _, title in TABLE4_COLUMNS], out_stem, bold, note)
    return rows


def _cells(numbers) -> list[str]:
    return ["—" if v is None else f"{v:.4f}" for v in numbers]


def confusion_figure(metric_files: dict[str, Path], class_names: list[str], path: Path) -> None:
    """Normalised confusion matrices, one panel per model (the paper's Figure 10)."""
    plt = io.pyplot()

    n = len(metric_files)
    fig, axes = plt.subplots(1, n, figsize=(3.2 * n, 3.4), squeeze=False)
    for axis, (model, file) in zip(axes[0], metric_files.items(), strict=True):
        matrix = np.array(_read(file)["confusion_matrix_normalised"], dtype=float)
        axis.imshow(np.nan_to_num(matrix), cmap="Blues", vmin=0, vmax=100)
        for (i, j), v in np.ndenumerate(matrix):
            axis.text(
                j,
                i,
                "—" if np.isnan(v) else f"{v:.1f}%",
                ha="center",
                va="center",
                color="white" if v > 60 else "black",
                fontsize=9,
            )
        axis.set_xticks(range(len(class_names)), class_names, rotation=30, ha="right")
        axis.set_yticks(range(len(class_names)), class_names)
        axis.set_xlabel("predicted")
        axis.set_title(FAMILY.get(model, model), fontsize=9)
    axes[0][0].set_ylabel("true")
    fig.tight_layout()
    io.save_figure(fig, path, dpi=130)


def _classes_shown(path: Path, num_classes: int) -> int:
    """How many classes a reference tile shows (pixels left out are none)."""
    labels = io.read_labels(path, num_classes, ignore=True)
    return int(np.count_nonzero(np.bincount(labels.ravel(), minlength=256)[:num_classes]))


def samples_figure(
    tiles_dir: Path,
    labels_dir: Path,
    predictions: dict[str, Path],
    colours: list[str],
    class_names: list[str],
    path: Path,
    count: int = 3,
):
    """Test tiles, their reference mask and every model's prediction (the paper's Figure 11)."""
    plt = io.pyplot()
    from matplotlib.patches import Patch

    store = TileStore.open(tiles_dir)
    names = sorted(p.stem for p in labels_dir.glob("tile_*.png"))
    # Spread the picks over the test set and prefer tiles that show every class.
    mixed = [n for n in names if _classes_shown(labels_dir / f"{n}.png", len(class_names)) > 1]
    pool = mixed or names
    picks = [pool[i] for i in np.linspace(0, len(pool) - 1, min(count, len(pool))).astype(int)]
    columns = 2 + len(predictions)
    fig, axes = plt.subplots(
        len(picks), columns, figsize=(2.2 * columns, 2.3 * len(picks)), squeeze=False
    )
    left_out = False
    for r, name in enumerate(picks):
        tile = int(name.split("_")[1])
        reference = io.read_labels(labels_dir / f"{name}.png", len(class_names), ignore=True)
        left_out |= bool((reference == io.IGNORE).any())
        panels = [
            ("image", np.asarray(store.images[tile])),
            ("mask", colourise(reference, colours)),
        ]
        panels += [
            (
                FAMILY.get(m, m),
                colourise(io.read_labels(d / tile_name(tile), len(class_names)), colours),
            )
            for m, d in predictions.items()
        ]
        for c, (title, picture) in enumerate(panels):
            axes[r][c].imshow(picture)
            axes[r][c].set_xticks([])
            axes[r][c].set_yticks([])
            if r == 0:
                axes[r][c].set_title(title, fontsize=8)
    handles = [Patch(color=c, label=n) for c, n in zip(colours, class_names, strict=True)]
    if left_out:  # the data set's exclude/: not specimen
        handles.append(Patch(color=LEFT_OUT, label="left out"))
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), frameon=False)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    io.save_figure(fig, path, dpi=130)


def _whole_image_table(results: Path, models: list[str], context: str) -> dict[str, Path]:
    """Table 4 of the whole test images (predict's sliding window) against the exact truth,
    with the RF masks' own score there as the last row: what the labels allow. Against the
    RF masks where there is no truth; nothing where the split has no whole test images."""
    folder = results / "metrics" / "whole_images"
    for reference in ("exact_truth", "rf_masks"):
        files = {m: folder / reference / f"{m}.json" for m in models}
        if all(p.is_file() for p in files.values()):
            break
    else:
        return {}
    labels = folder / "rf_masks_vs_exact_truth.json"
    stem = results / "tables" / "table4_whole_images"
    table4(
        files,
        stem,
        f"{context} Whole test images, segmented with the sliding window.",
        labels if reference == "exact_truth" and labels.is_file() else None,
    )
    return {"table4_whole_images": stem.with_suffix(".md")}


def make_report(
    results: str | Path,
    models: list[str],
    class_names: list[str],
    colours: list[str],
    split_mode: str,
) -> dict[str, Path]:
    results = Path(results)
    tables, figures = results / "tables", results / "figures"
    table3(results, models, tables)
    context = f"Split: {split_mode}."
    rf = {m: results / "metrics" / f"{m}.json" for m in models}
    table4(rf, tables / "table4", f"{context} Reference: RF masks (the paper's protocol).")
    truth = {m: results / "metrics" / "exact_truth" / f"{m}.json" for m in models}
    written = {"table3": tables / "table3.md", "table4": tables / "table4.md"}
    if all(p.is_file() for p in truth.values()):
        table4(
            truth,
            tables / "table4_exact_truth",
            f"{context} Reference: exact synthetic truth (what the paper could not measure).",
        )
        written["table4_exact_truth"] = tables / "table4_exact_truth.md"
    written |= _whole_image_table(results, models, context)
    confusion_figure(rf, class_names, figures / "confusion_matrices.png")
    samples_figure(
        results / "tiles",
        results / "test_tiles" / "rf_masks",
        {m: results / "predictions" / m / "test_tiles" for m in models},
        colours,
        class_names,
        figures / "segmented_samples.png",
    )
    return written
