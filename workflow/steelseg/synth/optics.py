"""How a sample looks under the microscope: its heat-treatment condition, its etch and light, and
the rendering of one micrograph from its phases (Beer-Lambert colour, lamellae and mottle,
Nital grooves, blur, supersampling, vignetting, noise)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from ..settings import REFERENCE_GRAIN_PX, supersample_factor
from .morphology import (
    FERRITE,
    PEARLITE,
    PEARLITE_MORPHOLOGIES,
    _boundaries,
    _grains,
    _smooth_field,
)

OVERVIEW_PSF_PX = (0.5, 0.9)  # supersample: the objective's blur, sigma in output pixels
COLONY_DENSITY = (0.3, 0.75)  # range of the colonies' base optical density (uniform draw)
INTERFACE_DEPTH = 0.5  # density of the ferrite-pearlite line (a groove: 2.5 x its width in px)
COLONY_MOTTLE = 1.0  # gain on the colonies' mottle (1: the default data)


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
    the image's own pixels.
    """
    look = image_look(rng, look)
    magnification = grain_px / REFERENCE_GRAIN_PX
    k = supersample_factor(grain_px, supersample)
    out_shape = (height, width)
    if k > 1:
        height, width, grain_px, magnification = (
            k * height,
            k * width,
            k * grain_px,
            k * magnification,
        )
    grain_px = grain_px * condition.grain_scale
    grains, seed_distance = _grains(rng, height, width, grain_px)
    place_pearlite = PEARLITE_MORPHOLOGIES[morphology]
    truth, c = place_pearlite(rng, grains, seed_distance, pearlite_fraction, grain_px)
    truth = truth.astype(np.uint8)
    tone = (colony_density, colony_darkness, colony_mottle)
    density = _optical_density(rng, grains, truth, c, condition, magnification, tone)
    density += _grooves(rng, grains, truth, magnification, subpixel_grooves, interface_depth)
    reflectance = _reflectance(rng, density, look, magnification)
    if k > 1:
        reflectance, truth, grains = _pixel_average(rng, reflectance, truth, grains, k, out_shape)
    return _exposed(rng, reflectance, look), truth, grains


def _optical_density(rng, grains, truth, colony_of, condition, magnification, tone):
    """Each pixel's optical density before the grooves: ferrite nearly unetched, each grain a
    slightly different tone (orientation contrast); pearlite colonies (one per grain or corner
    they occupy) a base density, cementite lamellae at a random angle, spacing and phase per
    colony, and a blotchy mottle where the optics cannot resolve the lamellae (fine or steeply
    cut colonies), as at low magnification. ``tone``: colony_density, colony_darkness and
    colony_mottle (``micrograph``)."""
    colony_density, colony_darkness, colony_mottle = tone
    c, (height, width) = colony_of, grains.shape
    n, m = int(grains.max()) + 1, int(c.max()) + 1  # grains, colonies (network: one per grain)
    density = rng.uniform(0.0, 0.08, n)[grains].astype(np.float32)
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
    return np.where(truth == PEARLITE, colony, density)


def _grooves(rng, grains, truth, magnification, subpixel_grooves, interface_depth):
    """Nital attacks grain boundaries: dark grooves between ferrite grains (still ferrite) and
    a fainter line where ferrite meets pearlite. Width and depth vary from image to image."""
    ferrite = truth == FERRITE
    edges = _boundaries(grains) & (ferrite | np.roll(ferrite, -1, 1) | np.roll(ferrite, -1, 0))
    interface = ferrite != ndimage.binary_erosion(ferrite, border_value=1)
    groove_px = rng.uniform(0.5, 1.2) * min(1.0, magnification)
    width_px = max(0.3, groove_px)  # drawn no narrower than 0.3 px
    depth = groove_px if subpixel_grooves else width_px  # same optical density per unit length
    groove = ndimage.gaussian_filter(edges.astype(np.float32), width_px) * (2.5 * depth)
    groove += interface_depth * ndimage.gaussian_filter(interface.astype(np.float32), width_px)
    return np.clip(groove, 0, 1) * rng.uniform(0.9, 1.5)


def _reflectance(rng, density, look: Look, magnification: float) -> np.ndarray:
    """Beer-Lambert reflectance per channel, blurred by the objective."""
    reflectance = np.exp(-(look.etch * density)[..., None] * look.absorbance)
    return ndimage.gaussian_filter(
        reflectance.astype(np.float32),
        (max(0.3, rng.uniform(0.6, 1.4) * min(1.0, magnification)),) * 2 + (0,),
    )


def _pixel_average(rng, reflectance, truth, grains, k: int, out_shape: tuple[int, int]):
    """A supersampled scene at the camera's pixels: k x k blocks averaged (the mask: each
    block's majority), then the objective's point spread of about a pixel."""
    height, width = out_shape
    reflectance = reflectance.reshape(height, k, width, k, 3).mean((1, 3))
    reflectance = ndimage.gaussian_filter(reflectance, (rng.uniform(*OVERVIEW_PSF_PX),) * 2 + (0,))
    truth = (truth.reshape(height, k, width, k).mean((1, 3)) >= 0.5).astype(np.uint8)
    return reflectance, truth, grains[k // 2 :: k, k // 2 :: k]


def _exposed(rng, reflectance: np.ndarray, look: Look) -> np.ndarray:
    """The camera's image: vignetting and slow illumination drift, then sensor noise."""
    height, width = reflectance.shape[:2]
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    r2 = ((yy - height / 2) / height) ** 2 + ((xx - width / 2) / width) ** 2
    light = 1.0 - 0.35 * r2 + 0.03 * _smooth_field(rng, (height, width), max(height, width) / 4)
    rgb = reflectance * (light[..., None] * look.light)
    rgb += rng.normal(0, rng.uniform(0.01, 0.03), rgb.shape)
    return np.clip(np.round(rgb * 255), 0, 255).astype(np.uint8)
