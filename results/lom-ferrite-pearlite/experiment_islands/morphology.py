"""Real SAE 1020 / 1045 crops beside the synthetic overviews of experiments 6 and 8.

Experiment 6 (pearlite network) and experiment 8 (pearlite islands) share every other setting,
so the synthetic panels differ only in the pearlite morphology. Run, from a checkout:

    cd results/lom-ferrite-pearlite/experiment_islands
    PYTHONPATH=../../../workflow python morphology.py ../../../../shared/data/lom-ferrite-pearlite \
        morphology.png [../../synthetic_islands/dataset]  # optional: check against its images
"""

import sys
from pathlib import Path

import matplotlib
import numpy as np
from PIL import Image
from steelseg import synth

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# The experiment's synth config (experiment_islands/config.yaml): seed 2024, four samples.
COUNTS, CARBON, GRAIN_PX = [12, 6, 5, 11], [0.45, 0.45, 0.22, 0.45], [60, 15, 15, 60]


def synthetic(sample: int, image: int, morphology: str) -> np.ndarray:
    """One image exactly as `steelseg synth` draws it for that sample (same seeding)."""
    sample_seed = np.random.SeedSequence(2024).spawn(len(COUNTS))[sample]
    look = synth.sample_look(np.random.default_rng(sample_seed))
    rng = np.random.default_rng(sample_seed.spawn(COUNTS[sample])[image])
    fraction = synth.lever_rule_pearlite_fraction(CARBON[sample])
    condition = synth.sample_conditions(len(COUNTS))[sample]
    return synth.micrograph(
        rng, 1542, 2080, fraction, GRAIN_PX[sample], condition, look, morphology, True
    )[0]


def main(real_dir: Path, out: Path, dataset: Path | None) -> None:
    panels = [
        (f"real {p.stem}", np.asarray(Image.open(p).convert("RGB")))
        for p in sorted(real_dir.glob("*.png"))
    ]
    for sample, label in ((2, "C22E overview"), (1, "C45E overview")):
        for morphology, experiment in (("network", "exp 6"), ("islands", "exp 8")):
            image = synthetic(sample, 0, morphology)
            if dataset and morphology == "islands":
                stored = np.asarray(
                    Image.open(dataset / "images" / f"S{sample + 1}_annealed_01.png")
                )
                assert (image == stored).all(), "not the experiment's data set"
            # 15 px grains resampled to the real crops' ~12 px: 320 px -> 256 px.
            crop = Image.fromarray(image[600:920, 900:1220]).resize((256, 256), Image.BILINEAR)
            panels.append((f"synthetic {label}, {morphology} ({experiment})", np.asarray(crop)))
    fig, axes = plt.subplots(2, 4, figsize=(12.8, 7.0))
    for ax, (title, image) in zip(axes.ravel(), panels, strict=True):
        ax.imshow(image)
        ax.set_title(title, fontsize=9)
        ax.axis("off")
    fig.suptitle("Real crops (about 12 px grains); synthetic overviews resampled to 12 px grains")
    fig.tight_layout()
    fig.savefig(out, dpi=90)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]) if len(sys.argv) > 3 else None)
