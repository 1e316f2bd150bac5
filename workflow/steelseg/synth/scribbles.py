"""Sparse annotations as a person draws them in Trainable Weka."""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from skimage.draw import line as draw_line
from skimage.morphology import disk

from .morphology import FERRITE, PEARLITE, _boundaries


def scribbles(rng: np.random.Generator, truth: np.ndarray, grains: np.ndarray) -> np.ndarray:
    """Sparse annotation as a person draws it: 0 unlabelled, k+1 for class k.

    Strokes stay a few pixels inside one ferrite grain or one pearlite region (pearlite fills
    the corners of several grains, so a stroke follows the region, not the grain); extra
    ferrite strokes follow ferrite grain boundaries, because a Weka user must teach the
    classifier that those dark lines are ferrite, not pearlite.
    """
    height, width = truth.shape
    annotation = np.zeros(truth.shape, np.uint8)
    strokes = max(12, int(height * width / 60_000))
    brush = disk(1)
    for k in (FERRITE, PEARLITE):
        interior = ndimage.binary_erosion(truth == k, disk(2))
        regions = grains if k == FERRITE else ndimage.label(interior)[0]
        candidates = np.flatnonzero(interior)
        if candidates.size == 0:
            continue
        for start in rng.choice(candidates, size=min(strokes, candidates.size), replace=False):
            y0, x0 = divmod(int(start), width)
            theta, length = rng.uniform(0, 2 * np.pi), rng.uniform(12, 50)
            y1 = int(np.clip(y0 + length * np.sin(theta), 0, height - 1))
            x1 = int(np.clip(x0 + length * np.cos(theta), 0, width - 1))
            rr, cc = draw_line(y0, x0, y1, x1)
            # Work in the stroke's bounding box (+ brush) rather than on the whole image.
            top, left = max(0, rr.min() - 2), max(0, cc.min() - 2)
            box = (slice(top, rr.max() + 3), slice(left, cc.max() + 3))
            stroke = np.zeros(interior[box].shape, bool)
            stroke[rr - top, cc - left] = True
            stroke = ndimage.binary_dilation(stroke, brush)
            stroke &= interior[box] & (regions[box] == regions[y0, x0])
            annotation[box][stroke] = k + 1
    # Ferrite grain boundaries: label short stretches of boundary between two ferrite grains.
    ferrite_edges = _boundaries(grains) & (truth == FERRITE)
    ferrite_edges &= ndimage.binary_erosion(truth == FERRITE, disk(2))
    candidates = np.flatnonzero(ferrite_edges)
    if candidates.size:
        for start in rng.choice(candidates, size=min(strokes, candidates.size), replace=False):
            y0, x0 = divmod(int(start), width)
            window = (slice(max(0, y0 - 12), y0 + 13), slice(max(0, x0 - 12), x0 + 13))
            annotation[window][ferrite_edges[window]] = FERRITE + 1
    return annotation
