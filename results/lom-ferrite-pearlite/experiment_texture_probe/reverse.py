# Experiment 22's reverse probe: change one measured property of a synthetic C22E overview (which
# experiment 21's models find pearlite in) at a time, towards the real SAE 1020 crops (texture.py),
# and see which change makes a model stop finding its colonies. Colony mask as in texture.py.
#   smooth colonies: colony pixels blurred by 1 px (real colonies: texture 1.3-1.5x ferrite's)
#   dark colonies:   colonies 1.26x as dense as the grooves, as in the real crops (synthetic 1.06)
#   noisy ferrite:   grey pixel noise until ferrite interiors' texture is 0.033 (real 0.031-0.035)
#   real colours:    each channel's ferrite level and the colonies' hue (each channel's share of
#                    their optical density) taken from sae1020_1; mean colony darkness unchanged
#   python reverse.py OUT NAME=CHECKPOINT...   (OUT: the synthetic crop, variants, predictions)
import runpy
import sys
from pathlib import Path

import numpy as np
from skimage import filters, io

HERE = Path(__file__).parent
texture = runpy.run_path(str(HERE / "texture.py"))
transplant = runpy.run_path(str(HERE / "transplant.py"))
probe = runpy.run_path(str(HERE.parent / "experiment_scale_rerun/synthetic_c22e.py"))
SCALES = (1, 2)
REAL_DENSITY_RATIO, REAL_FERRITE_TEXTURE = 1.26, 0.033


def channel_density(rgb: np.ndarray, ferrite: np.ndarray) -> np.ndarray:
    return -np.log10(np.clip(rgb / ferrite, 1e-3, None))


def recolour(rgb: np.ndarray, colonies: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Ferrite white balance and colony hue of `reference`, per channel, in optical density."""
    own, real = (np.percentile(x.reshape(-1, 3), 75, axis=0) for x in (rgb, reference))
    ref_parts = texture["regions"](texture["optical_density"](reference))
    density = channel_density(rgb, own)
    hue_own = density[colonies].mean(0) / density[colonies].mean()
    ref_density = channel_density(reference, real)[ref_parts["colonies"]]
    hue_real = ref_density.mean(0) / ref_density.mean()
    return real * 10 ** -(density * hue_real / hue_own)


def variants(rgb: np.ndarray, reference: np.ndarray) -> dict[str, np.ndarray]:
    rgb = rgb[..., :3].astype(float)
    density = texture["optical_density"](rgb)
    parts = texture["regions"](density)
    blurred = filters.gaussian(rgb, 1.0, channel_axis=-1, preserve_range=True)
    smooth = np.where(parts["colonies"][..., None], blurred, rgb)
    dark = transplant["scale_colony_density"](rgb, parts, density, REAL_DENSITY_RATIO)
    noisy = transplant["speckle"](rgb, parts["light"], 1.0, REAL_FERRITE_TEXTURE)
    coloured = recolour(rgb, parts["colonies"], reference)
    every = recolour(
        transplant["speckle"](
            transplant["scale_colony_density"](smooth, parts, density, REAL_DENSITY_RATIO),
            parts["light"], 1.0, REAL_FERRITE_TEXTURE,
        ),
        parts["colonies"], reference,
    )  # fmt: skip
    return {"original": rgb, "smooth colonies": smooth, "dark colonies": dark,
            "noisy ferrite": noisy, "real colours": coloured, "all four": every}  # fmt: skip


if __name__ == "__main__":
    out, runs = Path(sys.argv[1]), dict(a.split("=", 1) for a in sys.argv[2:])
    truth = probe["make_images"](out)["c22e_islands"]
    reference = io.imread(f"{texture['REAL']}/sae1020_1.png")[..., :3].astype(float)
    made = variants(io.imread(out / "crops/c22e_islands.png"), reference)
    measured = {}
    for kind, image in made.items():
        folder = out / "variants" / kind.replace(" ", "_")
        folder.mkdir(parents=True, exist_ok=True)
        image = np.clip(np.rint(image), 0, 255).astype(np.uint8)
        io.imsave(folder / "c22e_islands.png", image, check_contrast=False)
        measured[kind] = texture["measure_image"](image)
    keys = ("colonies / grooves density", "texture ratio colonies / ferrite",
            "texture: ferrite (light) interiors", "dark pixels %")  # fmt: skip
    print("| variant | " + " | ".join(keys) + " |\n|---|" + "---|" * len(keys))
    for kind, row in measured.items():
        print(f"| {kind} | " + " | ".join(f"{row[k]:.3g}" for k in keys) + " |")
    print(f"\ntruth: {100 * truth:.1f} % pearlite\n")
    print("| checkpoint | variant | " + " | ".join(f"{s}× %" for s in SCALES) + " |")
    print("|---|---|" + "---|" * len(SCALES))
    for run, checkpoint in runs.items():
        for kind in made:
            tag = kind.replace(" ", "_")
            cells = [
                fractions["c22e_islands"]
                for s in SCALES
                for fractions in [
                    probe["fractions"](
                        checkpoint, out / run / tag, str(out / "variants" / tag), s, False
                    )
                ]
            ]
            print(
                f"| {run} | {kind} | " + " | ".join(f"{100 * c:.1f}" for c in cells) + " |",
                flush=True,
            )
