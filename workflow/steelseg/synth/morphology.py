"""Where the phases lie: the grain tessellation and the pearlite morphologies, each placing
exactly the lever-rule fraction of pearlite."""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree

FERRITE, PEARLITE = 0, 1
CLASS_NAMES = ("ferrite", "pearlite")
ISLAND_SPACING = 0.6  # islands: least distance between colony-bearing corners, in grain sizes


def _smooth_field(rng: np.random.Generator, shape: tuple[int, int], scale: float) -> np.ndarray:
    """Zero-mean, unit-variance random field smooth over ``scale`` pixels (cheap: coarse + zoom)."""
    step = max(1, int(scale // 4))
    coarse_shape = (shape[0] // step + 3, shape[1] // step + 3)
    coarse = ndimage.gaussian_filter(rng.standard_normal(coarse_shape), scale / step / 2)
    fine = ndimage.zoom(coarse, step, order=1)[: shape[0], : shape[1]]
    fine -= fine.mean()
    return fine / (fine.std() + 1e-12)


def _grains(rng, height, width, grain_px):
    """Warped Voronoi tessellation with mean grain area grain_px**2.

    Returns the grain label map and each pixel's distance to its grain's seed in grain sizes
    (near 0 at a grain's centre, largest at its corners, the triple junctions).
    """
    pad = 2 * grain_px
    area = (height + 2 * pad) * (width + 2 * pad)
    n_seeds = max(4, rng.poisson(area / grain_px**2))
    seeds = rng.uniform((-pad, -pad), (height + pad, width + pad), size=(n_seeds, 2))
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    warp = 0.18 * grain_px
    yy += warp * _smooth_field(rng, (height, width), grain_px).astype(np.float32)
    xx += warp * _smooth_field(rng, (height, width), grain_px).astype(np.float32)
    distance, labels = cKDTree(seeds).query(np.stack([yy.ravel(), xx.ravel()], 1), workers=-1)
    _, labels = np.unique(labels, return_inverse=True)  # dense 0..n-1 over visible grains
    shape = (height, width)
    return labels.reshape(shape).astype(np.int32), (distance / grain_px).reshape(shape)


def _pearlite_network(rng, grains, seed_distance, fraction, grain_px):
    """Boolean pearlite mask with exactly the target area fraction, and each pixel's colony
    (its grain: a colony fills the part of a grain that transforms).

    In a hypoeutectoid steel proeutectoid ferrite grows first from the prior austenite grain
    boundaries and the carbon-rich remainder becomes pearlite: pearlite sits in the corners and
    along the edges of the grain tessellation, as islands between ferrite grains at low carbon
    and as a connected matrix around ferrite islands near the eutectoid. So each pixel scores by
    its distance from its grain's centre, plus a per-grain offset (some grains transform
    wholly) and a smooth field (clusters and bands); the top ``fraction`` of scores is pearlite.
    """
    if fraction <= 0 or fraction >= 1:
        return np.full(grains.shape, fraction >= 1), grains
    n = int(grains.max()) + 1
    score = seed_distance + 0.2 * rng.standard_normal(n)[grains]
    score += 0.15 * _smooth_field(rng, grains.shape, 3 * grain_px)
    score += 0.1 * _smooth_field(rng, grains.shape, grain_px / 5)  # ragged interfaces
    return score > np.quantile(score, 1 - fraction), grains


def _junctions(grains: np.ndarray) -> np.ndarray:
    """Label map of the tessellation's triple junctions (0: none; 2 x 2 blocks of ≥ 3 grains)."""
    a, b = grains[:-1, :-1], grains[:-1, 1:]
    c, d = grains[1:, :-1], grains[1:, 1:]
    distinct = 1 + (b != a) + ((c != a) & (c != b)) + ((d != a) & (d != b) & (d != c))
    corner = np.zeros(grains.shape, bool)
    corner[:-1, :-1] = distinct >= 3
    return ndimage.label(ndimage.binary_dilation(corner))[0]


def _pearlite_islands(rng, grains, seed_distance, fraction, grain_px):
    """Boolean pearlite mask of separate colonies at grain corners, with the target fraction,
    and each pixel's colony (its nearest colony-bearing corner) for the colony's lamellae.

    At low carbon, pearlite forms last in the corners where three ferrite grains meet, as
    separate colonies of under a grain area (what real SAE 1020 micrographs show). Colonies sit
    at corners at least ISLAND_SPACING grain sizes apart (a Poisson-disk choice), so they stay
    apart until the fraction nears the eutectoid, where they join into a network. A pixel
    scores by its distance from its colony's corner relative to the colony's size, plus a
    little of its distance from its grain's centre (a colony fills the concave corner between
    grains) and a ragged-interface field; the top ``fraction`` of scores is pearlite.
    """
    corners = _junctions(grains)
    n = int(corners.max())
    if fraction <= 0 or fraction >= 1 or n == 0:
        return _pearlite_network(rng, grains, seed_distance, fraction, grain_px)
    centres = np.array(ndimage.center_of_mass(np.ones(grains.shape), corners, np.arange(1, n + 1)))
    tree = cKDTree(centres)
    colony_at = np.zeros(n + 1, bool)  # index 0: no corner
    blocked = np.zeros(n, bool)
    for k in rng.permutation(n):
        if not blocked[k]:
            colony_at[k + 1] = True
            blocked[tree.query_ball_point(centres[k], ISLAND_SPACING * grain_px)] = True
    distance, (iy, ix) = ndimage.distance_transform_edt(~colony_at[corners], return_indices=True)
    colony = corners[iy, ix]
    size = rng.lognormal(0.0, 0.3, n + 1)[colony]
    score = -distance / (grain_px * size) + 0.3 * seed_distance
    score += 0.1 * _smooth_field(rng, grains.shape, grain_px / 5)
    return score > np.quantile(score, 1 - fraction), colony


FILM_EDGES = 0.7  # films: share of grain edges that carry pearlite
FILM_WEDGES = 0.3  # films: weight of the distance from a corner in the cost (wedges there)


def _pearlite_films(rng, grains, seed_distance, fraction, grain_px):
    """Boolean pearlite mask of thin films along grain edges, thickest at grain corners, with
    the target fraction, and each pixel's colony (its nearest pearlite-bearing edge segment).

    In many low-carbon steels (air-cooled or with coarse ferrite) the last austenite transforms
    in the grain boundaries: pearlite lines most edges as films a few micrometres thick and
    wedges where three grains meet, rather than as compact islands (what the real SAE 1020
    crops show: half of their dark phase is under 5 px across at the preset's scale). Edge
    segments between corners carry pearlite with probability FILM_EDGES; a pixel's cost is its
    distance from the nearest such edge plus FILM_WEDGES times its distance from the nearest corner
    (wedges), less a ragged-interface field; the ``fraction`` of lowest cost is pearlite.
    """
    corners = _junctions(grains) > 0
    # Edge segments: the boundary lines cut at the corners, one label per segment.
    segments, n = ndimage.label(_boundaries(grains) & ~corners, np.ones((3, 3), bool))
    if fraction <= 0 or fraction >= 1 or not corners.any() or n == 0:
        return _pearlite_network(rng, grains, seed_distance, fraction, grain_px)
    carries = np.concatenate([[False], rng.random(n) < FILM_EDGES])
    if not carries.any():  # a field of view with a few edges only: all of them carry pearlite
        carries[1:] = True
    distance, (iy, ix) = ndimage.distance_transform_edt(~carries[segments], return_indices=True)
    colony = segments[iy, ix]
    score = -(distance + FILM_WEDGES * ndimage.distance_transform_edt(~corners)) / grain_px
    score += 0.1 * _smooth_field(rng, grains.shape, grain_px / 5)
    return score > np.quantile(score, 1 - fraction), colony


GRAIN_OWN_DRAW = 2.0  # grains: weight of each grain's own draw against the cluster field


def _pearlite_grains(rng, grains, seed_distance, fraction, grain_px):
    """Boolean pearlite mask of whole grains, with the target fraction to within a grain, and
    each pixel's colony (its grain).

    Near the eutectoid the pearlite colonies and the proeutectoid ferrite grains are the same
    polygons of one fine tessellation: each grain is wholly ferrite or wholly pearlite, so the
    pearlite shows as angular patches the size of the ferrite grains, bounded by grain
    boundaries (what the real SAE 1045 crops show), not as a band round each grain's rim.
    """
    return _whole_cells(rng, grains, fraction, grain_px), grains


COLONY_CELL = 0.5  # colonies: colony cell size in ferrite grain sizes


def _pearlite_colonies(rng, grains, seed_distance, fraction, grain_px):
    """Boolean pearlite mask of whole colony cells finer than the ferrite grains, and each
    pixel's colony (its cell).

    As ``grains``, but the pearlite patches come from a second tessellation at COLONY_CELL of
    the grain size: a colony is angular, yet smaller than a ferrite grain and cuts across the
    grains' tessellation, so the dark phase is a web of narrow patches (the real SAE 1045 dark
    phase lies mostly in features under 9 px across at the real-data preset's scale, where
    whole 15 px grains leave it in wide ones).
    """
    cells, _ = _grains(rng, *grains.shape, COLONY_CELL * grain_px)
    return _whole_cells(rng, cells, fraction, grain_px), cells


def _whole_cells(rng, cells, fraction, grain_px):
    """Cells that transform wholly, until their area is nearest ``fraction``: each scores by a
    smooth field over a few grain sizes (clusters and bands) plus its own draw."""
    if fraction <= 0 or fraction >= 1:
        return np.full(cells.shape, fraction >= 1)
    n = int(cells.max()) + 1
    index = np.arange(n)
    cluster = ndimage.mean(_smooth_field(rng, cells.shape, 3 * grain_px), cells, index)
    order = np.argsort(-(cluster + GRAIN_OWN_DRAW * rng.standard_normal(n)))
    covered = np.cumsum(np.bincount(cells.ravel(), minlength=n)[order]) / cells.size
    count = int(np.argmin(np.abs(covered - fraction))) + 1
    transforms = np.zeros(n, bool)
    transforms[order[:count]] = True
    return transforms[cells]


PEARLITE_MORPHOLOGIES = {
    "network": _pearlite_network,
    "islands": _pearlite_islands,
    "films": _pearlite_films,
    "grains": _pearlite_grains,
    "colonies": _pearlite_colonies,
}


def _boundaries(labels: np.ndarray) -> np.ndarray:
    """Pixels whose right or lower neighbour lies in another grain."""
    edge = np.zeros(labels.shape, bool)
    edge[:, :-1] |= labels[:, :-1] != labels[:, 1:]
    edge[:-1, :] |= labels[:-1, :] != labels[1:, :]
    return edge
