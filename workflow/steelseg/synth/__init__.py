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

from ..settings import REFERENCE_GRAIN_PX, SUPERSAMPLE_MAX, supersample_factor
from .generate import generate, lever_rule_pearlite_fraction
from .morphology import CLASS_NAMES, FERRITE, PEARLITE, PEARLITE_MORPHOLOGIES
from .optics import (
    ANNEALED,
    COLONY_DENSITY,
    COLONY_MOTTLE,
    ILLUMINATIONS,
    INTERFACE_DEPTH,
    LOOKS,
    NORMALISED,
    Condition,
    Look,
    image_look,
    micrograph,
    own_look,
    sample_conditions,
    sample_look,
)
from .scribbles import scribbles

__all__ = [
    "ANNEALED",
    "CLASS_NAMES",
    "COLONY_DENSITY",
    "COLONY_MOTTLE",
    "FERRITE",
    "ILLUMINATIONS",
    "INTERFACE_DEPTH",
    "LOOKS",
    "NORMALISED",
    "PEARLITE",
    "PEARLITE_MORPHOLOGIES",
    "REFERENCE_GRAIN_PX",
    "SUPERSAMPLE_MAX",
    "Condition",
    "Look",
    "generate",
    "image_look",
    "lever_rule_pearlite_fraction",
    "micrograph",
    "own_look",
    "sample_conditions",
    "sample_look",
    "scribbles",
    "supersample_factor",
]
