"""Quantitative metallography on label masks: phase fractions, lever-rule carbon, grain size.

Pure numpy/scipy; knows nothing of models, so it measures predicted masks, RF masks and exact
truth alike.

* Area fraction of each class (Delesse: area fraction = volume fraction).
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
from scipy import ndimage

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
# One row of three: labels runs along a line only (horizontal; transposed for vertical).
_ALONG_ROWS = np.array([[0, 0, 0], [1, 1, 1], [0, 0, 0]])


def area_fractions(mask: np.ndarray, num_classes: int) -> np.ndarray:
    """Share of the pixels of each class (sums to 1)."""
    counts = np.bincount(mask.ravel(), minlength=num_classes)[:num_classes]
    return counts / max(mask.size, 1)


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


def measure(
    mask: np.ndarray, class_names: list[str], um_per_px: float | None = None
) -> dict[str, object]:
    """Everything one mask tells: fractions, lever-rule carbon, intercepts where scaled."""
    k = len(class_names)
    fractions = area_fractions(mask, k)
    row: dict[str, object] = {
        f"fraction_{n}": float(f) for n, f in zip(class_names, fractions, strict=True)
    }
    pearlite = ferrite_pearlite(class_names)
    row["carbon_wt_pct"] = None if pearlite is None else lever_rule_carbon(fractions[pearlite])
    if um_per_px:
        for c, name in enumerate(class_names):
            intercept = mean_linear_intercept(mask, c)
            um = None if intercept is None else intercept * um_per_px
            row[f"intercept_um_{name}"] = um
            row[f"astm_g_{name}"] = None if um is None else astm_grain_size_number(um / 1000)
    return row
