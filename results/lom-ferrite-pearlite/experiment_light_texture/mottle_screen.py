# Experiment 38 (no training): the held-out C45E overviews of experiments 31-35 (S2_annealed_03,
# _05 of their config, seed 2024) drawn again with synth.colony_mottle 1 (as they were: checked
# pixel for pixel against DATASET), 2 and 3, then light_texture.py's table of their pixels, to
# set the gain against the real crops' before any training (about a minute an image).
#   PYTHONPATH=workflow python mottle_screen.py DATASET   (experiment 31's results/.../dataset)
import runpy
import sys
import tempfile
from pathlib import Path

import numpy as np
from skimage import io
from steelseg import synth

HERE = Path(__file__).parent
texture = runpy.run_path(str(HERE / "light_texture.py"))
SAMPLE, COUNT, GRAIN_PX, CARBON, SEED = 1, 6, 15, 0.45, 2024  # S2 of experiment 31's config
IMAGES = (3, 5)
GAINS = (1, 2, 3)


def redraw(image: int, gain: float) -> tuple[np.ndarray, np.ndarray]:
    """generate()'s draws for one image of S2, with look: image, films, supersampled."""
    sseed = np.random.SeedSequence(SEED).spawn(4)[SAMPLE]
    specimen = synth.sample_look(np.random.default_rng(sseed))
    iseed = sseed.spawn(COUNT)[image - 1]
    first = synth.ILLUMINATIONS.index(specimen.illumination)
    lighting = synth.own_look(iseed, synth.ILLUMINATIONS[(first + image - 1) % 2])
    rgb, truth, _ = synth.micrograph(
        np.random.default_rng(iseed),
        1542,
        2080,
        synth.lever_rule_pearlite_fraction(CARBON),
        GRAIN_PX,
        synth.sample_conditions(4)[SAMPLE],
        lighting,
        "films",
        supersample=True,
        interface_depth=0,
        colony_mottle=gain,
    )
    return rgb, truth


def main(dataset: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        (out / "images").mkdir()
        (out / "truth").mkdir()
        names = []
        for image in IMAGES:
            name = f"S2_annealed_{image:02d}"
            for gain in GAINS:
                rgb, truth = redraw(image, gain)
                drawn = io.imread(dataset / f"images/{name}.png")
                if gain == 1 and not np.array_equal(rgb, drawn):
                    sys.exit(f"{name}: redrawn with gain 1, it differs from {dataset}'s")
                names.append(f"{name} mottle {gain}")
                io.imsave(out / f"images/{names[-1]}.png", rgb, check_contrast=False)
                io.imsave(out / f"truth/{names[-1]}.png", truth, check_contrast=False)
        texture["main"](out, names)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
