"""Synthetic light-optical micrographs of Nital-etched ferrite–pearlite steel with exact masks.

The paper's images are not public, so this is the embedded default data set. Each image is built
from the physics of a hypoeutectoid plain carbon steel rather than from noise:

* grains: a Voronoi tessellation of Poisson seeds at a set mean grain size, with a smooth domain
  warp so boundaries curve like real ones;
* phases: pearlite area fraction from the carbon content by the lever rule at the eutectoid,
  f_p = (C - 0.022) / (0.77 - 0.022); pearlite fills grain corners and edges, clustered along a
  smooth random field as in rolled steel ("network"), separate colonies at grain corners
  ("islands", what low-carbon steels show), films along grain edges ("films"), whole grains
  ("grains", the angular patches of near-eutectoid steels) or whole cells of a finer second
  tessellation ("colonies", patches smaller than a grain); one morphology or one per sample;
* contrast: ferrite light with thin dark Nital-etched grain boundaries (labelled ferrite);
  pearlite colonies dark with cementite lamellae of random orientation per colony, spaced a few
  pixels apart and only partly resolved;
* optics: Gaussian blur, uneven (vignetted) illumination, a per-sample colour cast, noise.

Samples imitate the paper's three: two annealed, one normalised (finer grains, finer lamellae).
Sparse annotations imitate a person's scribbles in Trainable Weka on two images per sample:
short strokes inside grains of each phase plus strokes along ferrite grain boundaries.
"""

from __future__ import annotations

import contextlib
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree
from skimage.draw import line as draw_line
from skimage.morphology import disk
from tqdm import tqdm

from . import io, quantify
from .dataset import write_sheet
from .errors import SteelsegError
from .quantify import EUTECTOID_C, FERRITE_C

FERRITE, PEARLITE = 0, 1
CLASS_NAMES = ("ferrite", "pearlite")


def lever_rule_pearlite_fraction(carbon: float) -> float:
    """Pearlite area fraction of a slowly cooled hypoeutectoid steel with ``carbon`` wt% C."""
    if not FERRITE_C <= carbon <= EUTECTOID_C:
        raise SteelsegError(
            f"--carbon {carbon}: outside {FERRITE_C}..{EUTECTOID_C} wt% C, where a hypoeutectoid "
            "ferrite–pearlite steel exists; choose a carbon content in that range"
        )
    return quantify.lever_rule_pearlite_fraction(carbon)


REFERENCE_GRAIN_PX = 60.0  # annealed grain size at the magnification the spacings refer to
ISLAND_SPACING = 0.6  # islands: least distance between colony-bearing corners, in grain sizes
SUPERSAMPLE_MAX = 4  # supersample: at most 4 x 4 sub-pixels (memory grows with k**2)
OVERVIEW_PSF_PX = (0.5, 0.9)  # supersample: the objective's blur, sigma in output pixels
COLONY_DENSITY = (0.3, 0.75)  # range of the colonies' base optical density (uniform draw)
INTERFACE_DEPTH = 0.5  # density of the ferrite-pearlite line (a groove: 2.5 x its width in px)
COLONY_MOTTLE = 1.0  # gain on the colonies' mottle (1: the default data)


def supersample_factor(grain_px: float, supersample: bool) -> int:
    """Sub-pixels per image pixel along each side for ``micrograph(supersample=...)``: k =
    round(1 / magnification), at most SUPERSAMPLE_MAX; 1 (none) from 2/3 of the reference
    magnification up. The workflow's synth_mem_mb (rules/common.smk) sizes the job's
    memory by the same rule (tests/test_workflow.py holds the two together)."""
    if not supersample:
        return 1
    return max(1, min(SUPERSAMPLE_MAX, round(1 / (grain_px / REFERENCE_GRAIN_PX))))


@dataclass(frozen=True)
class Condition:
    """Heat-treatment condition of one sample: sets the scale of its constituents."""

    name: str
    grain_scale: float  # multiplies the mean grain size
    lamella_spacing_px: float  # mean interlamellar spacing as imaged at REFERENCE_GRAIN_PX


