"""Quantitative metallography on label masks: phase fractions, lever-rule carbon, grain size.

Pure numpy/scipy; knows nothing of models, so it measures predicted masks, RF masks and exact
truth alike.

* Area fraction of each class (Delesse: area fraction = volume fraction), with its 95 %
  confidence half-width from the spread over a grid of fields, as ASTM E562 (point count) and
  E1245 (image analysis) state it: CI = t(0.975, n − 1) · s / √n over n fields; or, where
  structures cluster beyond a field, by the integral range (Kanit et al. 2003, Int. J. Solids
  Struct. 40, 3647): the fields' variance at three field sizes extrapolated to the image.
* Carbon content of a ferrite–pearlite steel by the lever rule at the eutectoid,
  C = 0.022 + f_pearlite · (0.77 − 0.022) wt%: valid for slowly cooled hypoeutectoid plain carbon
  steels only (see ``LEVER_RULE_NOTE``).
* Mean linear intercept of each phase, ASTM E112 (two-phase form, as in E1181): horizontal and
  vertical test lines through every pixel row and column; l̄_α = (line length inside α) / N_α,
  N_α the number of α chords, a chord cut by the image edge counting one half. ASTM grain size
  number G = −6.643856 · log10(l̄ in mm) − 3.288.

Each takes an optional ``specimen`` mask (True on specimen): pixels outside it (a scale bar, a
data bar; ``regions``) count for no class, a field counts only where at least half of it is
specimen (E562: grid points off the specimen are not counted), and a test line is cut where it
meets them, as at the image's edge.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage, stats

FERRITE_C, EUTECTOID_C = 0.022, 0.77  # wt% C: ferrite solubility and eutectoid, Fe–Fe3C
LEVER_RULE_NOTE = (
    "Carbon by the lever rule, C = 0.022 + f_pearlite x (0.77 - 0.022) wt%: holds for slowly "
    "cooled (annealed) hypoeutectoid plain carbon steels; faster cooling (normalising) gives "
    "more pearlite than equilibrium and alloying shifts the eutectoid, so read it as an estimate."
)
INTERCEPT_NOTE = (
    "Mean linear intercept per phase (ASTM E112, two-phase form): every pixel row and column is "
    "a test line; l = length inside the phase / number of its chords (edge chords count 1/2). "
    "A mask does not separate touching grains of one phase, so this is the size of phase "
    "regions, an upper bound of the grain size where grains of one phase touch."
)
MIN_SPECIMEN = 0.5  # share of a field that must be specimen for the field to count
FIELDS = 4  # the CI's grid: 4 x 4 fields per image (steelseg predict --fields)
CI_METHODS = ("e562", "integral-range")  # steelseg predict --ci
CI_NOTES = {
    "e562": (
        "± is the 95 % confidence half-width of a fraction (ASTM E562/E1245): the image cut "
        "into a grid of fields, t(0.975, n-1) x s / sqrt(n) over the fields' fractions. "
        "Neighbouring fields of one image give the image's own sampling error; a specimen's "
        "needs fields spread over its section (several images), and fields not much larger "
        "than the grains and colonies understate it (--ci integral-range does not)."
    ),
    "integral-range": (
        "± is the 95 % confidence half-width of a fraction by the integral range (Kanit et al. "
        "2003): the fields' variance at N x N, 2N x 2N and 4N x 4N fields extrapolated to the "
        "whole image by a power law in field area (exponent held between -1, independent "
        "fields, where it equals ASTM E562's, and 0), times t(0.975, n-1). Wider than E562's "
        "where the structure clusters beyond a field; a sample takes the wider of its images' "
        "variances combined and its pooled fields' E562."
    ),
}
# One row of three: labels runs along a line only (horizontal; transposed for vertical).
_ALONG_ROWS = np.array([[0, 0, 0], [1, 1, 1], [0, 0, 0]])


def area_fractions(
    mask: np.ndarray, num_classes: int, specimen: np.ndarray | None = None
) -> np.ndarray:
    """Share of the (specimen) pixels of each class (sums to 1)."""
    values = mask.ravel() if specimen is None else mask[specimen]
    counts = np.bincount(values, minlength=num_classes)[:num_classes]
    return counts / max(values.size, 1)


def _grid(array: np.ndarray, grid: int) -> list[np.ndarray]:
    """A grid x grid partition into fields differing by at most a pixel per side (fewer
    fields along a side shorter than ``grid``)."""
    bands = np.array_split(array, min(grid, array.shape[0]), axis=0)
    return [f for band in bands for f in np.array_split(band, min(grid, array.shape[1]), axis=1)]


def field_fractions(
    mask: np.ndarray,
    num_classes: int,
    grid: int = FIELDS,
    specimen: np.ndarray | None = None,
) -> np.ndarray:
    """Area fractions (fields x classes) of the fields of a ``grid`` x ``grid`` partition;
    with ``specimen``, of those fields at least ``MIN_SPECIMEN`` specimen, over its pixels."""
    if specimen is None:
        return np.stack([area_fractions(f, num_classes) for f in _grid(mask, grid)])
    kept = [
        area_fractions(f, num_classes, s)
        for f, s in zip(_grid(mask, grid), _grid(specimen, grid), strict=True)
        if s.mean() >= MIN_SPECIMEN
    ]
    return np.stack(kept) if kept else np.empty((0, num_classes))


@dataclass(frozen=True)
class Spread:
    """The sampling error of one image's (or a pooled sample's) area fractions."""

    fields: np.ndarray  # fields x classes: the fractions of the fields at the --fields grid
    variance: np.ndarray | None  # per class, of the fraction; None with under two fields
    method: str = "e562"

    @property
    def ci95(self) -> np.ndarray | None:
        """95 % confidence half-width per class: t(0.975, n - 1) x the fraction's sd."""
        if self.variance is None:
            return None
        return stats.t.ppf(0.975, len(self.fields) - 1) * np.sqrt(self.variance)


