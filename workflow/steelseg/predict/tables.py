"""What prediction reports: the phase-fraction tables (CSV and printed), captions, warnings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import io, quantify, regions
from ..dataset import write_sheet


@dataclass
class ImageResult:
    image: str
    width: int
    height: int
    measures: dict[str, object]
    spread: quantify.Spread | None = None  # the fractions' sampling error: pooled per sample
    excluded: float | None = None  # share of the image left out (--exclude), None: not asked
    marks: tuple[regions.Box, ...] = ()  # flat rectangles measured (scale bars?): warned of
    um_per_px: float | None = None  # the pixel size lengths were measured with
    um_source: str = "none"  # where it came from: option, ome-tiff, imagej, tiff or none
    confidence: float | None = None  # mean probability of the winning class


@dataclass
class SampleResult:
    sample: str
    images: int
    fields: int
    measures: dict[str, object]


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


def _columns(
    measures: list[dict[str, object]], class_names: list[str]
) -> tuple[list[str], list[str]]:
    """Headers and measure keys of a summary table: % per class with its 95 % CI, C,
    intercepts (where any row has them)."""
    present = {k for row in measures for k in row}
    headers, keys = [], []
    for n in class_names:
        headers += [f"{n} %", "± 95 %"]
        keys += [f"fraction_{n}", f"ci95_{n}"]
    if any(row.get("carbon_wt_pct") is not None for row in measures):
        headers += ["C wt% (lever rule)", "± 95 %"]
        keys += ["carbon_wt_pct", "carbon_ci95_wt_pct"]
    for n in class_names:
        if f"intercept_um_{n}" in present:
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
    headers, keys = _columns([r.measures for r in results], class_names)
    left_out = results[0].excluded is not None  # --exclude given: how much each image lost
    rows = [
        [
            r.image,
            f"{r.width}x{r.height}",
            *([100 * r.excluded] if left_out else []),
            *(_shown(k, r.measures.get(k)) for k in keys),
        ]
        for r in results
    ]
    return ["image", "size", *(["excluded %"] if left_out else []), *headers], rows


def sample_summary_rows(
    samples: list[SampleResult], class_names: list[str]
) -> tuple[list[str], list[list[object]]]:
    """Headers and rows of the per-sample table: each sample's fields pooled."""
    headers, keys = _columns([s.measures for s in samples], class_names)
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


def write_fractions(path: Path, results: list[ImageResult]) -> None:
    """phase_fractions.csv: one row per image (with --exclude, the share of it left out), its
    pixel size and where that came from, its measures and the network's mean confidence."""

    def ident(r: ImageResult) -> dict[str, object]:
        row = {"image": r.image, "width": r.width, "height": r.height}
        if r.excluded is not None:
            row["excluded_fraction"] = _cell(r.excluded)
        return {**row, "um_per_px": _cell(r.um_per_px), "um_per_px_source": r.um_source}

    def measures(r: ImageResult) -> dict[str, object]:
        return {**r.measures, "mean_confidence": r.confidence}

    _write_measures(path, [(ident(r), measures(r)) for r in results])


def write_sample_fractions(path: Path, samples: list[SampleResult]) -> None:
    """phase_fractions_by_sample.csv: one row per sample, its images' fields pooled."""
    _write_measures(
        path,
        [
            ({"sample": s.sample, "images": s.images, "fields": s.fields}, s.measures)
            for s in samples
        ],
    )


def summary_text(
    results: list[ImageResult],
    by_sample: list[SampleResult],
    class_names: list[str],
    sampling: quantify.Sampling,
) -> str:
    """What ``steelseg predict`` prints when done: the per-image table, the per-sample one,
    the notes on what the numbers assume, and a warning per flat mark measured as specimen."""
    from tabulate import tabulate

    headers, rows = summary_rows(results, class_names)
    lines = [tabulate(rows, headers=headers, floatfmt=".3f")]
    if by_sample:
        headers, rows = sample_summary_rows(by_sample, class_names)
        lines.append("\nper sample, the fields of its images pooled:")
        lines.append(tabulate(rows, headers=headers, floatfmt=".3f"))
    if sampling.grid > 1:
        lines.append(f"note: {quantify.CI_NOTES[sampling.method]}")
    if results[0].measures["carbon_wt_pct"] is not None:
        lines.append(f"note: {quantify.LEVER_RULE_NOTE}")
    if any(r.um_per_px for r in results):
        lines.append(f"note: {quantify.INTERCEPT_NOTE}")
    uncalibrated = [r.image for r in results if not r.um_per_px]
    if uncalibrated:
        lines.append(
            f"note: {len(uncalibrated)} image(s) ({io.first_few(uncalibrated)}) carry no pixel "
            "size and none was given: fractions only, no lengths; give --um-per-px or save "
            "calibrated TIFFs"
        )
    lines += [f"warning: {warning}" for warning in mark_warnings(results)]
    return "\n".join(lines)