ANNEALED = Condition("annealed", grain_scale=1.0, lamella_spacing_px=5.0)
NORMALISED = Condition("normalised", grain_scale=0.6, lamella_spacing_px=3.5)


def sample_conditions(n_samples: int) -> list[Condition]:
    """The paper's pattern: annealed samples, the last one normalised (if there are ≥ 2)."""
    return [
        NORMALISED if (i == n_samples - 1 and n_samples > 1) else ANNEALED for i in range(n_samples)
    ]


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


@dataclass(frozen=True)
class Look:
    """How one sample was etched and imaged (set per sample: one polish, etch and microscope).

    Reflectance follows a Beer–Lambert-like law, R_c = exp(-OD * k_c): ferrite is nearly
    unetched (OD ~ 0), Nital darkens pearlite and grain boundaries. The etched surface absorbs
    green most, so dark features turn purple-brown under any illumination, as real Nital LOM
    micrographs show (k measured on the SAE 1020/1045 crops in shared/data: about 1 : 1.4 :
    0.8-1.15 for R : G : B). Pearlite colonies span optical densities of about 0.2-0.9
    (median ~0.5), as the luminance distributions of the same crops show: the median pearlite
    pixel at 0.5 (SAE 1020, dark etch) to 0.65 (SAE 1045) of the ferrite's brightness.
    """

    light: np.ndarray  # RGB of unetched ferrite under this illumination, 0..1
    absorbance: np.ndarray  # k_c, R : G : B
    etch: float  # scales every optical density: light etch -> light-brown pearlite
    illumination: str = ""  # "cool" or "warm": which light ``light`` was drawn around


ILLUMINATIONS = ("cool", "warm")


def sample_look(rng: np.random.Generator, illumination: str | None = None) -> Look:
    """A random, realistic etch and illumination: cool (blue-violet) or warm (beige) light, a
    coin toss unless ``illumination`` names it (the toss is drawn either way)."""
    cool = rng.random() < 0.5
    if illumination is not None:
        cool = illumination == "cool"
    if cool:  # tungsten light through a daylight filter, violet-blue
        light = np.array([0.79, 0.83, 1.0]) + rng.normal(0, 0.03, 3)
    else:  # plain tungsten, beige-pink
        light = np.array([1.0, 0.94, 0.91]) + rng.normal(0, 0.03, 3)
    light = np.clip(light, 0.6, 1.0) * rng.uniform(0.82, 0.95)
    absorbance = np.array([1.0, rng.uniform(1.25, 1.55), rng.uniform(0.75, 1.2)])
    etch = float(rng.uniform(0.7, 1.2))
    return Look(light, absorbance, etch, "cool" if cool else "warm")


LOOKS = ("sample", "image")  # generate(look=...): one etch and light per sample, or per image
_LOOK_STREAM = 0x100C  # spawn-key suffix of an image's own look draws (no spawned child's)


def own_look(image_seed: np.random.SeedSequence, illumination: str) -> Look:
    """An image's own etch under ``illumination``, from a stream beside its image's: the
    image's structure (grains, colonies, scribbles) stays the one its seed draws under any
    look."""
    key = (*image_seed.spawn_key, _LOOK_STREAM)
    stream = np.random.SeedSequence(image_seed.entropy, spawn_key=key)
    return sample_look(np.random.default_rng(stream), illumination)


def image_look(rng: np.random.Generator, sample: Look) -> Look:
    """One image's look around its sample's: exposure and white balance drift from field to
    field, and the etch is not equally deep all over a specimen."""
    exposure = rng.uniform(0.9, 1.1) * rng.uniform(0.95, 1.05, 3)
    return Look(
        light=np.clip(sample.light * exposure, 0.4, 1.0),
        absorbance=sample.absorbance * rng.uniform(0.95, 1.05, 3),
        etch=sample.etch * float(rng.uniform(0.85, 1.15)),
        illumination=sample.illumination,
    )