@dataclass(frozen=True)
class Sampling:
    """How a fraction's CI is taken: ``grid`` x ``grid`` fields, by one of ``CI_METHODS``."""

    grid: int = FIELDS
    method: str = "e562"

    def __post_init__(self):
        if self.method not in CI_METHODS:
            raise ValueError(f"CI method {self.method!r}: use one of {', '.join(CI_METHODS)}")

    def spread(
        self, mask: np.ndarray, num_classes: int, specimen: np.ndarray | None = None
    ) -> Spread:
        fields = field_fractions(mask, num_classes, self.grid, specimen)
        if len(fields) == 0:  # no field mostly specimen: the specimen is the one field
            fields = area_fractions(mask, num_classes, specimen)[None]
        if len(fields) < 2:
            return Spread(fields, None, self.method)
        if self.method == "integral-range":
            variance = _integral_range_variance(mask, num_classes, self.grid, fields, specimen)
        else:
            variance = fields.var(axis=0, ddof=1) / len(fields)  # E562: s^2 / n
        return Spread(fields, variance, self.method)


DEFAULT_SAMPLING = Sampling()  # 4 x 4 fields, E562


def _integral_range_variance(
    mask: np.ndarray,
    num_classes: int,
    grid: int,
    fields: np.ndarray,
    specimen: np.ndarray | None = None,
) -> np.ndarray:
    """Variance of the image's fractions from the fields' variance at grid, 2 grid and 4 grid
    per side: log variance against log field area, a line whose slope is clamped to [-1, 0]
    (-1: independent fields, E562's s^2 / n; 0: the image no surer than one field), drawn
    from the ``grid`` point (the widest fields, nearest the image) to the image's area."""
    counts, variances = [len(fields)], [fields.var(axis=0, ddof=1)]
    for finer in (2 * grid, 4 * grid):
        per_field = field_fractions(mask, num_classes, finer, specimen)
        if len(per_field) > counts[-1]:  # a small image stops splitting
            counts.append(len(per_field))
            variances.append(per_field.var(axis=0, ddof=1))
    log_area = -np.log(counts)  # field area as a share of the image's
    per_grid = np.array(variances)
    variance = per_grid[0] / counts[0]
    for c in range(num_classes):
        known = per_grid[:, c] > 0
        if known[0] and known.sum() >= 2:  # else the fields agree (0) or too few points: E562
            slope = np.polyfit(log_area[known], np.log(per_grid[known, c]), 1)[0]
            variance[c] = per_grid[0, c] * counts[0] ** float(np.clip(slope, -1.0, 0.0))
    return variance


def pooled_spread(spreads: list[Spread]) -> Spread:
    """Several images of one specimen (ASTM E562: every field pooled, s^2 / n over all). The
    integral range takes the wider of that and its images' variances combined (the mean of
    independent images): the latter holds clustering within images, the former differences
    between them."""
    method = spreads[0].method
    fields = np.concatenate([s.fields for s in spreads])
    if len(fields) < 2:
        return Spread(fields, None, method)
    variance = fields.var(axis=0, ddof=1) / len(fields)
    if method == "integral-range" and all(s.variance is not None for s in spreads):
        combined = sum(s.variance for s in spreads) / len(spreads) ** 2
        variance = np.maximum(variance, combined)
    return Spread(fields, variance, method)


def fraction_ci95(
    mask: np.ndarray,
    num_classes: int,
    grid: int = FIELDS,
    method: str = "e562",
    specimen: np.ndarray | None = None,
) -> np.ndarray | None:
    """95 % confidence half-width of each class's area fraction (None with under two fields)."""
    return Sampling(grid, method).spread(mask, num_classes, specimen).ci95


