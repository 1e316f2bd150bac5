# Experiment 22's intervention probe: change one property of the real crops' colonies at a time,
# towards what the synthetic C22E colonies have (texture.py), and see whether a trained model
# then calls them pearlite. The colony mask is texture.py's (compact dark patches).
#   speckled:   colony pixels get grey multiplicative pixel noise until their texture is 4.2x the
#               ferrite's (synthetic C22E islands: 4.2; real crops: 1.3-1.9)
#   lightened:  colony optical density scaled so colonies are 1.06x as dense as the grooves
#               (synthetic: 1.06; real: 1.23-1.27)
#   both:       speckled and lightened
#   smooth ferrite: ferrite interiors blurred by 1 px (real ferrite is ~2x as noisy as synthetic)
#   no grooves: the thin dark pixels (and a 1 px ring) inpainted from their surroundings, so the
#               colonies stand alone in ferrite (do the dark lines around them keep them out?)
#   python transplant.py OUT NAME=CHECKPOINT...   (OUT: the altered crops and predictions)
import runpy
import sys
from pathlib import Path

import numpy as np
from skimage import filters, io, morphology, restoration

HERE = Path(__file__).parent
texture = runpy.run_path(str(HERE / "texture.py"))
fractions = runpy.run_path(str(HERE.parent / "experiment_train_seed/sweep.py"))["fractions"]
NAMES = ("sae1020_1", "sae1020_2", "sae1045_1", "sae1045_2")
SCALES = (1.25, 2, 4)
SYNTHETIC_TEXTURE_RATIO, SYNTHETIC_DENSITY_RATIO = 4.2, 1.06


def speckle(rgb, colonies, ferrite_texture, target=SYNTHETIC_TEXTURE_RATIO) -> np.ndarray:
    """Multiplicative grey noise on `colonies` pixels, its strength found by bisection so that
    their cores' texture is `target` times `ferrite_texture`."""
    noise = np.random.default_rng(0).standard_normal(colonies.shape)
    cores = morphology.erosion(colonies, texture["SQUARE"])
    low, high = 0.0, 2.0
    for _ in range(30):
        sigma = (low + high) / 2
        out = rgb * np.where(colonies, np.clip(1 + sigma * noise, 0, None), 1)[..., None]
        ratio = texture["high_pass"](out)[cores].std() / ferrite_texture
        low, high = (sigma, high) if ratio < target else (low, sigma)
    return out


def scale_colony_density(
    rgb: np.ndarray, parts: dict, density: np.ndarray, ratio=SYNTHETIC_DENSITY_RATIO
):
    """Scale colony optical density (each channel's) by one factor per image, so that colonies
    are `ratio` times as dense as the grooves."""
    factor = ratio * density[parts["grooves"]].mean() / density[parts["colonies"]].mean()
    return np.where(parts["colonies"][..., None], rgb**factor * 255 ** (1 - factor), rgb)


def variants(rgb: np.ndarray) -> dict[str, np.ndarray]:
    rgb = rgb[..., :3].astype(float)
    density = texture["optical_density"](rgb)
    parts = texture["regions"](density)
    interiors = morphology.erosion(parts["light"], texture["SQUARE"])
    ferrite_texture = texture["high_pass"](rgb)[interiors].std()
    blurred = filters.gaussian(rgb, 1.0, channel_axis=-1, preserve_range=True)
    lightened = scale_colony_density(rgb, parts, density)
    return {
        "original": rgb,
        "speckled": speckle(rgb, parts["colonies"], ferrite_texture),
        "lightened": lightened,
        "both": speckle(lightened, parts["colonies"], ferrite_texture),
        "smooth ferrite": np.where(interiors[..., None], blurred, rgb),
        "no grooves": restoration.inpaint_biharmonic(
            rgb,
            morphology.dilation(parts["grooves"], texture["SQUARE"]) & ~parts["colonies"],
            channel_axis=-1,
        ),
    }


if __name__ == "__main__":
    out, runs = Path(sys.argv[1]), dict(a.split("=", 1) for a in sys.argv[2:])
    made = {name: variants(io.imread(f"{texture['REAL']}/{name}.png")) for name in NAMES}
    kinds = list(next(iter(made.values())))
    for kind in kinds:
        folder = out / "crops" / kind.replace(" ", "_")
        folder.mkdir(parents=True, exist_ok=True)
        for name in NAMES:
            image = np.clip(np.rint(made[name][kind]), 0, 255).astype(np.uint8)
            io.imsave(folder / f"{name}.png", image, check_contrast=False)
    print(
        "| checkpoint | crops | "
        + " | ".join(f"{s}×: 1020 #1 / #2 / 1045 #1 / #2 %" for s in SCALES)
        + " |"
    )
    print("|---|---|" + "---|" * len(SCALES))
    for run, checkpoint in runs.items():
        for kind in kinds:
            tag = kind.replace(" ", "_")
            cells = []
            for scale in SCALES:
                f = fractions(checkpoint, out / run / tag, str(out / "crops" / tag), scale, False)
                cells.append(" / ".join(f"{100 * f[n]:.1f}" for n in NAMES))
            print(f"| {run} | {kind} | " + " | ".join(cells) + " |", flush=True)
