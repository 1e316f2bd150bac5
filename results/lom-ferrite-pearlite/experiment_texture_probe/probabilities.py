# Experiment 22: how sure a model is about the compact dark patches (texture.py's "colonies") of
# the real crops and of a synthetic C22E overview: their mean pearlite probability, and the share
# of patches (>= 6 px) with any pixel called pearlite (p > 0.5), through predict's sliding window.
#   python probabilities.py SYNTHETIC_CROP NAME=CHECKPOINT...   (reverse.py writes the crop)
import runpy
import sys
from pathlib import Path

import numpy as np
import torch
from skimage import io, measure
from steelseg.predict import SlidingWindow, WindowSpec

HERE = Path(__file__).parent
texture = runpy.run_path(str(HERE / "texture.py"))
SCALES = (1.25, 2, 4)


def patch_scores(window: SlidingWindow, rgb: np.ndarray) -> tuple[float, float]:
    with torch.no_grad():
        pearlite = torch.softmax(window.logits(rgb), 0)[1].numpy()
    colonies = texture["regions"](texture["optical_density"](rgb))["colonies"]
    patches = [p for p in measure.regionprops(measure.label(colonies)) if p.area >= 6]
    found = [pearlite[tuple(p.coords.T)].max() > 0.5 for p in patches]
    return float(pearlite[colonies].mean()), float(np.mean(found))


if __name__ == "__main__":
    images = {
        n: io.imread(f"{texture['REAL']}/{n}.png")[..., :3]
        for n in ("sae1020_1", "sae1020_2", "sae1045_1", "sae1045_2")
    }
    images["C22E islands"] = io.imread(sys.argv[1])[..., :3]
    print("mean pearlite probability in the compact dark patches / share of patches found\n")
    print("| checkpoint | --scale | " + " | ".join(images) + " |\n|---|---|" + "---|" * len(images))
    for name, checkpoint in (a.split("=", 1) for a in sys.argv[2:]):
        for scale in SCALES:
            window = SlidingWindow(checkpoint, WindowSpec(scale=scale), device="cpu")
            cells = [patch_scores(window, rgb) for rgb in images.values()]
            print(
                f"| {name} | {scale} | "
                + " | ".join(f"{p:.2f} / {f:.2f}" for p, f in cells)
                + " |",
                flush=True,
            )