def micrograph(
    rng: np.random.Generator,
    height: int,
    width: int,
    pearlite_fraction: float,
    grain_px: float,
    condition: Condition,
    look: Look,
    morphology: str = "network",
    subpixel_grooves: bool = False,
    colony_darkness: float = 1.0,
    supersample: bool = False,
    colony_density: tuple[float, float] = COLONY_DENSITY,
    interface_depth: float = INTERFACE_DEPTH,
    colony_mottle: float = COLONY_MOTTLE,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One RGB uint8 micrograph, its exact mask (0 ferrite, 1 pearlite) and its grain labels.

    ``grain_px`` (the annealed grain size in pixels) sets the magnification. Below the
    reference the image is rendered as a detail view reduced in size (an overview, or a
    micrograph resampled for publication): grains, lamellae, grooves and blur all shrink, so
    boundaries become thin crisp lines and pearlite colonies unresolved mottled patches.
    ``morphology``: "network" (pearlite along grain edges, clustered; whole grains transform),
    "islands" (separate colonies at grain corners), "films" (thin films along grain edges),
    "grains" (whole grains, angular patches) or "colonies" (whole cells of a second
    tessellation at COLONY_CELL of the grain size). ``subpixel_grooves``: a grain-boundary
    groove narrower than a pixel darkens in proportion to its width instead of being drawn as
    dark as a 0.3 px line (at overview magnification grooves then stay lighter than colonies).
    ``colony_darkness`` multiplies every colony's optical density (1: densities as measured on
    the SAE 1045 crops; the SAE 1020 crops' colonies are darker) and changes nothing else.
    ``colony_density``: the range (low, high) each colony's base optical density is drawn from
    uniformly; a lower ``low`` adds light, low-contrast colonies (a light etch, or colonies cut
    so that little cementite shows) and changes nothing else, the random draws included.
    ``interface_depth``: optical density of the etched line where ferrite meets pearlite
    (drawn as wide as the image's grooves, before their random strength); 0 draws none, so a
    pearlite film is no wider in the image than in its mask; nothing else changes.
    ``colony_mottle``: multiplies the amplitude of the colonies' blotchy mottle (drawn as 0.15-0.45
    of a colony's density, 2-5 px at the reference magnification). Real overviews show their
    light pixels blotchy and a pixel or two from dark ones; the default data's supersampled
    overviews show them smooth and apart, and a gain of 2-3 gives the real crops' local contrast.
    Only the colonies' tone changes (and, through the blur, the pixels beside
    them), the random draws included.
    ``supersample``: below the reference magnification, render the scene at k = round(1 /
    magnification) times the size (2 ≤ k ≤ SUPERSAMPLE_MAX from grain_px ≤ 40) and average
    k x k blocks, as a camera pixel integrates the light over its area; then blur by the
    objective's point spread, which stays about a pixel at low magnification (a lower-NA
    objective). Lamellae finer than a pixel then average into a smooth colony tone instead of
    aliasing into pixel noise; the mask is each block's majority. Off: the scene is drawn at
    the image's own pixels (the default data as they were).
    """
    look = image_look(rng, look)
    magnification = grain_px / REFERENCE_GRAIN_PX
    k = supersample_factor(grain_px, supersample)
    if k > 1:
        out_height, out_width = height, width
        height, width, grain_px, magnification = (
            k * height,
            k * width,
            k * grain_px,
            k * magnification,
        )
    grain_px = grain_px * condition.grain_scale
    grains, seed_distance = _grains(rng, height, width, grain_px)
    n = int(grains.max()) + 1
    place_pearlite = PEARLITE_MORPHOLOGIES[morphology]
    truth, c = place_pearlite(rng, grains, seed_distance, pearlite_fraction, grain_px)
    truth = truth.astype(np.uint8)
    g = grains
    m = int(c.max()) + 1  # colonies (network: one per grain)

    # Ferrite: nearly unetched, each grain a slightly different tone (orientation contrast).
    density = rng.uniform(0.0, 0.08, n)[g].astype(np.float32)
    # Pearlite colonies (one per grain or corner they occupy): a base density, cementite
    # lamellae at a random angle, spacing and phase per colony, and a blotchy mottle where the
    # optics cannot resolve the lamellae (fine or steeply cut colonies), as at low magnification.
    angle = rng.uniform(0, np.pi, m)
    spacing = np.maximum(condition.lamella_spacing_px * magnification * rng.uniform(0.6, 1.5, m), 1)
    phase = rng.uniform(0, 2 * np.pi, m)
    base = rng.uniform(*colony_density, m) * colony_darkness  # after the draw: same stream
    lamellae = rng.uniform(0.0, 0.35, m)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    wave = np.cos(
        2 * np.pi * (xx * np.cos(angle)[c] + yy * np.sin(angle)[c]) / spacing[c] + phase[c]
    )
    mottle = _smooth_field(rng, (height, width), max(1.0, rng.uniform(2.0, 5.0) * magnification))
    modulation = 1 + lamellae[c] * wave + rng.uniform(0.15, 0.45) * colony_mottle * mottle
    # Ferrite lamellae between the cementite lighten a colony, at most to unetched ferrite.
    colony = base[c] * np.clip(modulation, 0.0, None)
    density = np.where(truth == PEARLITE, colony, density)

    # Nital attacks grain boundaries: dark grooves between ferrite grains (still ferrite) and
    # a fainter line where ferrite meets pearlite. Width and depth vary from image to image.
    ferrite = truth == FERRITE
    edges = _boundaries(grains) & (ferrite | np.roll(ferrite, -1, 1) | np.roll(ferrite, -1, 0))
    interface = ferrite != ndimage.binary_erosion(ferrite, border_value=1)
    groove_px = rng.uniform(0.5, 1.2) * min(1.0, magnification)
    width_px = max(0.3, groove_px)  # drawn no narrower than 0.3 px
    depth = groove_px if subpixel_grooves else width_px  # same optical density per unit length
    groove = ndimage.gaussian_filter(edges.astype(np.float32), width_px) * (2.5 * depth)
    groove += interface_depth * ndimage.gaussian_filter(interface.astype(np.float32), width_px)
    density += np.clip(groove, 0, 1) * rng.uniform(0.9, 1.5)

    # Optics: reflectance, blur, vignetting and slow illumination drift, then sensor noise.
    reflectance = np.exp(-(look.etch * density)[..., None] * look.absorbance)
    reflectance = ndimage.gaussian_filter(
        reflectance.astype(np.float32),
        (max(0.3, rng.uniform(0.6, 1.4) * min(1.0, magnification)),) * 2 + (0,),
    )
    if k > 1:
        height, width = out_height, out_width
        reflectance = reflectance.reshape(height, k, width, k, 3).mean((1, 3))
        reflectance = ndimage.gaussian_filter(
            reflectance, (rng.uniform(*OVERVIEW_PSF_PX),) * 2 + (0,)
        )
        truth = (truth.reshape(height, k, width, k).mean((1, 3)) >= 0.5).astype(np.uint8)
        grains = grains[k // 2 :: k, k // 2 :: k]
        yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    r2 = ((yy - height / 2) / height) ** 2 + ((xx - width / 2) / width) ** 2
    light = 1.0 - 0.35 * r2 + 0.03 * _smooth_field(rng, (height, width), max(height, width) / 4)
    rgb = reflectance * (light[..., None] * look.light)
    rgb += rng.normal(0, rng.uniform(0.01, 0.03), rgb.shape)
    image = np.clip(np.round(rgb * 255), 0, 255).astype(np.uint8)
    return image, truth, grains


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


def per_sample(values: float | list, n_samples: int, option: str) -> list:
    """One value for all samples, or one value per sample (``option`` names the setting)."""
    values = values if isinstance(values, list) else [values]
    if len(values) == 1:
        return values * n_samples
    if len(values) != n_samples:
        raise SteelsegError(
            f"{option} {','.join(map(str, values))}: give one value or {n_samples} (one per sample)"
        )
    return list(values)


def generate(
    out: str | Path,
    samples: int = 3,
    images_per_sample: list[int] | None = None,
    annotated_per_sample: int = 2,
    width: int = 2080,
    height: int = 1542,
    carbon: float | list[float] = 0.45,
    grain_size_px: float | list[float] = 60.0,
    seed: int = 0,
    pearlite: str | list[str] = "network",
    subpixel_grooves: bool = False,
    colony_darkness: float = 1.0,
    supersample: bool = False,
    colony_density: tuple[float, float] = COLONY_DENSITY,
    interface_depth: float = INTERFACE_DEPTH,
    look: str = "sample",
    colony_mottle: float = COLONY_MOTTLE,
    workers: int = 1,
) -> list[dict[str, object]]:
    """Write a complete data set folder (images/, annotations/, truth/, samples.tsv) to ``out``.

    ``carbon`` and ``grain_size_px``: one value for every sample, or one per sample (a spread
    of carbon contents gives pearlite islands in ferrite as well as a pearlite matrix).
    ``pearlite``, ``subpixel_grooves``, ``colony_darkness``, ``supersample``,
    ``colony_density``, ``interface_depth`` and ``colony_mottle``: see
    ``micrograph`` (``pearlite`` is its ``morphology``: one for every sample, or one per
    sample, e.g. whole grains for C45E samples and films for a C22E one).
    ``look``: "sample" (one etch and illumination per sample, as one specimen is etched once
    and shot under one microscope) or "image" (each image its own etch and light, the lights
    alternating cool and warm within a sample from the sample's own: every sample of two or
    more images is shot under both, so that no sample property, such as its carbon content or
    magnification, comes with one light, as a coin toss per image can leave all of a
    sample's images warm). Each image's structure is the same under both.
    samples.tsv names each image's light.
    Deterministic for a given seed: each image draws from its own child generator, so the
    n-th image is the same whatever the number of images after it, and ``workers`` processes
    (one image each at a time) write the same files as one.
    """
    carbons = per_sample(carbon, samples, "--carbon")
    fractions = [lever_rule_pearlite_fraction(c) for c in carbons]
    counts = per_sample(images_per_sample or [12, 11, 11], samples, "--images-per-sample")
    grain_sizes = per_sample(grain_size_px, samples, "--grain-size")
    if samples < 1 or min(counts) < 1:
        raise SteelsegError("--samples and --images-per-sample must be at least 1")
    if not 0 <= annotated_per_sample <= min(counts):
        raise SteelsegError(
            f"--annotated-per-sample {annotated_per_sample}: must be between 0 and the smallest "
            f"number of images in a sample ({min(counts)})"
        )
    morphologies = per_sample(pearlite, samples, "--pearlite")
    for morphology in morphologies:
        if morphology not in PEARLITE_MORPHOLOGIES:
            raise SteelsegError(
                f"--pearlite {morphology}: unknown morphology; choose one of "
                f"{', '.join(PEARLITE_MORPHOLOGIES)} (or one per sample, comma-separated)"
            )
    if min(width, height) < 32 or min(grain_sizes) < 4:
        raise SteelsegError("--width/--height must be ≥ 32 px and --grain-size ≥ 4 px")
    if not colony_darkness > 0:
        raise SteelsegError(
            f"--colony-darkness {colony_darkness}: must be above 0 (1 = the measured densities)"
        )
    if len(colony_density) != 2 or not 0 <= colony_density[0] < colony_density[1]:
        raise SteelsegError(
            f"--colony-density {','.join(map(str, colony_density))}: give two optical "
            "densities LOW,HIGH with 0 ≤ LOW < HIGH "
            f"(default {COLONY_DENSITY[0]},{COLONY_DENSITY[1]})"
        )
    if not interface_depth >= 0:
        raise SteelsegError(
            f"--interface-depth {interface_depth}: must be at least 0 "
            f"(0: no line where ferrite meets pearlite; default {INTERFACE_DEPTH})"
        )
    if not colony_mottle >= 0:
        raise SteelsegError(
            f"--colony-mottle {colony_mottle}: must be at least 0 "
            f"(0: smooth colonies; default {COLONY_MOTTLE})"
        )
    if workers < 1:
        raise SteelsegError(f"--workers {workers}: must be at least 1")
    if look not in LOOKS:
        raise SteelsegError(f"--look {look}: unknown; choose one of {', '.join(LOOKS)}")
    root = np.random.SeedSequence(seed)
    sample_seeds = root.spawn(samples)
    scene = {
        "height": height,
        "width": width,
        "subpixel_grooves": subpixel_grooves,
        "colony_darkness": colony_darkness,
        "supersample": supersample,
        "colony_density": tuple(colony_density),
        "interface_depth": interface_depth,
        "colony_mottle": colony_mottle,
    }
    jobs: list[_ImageJob] = []
    for s, (condition, count, grain_px, c, fraction, morphology, sseed) in enumerate(
        zip(
            sample_conditions(samples),
            counts,
            grain_sizes,
            carbons,
            fractions,
            morphologies,
            sample_seeds,
            strict=True,
        )
    ):
        sample = f"S{s + 1}"
        specimen = sample_look(np.random.default_rng(sseed))
        for i, iseed in enumerate(sseed.spawn(count)):
            lighting = specimen
            if look == "image":  # alternate, starting from the sample's light
                first = ILLUMINATIONS.index(specimen.illumination)
                lighting = own_look(iseed, ILLUMINATIONS[(first + i) % 2])
            jobs.append(
                _ImageJob(
                    name=f"{sample}_{condition.name}_{i + 1:02d}",
                    sample=sample,
                    condition=condition,
                    seed=iseed,
                    lighting=lighting,
                    carbon=c,
                    fraction=fraction,
                    grain_px=grain_px,
                    morphology=morphology,
                    annotate=i < annotated_per_sample,
                )
            )
    with io.atomic_dir(out) as tmp:
        for folder in ("images", "annotations", "truth"):
            (tmp / folder).mkdir()
        render = partial(_render_image, folder=tmp, scene=scene)
        # Each image draws from its own child generator: the files are the same whatever the
        # number of processes (tested), only sooner. forkserver: no fork of a process that may
        # run threads (tqdm's monitor).
        pool = None
        if workers > 1:
            context = multiprocessing.get_context("forkserver")
            pool = ProcessPoolExecutor(min(workers, len(jobs)), mp_context=context)
        with pool or contextlib.nullcontext():
            mapped = pool.map(render, jobs) if pool else map(render, jobs)
            rows = list(tqdm(mapped, total=len(jobs), desc="synth", unit="image"))
        write_sheet(tmp / "samples.tsv", rows)
    return rows


@dataclass(frozen=True)
class _ImageJob:
    """Everything one image of ``generate`` needs, so that a worker process can render it."""

    name: str
    sample: str
    condition: Condition
    seed: np.random.SeedSequence
    lighting: Look
    carbon: float
    fraction: float
    grain_px: float
    morphology: str
    annotate: bool


def _render_image(job: _ImageJob, folder: Path, scene: dict) -> dict[str, object]:
    """Render one image, its truth and (on annotated images) its scribbles; its samples.tsv row.
    ``scene``: ``micrograph``'s keyword options that every image shares."""
    rng = np.random.default_rng(job.seed)
    image, truth, grains = micrograph(
        rng,
        pearlite_fraction=job.fraction,
        grain_px=job.grain_px,
        condition=job.condition,
        look=job.lighting,
        morphology=job.morphology,
        **scene,
    )
    io.write_png(folder / "images" / f"{job.name}.png", image)
    io.write_png(folder / "truth" / f"{job.name}.png", truth)
    if job.annotate:
        io.write_png(folder / "annotations" / f"{job.name}.png", scribbles(rng, truth, grains))
    return {
        "image": job.name,
        "sample": job.sample,
        "condition": job.condition.name,
        "grain_size_px": round(job.grain_px * job.condition.grain_scale, 1),
        "carbon_wt_pct": job.carbon,
        "pearlite_fraction_target": round(job.fraction, 4),
        "pearlite_fraction": round(float(truth.mean()), 4),
        "illumination": job.lighting.illumination,
    }
