"""Quantitative metallography on label masks: phase fractions, lever-rule carbon, grain size.

Pure numpy/scipy; knows nothing of models, so it measures predicted masks, RF masks and exact
truth alike.

* Area fraction of each class (Delesse: area fraction = volume fraction), with its 95 %
  confidence half-width from the spread over a grid of fields, as ASTM E562 (point count) and
  E1245 (image analysis) state it: CI = t(0.975, n − 1) · s / √n over n fields.
* Carbon content of a ferrite–pearlite steel by the lever rule at the eutectoid,
  C = 0.022 + f_pearlite · (0.77 − 0.022) wt%: valid for slowly cooled hypoeutectoid plain carbon
  steels only (see ``LEVER_RULE_NOTE``).
* Mean linear intercept of each phase, ASTM E112 (two-phase form, as in E1181): horizontal and
  vertical test lines through every pixel row and column; l̄_α = (line length inside α) / N_α,
  N_α the number of α chords, a chord cut by the image edge counting one half. ASTM grain size
  number G = −6.643856 · log10(l̄ in mm) − 3.288.
"""

from __future__ import annotations

import math

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
FIELDS = 4  # the CI's grid: 4 x 4 fields per image (steelseg predict --fields)
CI_NOTE = (
    "± is the 95 % confidence half-width of a fraction (ASTM E562/E1245): the image cut into "
    "a grid of fields, t(0.975, n-1) x s / sqrt(n) over the fields' fractions. Neighbouring "
    "fields of one image give the image's own sampling error; a specimen's needs fields spread "
    "over its section (several images), and fields not much larger than the grains understate it."
)
# One row of three: labels runs along a line only (horizontal; transposed for vertical).
_ALONG_ROWS = np.array([[0, 0, 0], [1, 1, 1], [0, 0, 0]])


def area_fractions(mask: np.ndarray, num_classes: int) -> np.ndarray:
    """Share of the pixels of each class (sums to 1)."""
    counts = np.bincount(mask.ravel(), minlength=num_classes)[:num_classes]
    return counts / max(mask.size, 1)


def field_fractions(mask: np.ndarray, num_classes: int, grid: int = FIELDS) -> np.ndarray:
    """Area fractions (fields x classes) in a grid x grid partition of the image into fields
    differing by at most a pixel per side (fewer fields along a side shorter than ``grid``)."""
    bands = np.array_split(mask, min(grid, mask.shape[0]), axis=0)
    fields = [f for band in bands for f in np.array_split(band, min(grid, mask.shape[1]), axis=1)]
    return np.stack([area_fractions(f, num_classes) for f in fields])


def fraction_ci95(mask: np.ndarray, num_classes: int, grid: int = FIELDS) -> np.ndarray | None:
    """95 % confidence half-width of each class's area fraction from its spread over the
    fields (Student's t, n - 1 degrees of freedom); None with fewer than two fields."""
    return _ci95(field_fractions(mask, num_classes, grid))


def _ci95(per_field: np.ndarray) -> np.ndarray | None:
    n = len(per_field)
    if n < 2:
        return None
    return stats.t.ppf(0.975, n - 1) * per_field.std(axis=0, ddof=1) / math.sqrt(n)


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


def _chords(lines: np.ndarray) -> tuple[int, float]:
    """Pixels inside and chord count (edge chords 1/2) of a boolean array, along its rows."""
    labels, count = ndimage.label(lines, structure=_ALONG_ROWS)
    if count == 0:
        return 0, 0.0
    # A chord that touches the first or last column is cut by the end of its test line.
    cut = np.union1d(labels[:, 0], labels[:, -1])
    partial = np.count_nonzero(cut)
    return int(lines.sum()), count - 0.5 * partial


def mean_linear_intercept(mask: np.ndarray, phase: int) -> float | None:
    """Mean linear intercept of ``phase``, in pixels, over all rows and columns (None: absent)."""
    inside = mask == phase
    pixels_h, chords_h = _chords(inside)
    pixels_v, chords_v = _chords(inside.T)
    chords = chords_h + chords_v
    return (pixels_h + pixels_v) / chords if chords > 0 else None


def astm_grain_size_number(intercept_mm: float) -> float:
    """ASTM E112 grain size number G from the mean linear intercept in millimetres."""
    return -6.643856 * math.log10(intercept_mm) - 3.288


def _fraction_row(
    fractions: np.ndarray, ci: np.ndarray | None, class_names: list[str]
) -> dict[str, object]:
    """fraction_<class>, ci95_<class>, lever-rule carbon and its CI (None where n/a)."""
    row: dict[str, object] = {
        f"fraction_{n}": float(f) for n, f in zip(class_names, fractions, strict=True)
    }
    for c, name in enumerate(class_names):
        row[f"ci95_{name}"] = None if ci is None else float(ci[c])
    pearlite = ferrite_pearlite(class_names)
    row["carbon_wt_pct"] = None if pearlite is None else lever_rule_carbon(fractions[pearlite])
    # The lever rule is linear: its CI is the fraction's, scaled.
    spread = None if pearlite is None or ci is None else float(ci[pearlite])
    row["carbon_ci95_wt_pct"] = None if spread is None else spread * (EUTECTOID_C - FERRITE_C)
    return row


def pooled_measures(per_field: list[np.ndarray], class_names: list[str]) -> dict[str, object]:
    """Several images of one specimen, their fields pooled (ASTM E562: the mean over every
    field and its 95 % CI; each ``per_field`` is one image's ``field_fractions``)."""
    fields = np.concatenate(per_field)
    return _fraction_row(fields.mean(axis=0), _ci95(fields), class_names)


def measure(
    mask: np.ndarray,
    class_names: list[str],
    um_per_px: float | None = None,
    fields: int = FIELDS,
    per_field: np.ndarray | None = None,
) -> dict[str, object]:
    """Everything one mask tells: fractions and their 95 % CI over ``fields`` x ``fields``
    fields (or the ``field_fractions`` given), lever-rule carbon, intercepts where scaled."""
    k = len(class_names)
    if per_field is None:
        per_field = field_fractions(mask, k, fields)
    row = _fraction_row(area_fractions(mask, k), _ci95(per_field), class_names)
    if um_per_px:
        for c, name in enumerate(class_names):
            intercept = mean_linear_intercept(mask, c)
            um = None if intercept is None else intercept * um_per_px
            row[f"intercept_um_{name}"] = um
            row[f"astm_g_{name}"] = None if um is None else astm_grain_size_number(um / 1000)
    return row
