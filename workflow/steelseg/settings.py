"""Every setting's default, type, choices and meaning, and the checks between settings, in one
place: the schema beside this module (``config.schema.yaml``, which the workflow validates its
config against) and the functions below. The command line's options (``cli.options``) and the
workflow's rules (``workflow/rules/common.smk``) derive from here, so a setting is spelt once.

Standard library and PyYAML only: the Snakefile imports this module too, in an interpreter that
may lack the steps' scientific packages.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from pathlib import Path

import yaml

from .errors import SteelsegError

SCHEMA_PATH = Path(__file__).with_name("config.schema.yaml")
IMAGE_SUFFIXES = (".png", ".tif", ".tiff", ".jpg", ".jpeg")  # the micrograph files read

# A setting's command-line option is --<key> with dashes, except these (kept short, or named
# for what the command does with them).
FLAGS = {
    ("synth", "grain_size_px"): "--grain-size",
    ("synth", "threads"): "--workers",
    ("train", "learning_rate"): "--lr",
    ("predict", "batch_size"): "--batch",
}
# The off switch of a boolean setting is --no-<key>, except these.
OFF_FLAGS = {("synth", "subpixel_grooves"): "--drawn-grooves"}

# Overviews are rendered at k x k sub-pixels per pixel, k = round(1 / magnification), the
# magnification being the grain size over this reference (synth.micrograph's spacings refer to
# it); at most SUPERSAMPLE_MAX (memory grows with k**2).
REFERENCE_GRAIN_PX = 60.0
SUPERSAMPLE_MAX = 4


@functools.cache
def _schema() -> dict:
    return yaml.safe_load(SCHEMA_PATH.read_text(encoding="utf-8"))


def schema() -> dict:
    """The configuration schema (a copy: callers may change it)."""
    return copy.deepcopy(_schema())


def spec(section: str, key: str) -> dict:
    """The schema of one setting: type, default, choices, description."""
    return copy.deepcopy(_schema()["properties"][section]["properties"][key])


def defaults(section: str) -> dict:
    """Every setting of ``section`` that has a default, at its default."""
    properties = _schema()["properties"][section]["properties"]
    return {k: copy.deepcopy(v["default"]) for k, v in properties.items() if "default" in v}


def model_names() -> tuple[str, ...]:
    """The models steelseg trains, by the names configs and commands use."""
    return tuple(_schema()["properties"]["models"]["propertyNames"]["enum"])


def flag(section: str, key: str) -> str:
    """The command-line option of a setting."""
    return FLAGS.get((section, key), "--" + key.replace("_", "-"))


def off_flag(section: str, key: str) -> str:
    """The option that turns a boolean setting off."""
    return OFF_FLAGS.get((section, key), "--no-" + flag(section, key)[2:])


def config_label(section: str) -> Callable[[str], str]:
    """Names settings as a config file does: synth.carbon."""
    return lambda key: f"{section}.{key}"


def cli_label(section: str) -> Callable[[str], str]:
    """Names settings as the command line does: --carbon."""
    return lambda key: flag(section, key)


def _shown(value) -> str:
    return ",".join(map(str, value)) if isinstance(value, list | tuple) else str(value)


def cli_flags(section: str, values: dict, skip: tuple[str, ...] = ()) -> str:
    """The options that give a command ``values`` (a config section): a list comma-joined, a
    boolean as its on or off switch, null left out (the command's own default then applies)."""
    words = []
    for key, value in values.items():
        if key in skip or value is None:
            continue
        if isinstance(value, bool):
            words.append(flag(section, key) if value else off_flag(section, key))
        else:
            words.append(f"{flag(section, key)} {_shown(value)}")
    return " ".join(words)


# -- checks between settings ---------------------------------------------------------------


def per_sample(values: dict, key: str, label: Callable[[str], str]) -> list:
    """A per-sample setting as one value per sample: one value is every sample's."""
    given = values[key] if isinstance(values[key], list | tuple) else [values[key]]
    samples = values["samples"]
    if len(given) == 1:
        return list(given) * samples
    if len(given) != samples:
        raise SteelsegError(
            f"{label(key)} has {len(given)} values but {label('samples')} is {samples}; give "
            "one value or one per sample"
        )
    return list(given)


PER_SAMPLE = ("images_per_sample", "carbon", "grain_size_px", "pearlite")


def check_synth(values: dict, label: Callable[[str], str]) -> None:
    """What the schema cannot say about the synthetic data's settings."""
    counts = [per_sample(values, key, label) for key in PER_SAMPLE][0]
    if not 0 <= values["annotated_per_sample"] <= min(counts):
        raise SteelsegError(
            f"{label('annotated_per_sample')} {values['annotated_per_sample']}: must be between "
            f"0 and the smallest number of images in a sample ({min(counts)})"
        )
    density = values["colony_density"]
    if len(density) != 2 or not 0 <= density[0] < density[1]:
        raise SteelsegError(
            f"{label('colony_density')} {_shown(values['colony_density'])}: give two optical "
            "densities low, high with 0 ≤ low < high (default 0.3, 0.75)"
        )


def check_rf(values: dict, label: Callable[[str], str]) -> None:
    if not 0 < values["sigma_min"] <= values["sigma_max"]:
        raise SteelsegError(
            f"{label('sigma_min')} {values['sigma_min']}, {label('sigma_max')} "
            f"{values['sigma_max']}: need 0 < {label('sigma_min')} ≤ {label('sigma_max')}"
        )


SETS = ("train", "val", "test")


def check_fractions(fractions: dict, label: str) -> None:
    """Train, validation and test shares: all three, none negative, training above 0, sum 1."""
    if set(fractions) != set(SETS) or any(f < 0 for f in fractions.values()):
        raise SteelsegError(f"{label}: give three non-negative numbers train,val,test")
    total = sum(fractions.values())
    if abs(total - 1) > 1e-6:
        raise SteelsegError(
            f"{label} {','.join(str(fractions[s]) for s in SETS)}: they sum to {total:g}, "
            "not 1; e.g. 0.7,0.2,0.1"
        )
    if fractions["train"] == 0:
        raise SteelsegError(f"{label}: the training fraction must be above 0")


# -- figures derived from settings ---------------------------------------------------------


def supersample_factor(grain_px: float, supersample: bool) -> int:
    """Sub-pixels per image pixel along each side for a sample of ``grain_px`` grains: k =
    round(1 / magnification), at most SUPERSAMPLE_MAX; 1 (none) from 2/3 of the reference
    magnification up, or where ``supersample`` is off."""
    if not supersample:
        return 1
    return max(1, min(SUPERSAMPLE_MAX, round(1 / (grain_px / REFERENCE_GRAIN_PX))))


def synth_memory_mb(values: dict, threads: int) -> int:
    """Memory a synth job of ``threads`` processes needs: each renders one image at a time,
    measured 0.65 GiB at 2080 x 1542 and 5.7 GiB for a supersampled overview (4 x 4 sub-pixels),
    ~0.3 GiB + ~107 bytes per rendered pixel; declared with a margin."""
    grains = per_sample(values, "grain_size_px", config_label("synth"))
    k = max(supersample_factor(g, values["supersample"]) for g in grains)
    per_process = 400 + values["width"] * values["height"] * k**2 * 120 / 2**20
    images = sum(per_sample(values, "images_per_sample", config_label("synth")))
    return int(500 + min(threads, images) * per_process)
