"""The data set: every image of every sample rendered (in parallel processes, the same files for
any number), with its truth, scribbles and samples.tsv row."""

from __future__ import annotations

import contextlib
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .. import io, quantify, settings
from ..dataset import write_sheet
from ..errors import SteelsegError
from ..quantify import EUTECTOID_C, FERRITE_C
from .morphology import PEARLITE_MORPHOLOGIES
from .optics import (
    ILLUMINATIONS,
    LOOKS,
    Condition,
    Look,
    micrograph,
    own_look,
    sample_conditions,
    sample_look,
)
from .scribbles import scribbles


def lever_rule_pearlite_fraction(carbon: float) -> float:
    """Pearlite area fraction of a slowly cooled hypoeutectoid steel with ``carbon`` wt% C."""
    if not FERRITE_C <= carbon <= EUTECTOID_C:
        raise SteelsegError(
            f"--carbon {carbon}: outside {FERRITE_C}..{EUTECTOID_C} wt% C, where a hypoeutectoid "
            "ferrite–pearlite steel exists; choose a carbon content in that range"
        )
    return quantify.lever_rule_pearlite_fraction(carbon)


def generate(out: str | Path, **overrides) -> list[dict[str, object]]:
    """Write a complete data set folder (images/, annotations/, truth/, samples.tsv) to ``out``.

    ``overrides``: synth settings (``config.schema.yaml``, docs/configuration.md) that differ
    from their defaults, which make the embedded default data; ``threads`` is the number of
    processes rendering images side by side. ``carbon``, ``grain_size_px``, ``pearlite`` and
    ``images_per_sample``: one value for every sample, or one per sample. ``look``: "image"
    (each image its own etch and light, the lights alternating cool and warm within a sample
    from the sample's own, so that no sample property, such as its carbon content or
    magnification, comes with one light) or "sample" (one etch and illumination per sample, as
    one specimen is etched once and shot under one microscope). Each image's structure is the
    same under both; samples.tsv names each image's light. The other settings: see
    ``micrograph``.

    Deterministic for a given seed: each image draws from its own child generator, so the
    n-th image is the same whatever the number of images after it, and any number of
    processes (one image each at a time) write the same files as one.
    """
    values = _settings(overrides)
    jobs = _plan(values)
    scene = {key: values[key] for key in SCENE}
    scene["colony_density"] = tuple(scene["colony_density"])
    with io.atomic_dir(out) as tmp:
        for folder in ("images", "annotations", "truth"):
            (tmp / folder).mkdir()
        rows = _render_all(jobs, partial(_render_image, folder=tmp, scene=scene), values["threads"])
        write_sheet(tmp / "samples.tsv", rows)
    return rows


# micrograph's options that every image of a data set shares
SCENE = (
    "height",
    "width",
    "subpixel_grooves",
    "colony_darkness",
    "supersample",
    "colony_density",
    "interface_depth",
    "colony_mottle",
)


def _settings(overrides: dict) -> dict:
    """The synth settings: defaults, then ``overrides``, checked; unknown names refused."""
    values = settings.defaults("synth")
    unknown = sorted(set(overrides) - set(values))
    if unknown:
        raise TypeError(f"generate(): unknown synth setting(s) {', '.join(unknown)}")
    values.update(overrides)
    label = settings.cli_label("synth")
    for carbon in settings.per_sample(values, "carbon", label):
        lever_rule_pearlite_fraction(carbon)  # a hypoeutectoid steel's carbon
    settings.check_synth(values, label)
    for key in ("samples", "threads"):
        if values[key] < 1:
            raise SteelsegError(f"{label(key)} {values[key]}: must be at least 1")
    if min(settings.per_sample(values, "images_per_sample", label)) < 1:
        raise SteelsegError(f"{label('images_per_sample')}: every sample needs an image")
    for morphology in settings.per_sample(values, "pearlite", label):
        if morphology not in PEARLITE_MORPHOLOGIES:
            raise SteelsegError(
                f"--pearlite {morphology}: unknown morphology; choose one of "
                f"{', '.join(PEARLITE_MORPHOLOGIES)} (or one per sample, comma-separated)"
            )
    grains = settings.per_sample(values, "grain_size_px", label)
    if min(values["width"], values["height"]) < 32 or min(grains) < 4:
        raise SteelsegError("--width/--height must be ≥ 32 px and --grain-size ≥ 4 px")
    for key, lowest, what in (
        ("colony_darkness", 0, "above 0 (1 = the measured densities)"),
        ("interface_depth", 0, "at least 0 (0: no line where ferrite meets pearlite)"),
        ("colony_mottle", 0, "at least 0 (0: smooth colonies)"),
    ):
        low = values[key] <= lowest if key == "colony_darkness" else values[key] < lowest
        if low:
            raise SteelsegError(f"{label(key)} {values[key]}: must be {what}")
    if values["look"] not in LOOKS:
        raise SteelsegError(f"--look {values['look']}: unknown; choose one of {', '.join(LOOKS)}")
    return values


def _plan(values: dict) -> list[_ImageJob]:
    """Every image's job, sample by sample, each with its own child seed."""
    label = settings.cli_label("synth")
    carbons = settings.per_sample(values, "carbon", label)
    columns = zip(
        sample_conditions(values["samples"]),
        settings.per_sample(values, "images_per_sample", label),
        settings.per_sample(values, "grain_size_px", label),
        carbons,
        [lever_rule_pearlite_fraction(c) for c in carbons],
        settings.per_sample(values, "pearlite", label),
        np.random.SeedSequence(values["seed"]).spawn(values["samples"]),
        strict=True,
    )
    jobs: list[_ImageJob] = []
    for s, (condition, count, grain_px, c, fraction, morphology, sseed) in enumerate(columns):
        sample = f"S{s + 1}"
        specimen = sample_look(np.random.default_rng(sseed))
        for i, iseed in enumerate(sseed.spawn(count)):
            lighting = specimen
            if values["look"] == "image":  # alternate, starting from the sample's light
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
                    annotate=i < values["annotated_per_sample"],
                )
            )
    return jobs


def _render_all(jobs: list[_ImageJob], render, processes: int) -> list[dict[str, object]]:
    """Each image draws from its own child generator: the files are the same whatever the
    number of processes (tested), only sooner. forkserver: no fork of a process that may run
    threads (tqdm's monitor)."""
    pool = None
    if processes > 1:
        context = multiprocessing.get_context("forkserver")
        pool = ProcessPoolExecutor(min(processes, len(jobs)), mp_context=context)
    with pool or contextlib.nullcontext():
        mapped = pool.map(render, jobs) if pool else map(render, jobs)
        return list(tqdm(mapped, total=len(jobs), desc="synth", unit="image"))


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
