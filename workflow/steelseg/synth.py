"""Synthetic light-optical micrographs of Nital-etched ferrite–pearlite steel with exact masks.

The paper's images are not public, so this is the embedded default data set. Each image is built
from the physics of a hypoeutectoid plain carbon steel rather than from noise:

* grains: a Voronoi tessellation of Poisson seeds at a set mean grain size, with a smooth domain
  warp so boundaries curve like real ones;
* phases: pearlite area fraction from the carbon content by the lever rule at the eutectoid,
  f_p = (C - 0.022) / (0.77 - 0.022); whole grains are made pearlite, chosen along a smooth
  random field so pearlite clusters (and bands) as it does in rolled steel;
* contrast: ferrite light with thin dark Nital-etched grain boundaries (labelled ferrite);
  pearlite colonies dark with cementite lamellae of random orientation per colony, spaced a few
  pixels apart and only partly resolved;
* optics: Gaussian blur, uneven (vignetted) illumination, a per-sample colour cast, noise.

Samples imitate the paper's three: two annealed, one normalised (finer grains, finer lamellae).
Sparse annotations imitate a person's scribbles in Trainable Weka on two images per sample:
short strokes inside grains of each phase plus strokes along ferrite grain boundaries.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree
from skimage.draw import line as draw_line
from skimage.morphology import disk
from tqdm import tqdm

from . import io
from .dataset import write_sheet
from .errors import SteelsegError

FERRITE, PEARLITE = 0, 1
CLASS_NAMES = ("ferrite", "pearlite")
EUTECTOID_C, FERRITE_C = 0.77, 0.022


def lever_rule_pearlite_fraction(carbon: float) -> float:
    """Pearlite area fraction of a slowly cooled hypoeutectoid steel with ``carbon`` wt% C."""
    if not FERRITE_C <= carbon <= EUTECTOID_C:
        raise SteelsegError(
            f"--carbon {carbon}: outside {FERRITE_C}..{EUTECTOID_C} wt% C, where a hypoeutectoid "
            "ferrite–pearlite steel exists; choose a carbon content in that range"
        )
    return (carbon - FERRITE_C) / (EUTECTOID_C - FERRITE_C)


@dataclass(frozen=True)
class Condition:
    """Heat-treatment condition of one sample: sets the scale of its constituents."""

    name: str
    grain_scale: float  # multiplies the mean grain size
    lamella_spacing_px: float  # mean interlamellar spacing as imaged


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
    """Label map of a warped Voronoi tessellation with mean grain area grain_px**2."""
    pad = 2 * grain_px
    area = (height + 2 * pad) * (width + 2 * pad)
    n_seeds = max(4, rng.poisson(area / grain_px**2))
    seeds = rng.uniform((-pad, -pad), (height + pad, width + pad), size=(n_seeds, 2))
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    warp = 0.18 * grain_px
    yy += warp * _smooth_field(rng, (height, width), grain_px).astype(np.float32)
    xx += warp * _smooth_field(rng, (height, width), grain_px).astype(np.float32)
    _, labels = cKDTree(seeds).query(np.stack([yy.ravel(), xx.ravel()], 1), workers=-1)
    _, labels = np.unique(labels, return_inverse=True)  # dense 0..n-1 over visible grains
    return labels.reshape(height, width).astype(np.int32)


def _choose_pearlite(rng, grains, fraction, grain_px):
    """Boolean per grain: pearlite grains chosen along a smooth field to hit ``fraction``."""
    n = int(grains.max()) + 1
    areas = np.bincount(grains.ravel(), minlength=n)
    field = _smooth_field(rng, grains.shape, 4 * grain_px)
    score = ndimage.mean(field, grains, index=np.arange(n)) + 0.6 * rng.standard_normal(n)
    order = np.argsort(-score)
    cumulative = np.cumsum(areas[order])
    cut = int(np.argmin(np.abs(cumulative - fraction * grains.size))) + 1
    if fraction <= 0:
        cut = 0
    chosen = np.zeros(n, bool)
    chosen[order[:cut]] = True
    return chosen


def _boundaries(labels: np.ndarray) -> np.ndarray:
    """Pixels whose right or lower neighbour lies in another grain."""
    edge = np.zeros(labels.shape, bool)
    edge[:, :-1] |= labels[:, :-1] != labels[:, 1:]
    edge[:-1, :] |= labels[:-1, :] != labels[1:, :]
    return edge


def _colour_cast(rng) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample RGB tints of ferrite and pearlite: bluish-violet or brownish, as in real LOM."""
    if rng.random() < 0.5:  # cool (blue-violet) illumination
        ferrite = np.array([0.86, 0.87, 1.0]) + rng.normal(0, 0.02, 3)
        pearlite = np.array([0.80, 0.72, 0.92]) + rng.normal(0, 0.03, 3)
    else:  # warm (brownish) illumination
        ferrite = np.array([1.0, 0.93, 0.90]) + rng.normal(0, 0.02, 3)
        pearlite = np.array([0.92, 0.78, 0.70]) + rng.normal(0, 0.03, 3)
    return np.clip(ferrite, 0.7, 1.0), np.clip(pearlite, 0.55, 1.0)