def lever_rule_carbon(pearlite_fraction: float) -> float:
    """wt% C of a slowly cooled hypoeutectoid steel with this pearlite area fraction."""
    return FERRITE_C + pearlite_fraction * (EUTECTOID_C - FERRITE_C)


def lever_rule_pearlite_fraction(carbon: float) -> float:
    """Inverse of ``lever_rule_carbon``: pearlite fraction for ``carbon`` wt% C."""
    return (carbon - FERRITE_C) / (EUTECTOID_C - FERRITE_C)


def ferrite_pearlite(class_names: list[str]) -> int | None:
    """Index of pearlite where the classes are exactly ferrite and pearlite, else None."""
    names = [n.lower() for n in class_names]
    if sorted(names) == ["ferrite", "pearlite"]:
        return names.index("pearlite")
    return None


def _chords(lines: np.ndarray, stops: np.ndarray | None = None) -> tuple[int, float]:
    """Pixels inside and chord count (cut chords 1/2) of a boolean array, along its rows;
    ``stops`` (True: not specimen) cut the test lines where they lie."""
    labels, count = ndimage.label(lines, structure=_ALONG_ROWS)
    if count == 0:
        return 0, 0.0
    # A chord that touches the first or last column is cut by the end of its test line.
    ends = [labels[:, 0], labels[:, -1]]
    if stops is not None:  # ... and one that runs into a part left out, by that part
        ends += [labels[:, :-1][stops[:, 1:]], labels[:, 1:][stops[:, :-1]]]
    partial = np.count_nonzero(np.unique(np.concatenate(ends)))
    return int(lines.sum()), count - 0.5 * partial


def mean_linear_intercept(
    mask: np.ndarray, phase: int, specimen: np.ndarray | None = None
) -> float | None:
    """Mean linear intercept of ``phase``, in pixels, over all rows and columns (None: absent),
    the test lines cut where they leave the ``specimen``."""
    inside = mask == phase
    stops = None
    if specimen is not None:
        inside &= specimen
        stops = ~specimen
    pixels_h, chords_h = _chords(inside, stops)
    pixels_v, chords_v = _chords(inside.T, None if stops is None else stops.T)
    chords = chords_h + chords_v
    return (pixels_h + pixels_v) / chords if chords > 0 else None


def astm_grain_size_number(intercept_mm: float) -> float:
    """ASTM E112 grain size number G from the mean linear intercept in millimetres."""
    return -6.643856 * math.log10(intercept_mm) - 3.288


def _fraction_row(
    fractions: np.ndarray, spread: Spread, class_names: list[str]
) -> dict[str, object]:
    """fraction_<class>, ci95_<class>, lever-rule carbon and its CI, the CI's method (None
    where n/a)."""
    ci = spread.ci95
    row: dict[str, object] = {
        f"fraction_{n}": float(f) for n, f in zip(class_names, fractions, strict=True)
    }
    for c, name in enumerate(class_names):
        row[f"ci95_{name}"] = None if ci is None else float(ci[c])
    pearlite = ferrite_pearlite(class_names)
    row["carbon_wt_pct"] = None if pearlite is None else lever_rule_carbon(fractions[pearlite])
    # The lever rule is linear: its CI is the fraction's, scaled.
    half = None if pearlite is None or ci is None else float(ci[pearlite])
    row["carbon_ci95_wt_pct"] = None if half is None else half * (EUTECTOID_C - FERRITE_C)
    row["ci_method"] = None if ci is None else spread.method
    return row


def pooled_measures(spreads: list[Spread], class_names: list[str]) -> dict[str, object]:
    """Several images of one specimen, their fields pooled (``pooled_spread``): the mean over
    every field, its 95 % CI, lever-rule carbon."""
    pooled = pooled_spread(spreads)
    return _fraction_row(pooled.fields.mean(axis=0), pooled, class_names)


def measure(
    mask: np.ndarray,
    class_names: list[str],
    um_per_px: float | None = None,
    sampling: Sampling = DEFAULT_SAMPLING,
    spread: Spread | None = None,
    specimen: np.ndarray | None = None,
) -> dict[str, object]:
    """Everything one mask tells: fractions and their 95 % CI (``sampling``, or the ``spread``
    already taken), lever-rule carbon, intercepts where scaled; on ``specimen`` pixels only."""
    k = len(class_names)
    spread = spread or sampling.spread(mask, k, specimen)
    row = _fraction_row(area_fractions(mask, k, specimen), spread, class_names)
    if um_per_px:
        for c, name in enumerate(class_names):
            intercept = mean_linear_intercept(mask, c, specimen)
            um = None if intercept is None else intercept * um_per_px
            row[f"intercept_um_{name}"] = um
            row[f"astm_g_{name}"] = None if um is None else astm_grain_size_number(um / 1000)
    return row
