# Experiment 22's figure: a real SAE 1020 crop at the preset scale and a synthetic C22E overview,
# the same 128 px window of each, raw and with texture.py's compact "colonies" (red) and thin
# "grooves" (blue) marked; the synthetic one also with its true pearlite outlined (yellow).
#   python figure.py SYNTHETIC_IMAGE OUT.png   (SYNTHETIC_IMAGE: the overview, truth beside it)
import runpy
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from skimage import io, segmentation, transform  # noqa: E402

HERE = Path(__file__).parent
texture = runpy.run_path(str(HERE / "texture.py"))
WINDOW = 128


def marked(rgb: np.ndarray, truth: np.ndarray | None = None) -> np.ndarray:
    parts = texture["regions"](texture["optical_density"](rgb))
    out = rgb.astype(float) / 255
    out[parts["colonies"]] = 0.5 * out[parts["colonies"]] + 0.5 * np.array([1.0, 0.1, 0.1])
    out[parts["grooves"]] = 0.5 * out[parts["grooves"]] + 0.5 * np.array([0.1, 0.3, 1.0])
    if truth is not None:
        out[segmentation.find_boundaries(truth, mode="inner")] = [1.0, 0.9, 0.0]
    return out


if __name__ == "__main__":
    synthetic, out = Path(sys.argv[1]), sys.argv[2]
    real = io.imread(f"{texture['REAL']}/sae1020_1.png")[..., :3]
    real = transform.rescale(real.astype(float), 1.25, channel_axis=-1, preserve_range=True)
    real = np.clip(np.rint(real), 0, 255).astype(np.uint8)[:WINDOW, :WINDOW]
    crop = tuple(slice(s.start, s.start + WINDOW) for s in texture["CROP"])
    fake = io.imread(synthetic)[..., :3][crop]
    truth = io.imread(synthetic.parent.parent / "truth" / synthetic.name)[crop] == 1
    panels = [
        (real, "SAE 1020 #1 at 1.25× (the preset)"),
        (marked(real), "its compact dark patches (red), thin dark (blue)"),
        (fake, "synthetic C22E islands, 15 px grains"),
        (marked(fake, truth), "the same marks; true pearlite outlined (yellow)"),
    ]
    figure, axes = plt.subplots(1, 4, figsize=(16, 4.4))
    for axis, (image, title) in zip(axes, panels, strict=True):
        axis.imshow(image, interpolation="nearest")
        axis.set_title(title, fontsize=10)
        axis.axis("off")
    figure.tight_layout()
    figure.savefig(out, dpi=110)