def micrograph(
    rng: np.random.Generator,
    height: int,
    width: int,
    pearlite_fraction: float,
    grain_px: float,
    condition: Condition,
    tints: tuple[np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One RGB uint8 micrograph, its exact mask (0 ferrite, 1 pearlite) and its grain labels."""
    grain_px = grain_px * condition.grain_scale
    grains = _grains(rng, height, width, grain_px)
    n = int(grains.max()) + 1
    is_pearlite = _choose_pearlite(rng, grains, pearlite_fraction, grain_px)
    truth = is_pearlite[grains].astype(np.uint8)

    # Ferrite: light, each grain a slightly different grey (orientation contrast of the etch).
    tone = 0.86 + rng.normal(0, 0.025, n)
    # Pearlite colonies: lamellae at a random angle, spacing and phase per colony; colonies cut
    # steeply look darker and coarser, so darkness and contrast vary per colony too.
    angle = rng.uniform(0, np.pi, n)
    spacing = condition.lamella_spacing_px * rng.uniform(0.75, 1.4, n)
    phase = rng.uniform(0, 2 * np.pi, n)
    dark = rng.uniform(0.30, 0.50, n)
    contrast = rng.uniform(0.08, 0.22, n)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    g = grains
    wave = np.cos(
        2 * np.pi * (xx * np.cos(angle)[g] + yy * np.sin(angle)[g]) / spacing[g] + phase[g]
    )
    intensity = np.where(truth == PEARLITE, dark[g] + contrast[g] * wave, tone[g])

    # Nital attacks grain boundaries: thin dark lines around ferrite grains (still ferrite).
    edges = _boundaries(grains) & ((truth == FERRITE) | np.roll(truth == FERRITE, -1, 1))
    groove = ndimage.gaussian_filter(edges.astype(np.float32), 0.7)
    intensity = intensity * (1 - np.clip(groove * 2.2, 0, 0.6))

    # Optics: blur, vignetting + slow illumination drift, colour cast, then sensor noise.
    intensity = ndimage.gaussian_filter(intensity.astype(np.float32), 1.0)
    r2 = ((yy - height / 2) / height) ** 2 + ((xx - width / 2) / width) ** 2
    light = 1.0 - 0.35 * r2 + 0.03 * _smooth_field(rng, (height, width), max(height, width) / 4)
    phase_mix = ndimage.gaussian_filter(truth.astype(np.float32), 1.5)[..., None]
    tint = (1 - phase_mix) * tints[0] + phase_mix * tints[1]
    rgb = intensity[..., None] * light[..., None] * tint
    rgb += rng.normal(0, 0.018, rgb.shape)
    image = np.clip(np.round(rgb * 255), 0, 255).astype(np.uint8)
    return image, truth, grains


def scribbles(rng: np.random.Generator, truth: np.ndarray, grains: np.ndarray) -> np.ndarray:
    """Sparse annotation as a person draws it: 0 unlabelled, k+1 for class k.

    Strokes stay inside one grain, a few pixels from its edge; extra ferrite strokes follow
    ferrite grain boundaries, because a Weka user must teach the classifier that those dark
    lines are ferrite, not pearlite.
    """
    height, width = truth.shape
    annotation = np.zeros(truth.shape, np.uint8)
    strokes = max(12, int(height * width / 60_000))
    brush = disk(1)
    for k in (FERRITE, PEARLITE):
        interior = ndimage.binary_erosion(truth == k, disk(4))
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
            stroke &= interior[box] & (grains[box] == grains[y0, x0])
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


def split_counts(total_or_list: list[int], n_samples: int) -> list[int]:
    """Images per sample: one number for all samples, or one number per sample."""
    if len(total_or_list) == 1:
        return total_or_list * n_samples
    if len(total_or_list) != n_samples:
        raise SteelsegError(
            f"--images-per-sample {','.join(map(str, total_or_list))}: give one number or "
            f"{n_samples} (one per sample)"
        )
    return list(total_or_list)


def generate(
    out: str | Path,
    samples: int = 3,
    images_per_sample: list[int] | None = None,
    annotated_per_sample: int = 2,
    width: int = 2080,
    height: int = 1542,
    carbon: float = 0.45,
    grain_size_px: float = 60.0,
    seed: int = 0,
) -> list[dict[str, object]]:
    """Write a complete data set folder (images/, annotations/, truth/, samples.tsv) to ``out``.

    Deterministic for a given seed: each image draws from its own child generator, so the
    n-th image is the same whatever the number of images after it.
    """
    fraction = lever_rule_pearlite_fraction(carbon)
    counts = split_counts(images_per_sample or [12, 11, 11], samples)
    if samples < 1 or min(counts) < 1:
        raise SteelsegError("--samples and --images-per-sample must be at least 1")
    if not 0 <= annotated_per_sample <= min(counts):
        raise SteelsegError(
            f"--annotated-per-sample {annotated_per_sample}: must be between 0 and the smallest "
            f"number of images in a sample ({min(counts)})"
        )
    if min(width, height) < 32 or grain_size_px < 4:
        raise SteelsegError("--width/--height must be ≥ 32 px and --grain-size ≥ 4 px")
    root = np.random.SeedSequence(seed)
    sample_seeds = root.spawn(samples)
    rows: list[dict[str, object]] = []
    with io.atomic_dir(out) as tmp:
        for folder in ("images", "annotations", "truth"):
            (tmp / folder).mkdir()
        progress = tqdm(total=sum(counts), desc="synth", unit="image")
        for s, (condition, count, sseed) in enumerate(
            zip(sample_conditions(samples), counts, sample_seeds, strict=True)
        ):
            sample = f"S{s + 1}"
            sample_rng = np.random.default_rng(sseed)
            tints = _colour_cast(sample_rng)
            for i, iseed in enumerate(sseed.spawn(count)):
                rng = np.random.default_rng(iseed)
                name = f"{sample}_{condition.name}_{i + 1:02d}"
                image, truth, grains = micrograph(
                    rng, height, width, fraction, grain_size_px, condition, tints
                )
                io.write_png(tmp / "images" / f"{name}.png", image)
                io.write_png(tmp / "truth" / f"{name}.png", truth)
                if i < annotated_per_sample:
                    io.write_png(tmp / "annotations" / f"{name}.png", scribbles(rng, truth, grains))
                rows.append(
                    {
                        "image": name,
                        "sample": sample,
                        "condition": condition.name,
                        "carbon_wt_pct": carbon,
                        "pearlite_fraction_target": round(fraction, 4),
                        "pearlite_fraction": round(float(truth.mean()), 4),
                    }
                )
                progress.update()
        progress.close()
        write_sheet(tmp / "samples.tsv", rows)
    return rows
