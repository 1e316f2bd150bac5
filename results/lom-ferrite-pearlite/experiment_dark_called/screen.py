# Experiment 29 (no training): which of the dark pixels does a model call pearlite, by how wide the
# dark feature is, on the real crops at the preset and on a synthetic C22E overview at 1x, where
# the synthetic dark pixels split into true pearlite (films, islands) and dark ferrite (grooves
# between grains, halos). Experiment 22's dark mask (optical density > 0.12) at the scale the
# network saw (real crops resampled 1.25x, as `predict --scale 1.25` does); width classes by
# opening with disks of radius 1 and 2: under 3 px, 3-5 px, 5 px and wider.
#   python screen.py REAL_MASKS PROBE_DIR PROBE_MASKS
#   (REAL_MASKS: `steelseg predict` masks of the real crops at the preset; PROBE_DIR:
#   synthetic_c22e.py's OUT; PROBE_MASKS: its masks at 1x)
import sys
from pathlib import Path

import numpy as np
from skimage import io, morphology, transform

sys.path.insert(0, str(Path(__file__).parent.parent / "experiment_texture_probe"))
from texture import CROP, REAL, dark_at_preset  # noqa: E402

WIDTHS = ("< 3 px", "3-5 px", ">= 5 px")


def width_classes(dark: np.ndarray) -> list[np.ndarray]:
    """The dark mask split by what an opening with a disk of radius 1, then 2, keeps."""
    kept1 = morphology.opening(dark, morphology.disk(1))
    kept2 = morphology.opening(dark, morphology.disk(2))
    return [dark & ~kept1, kept1 & ~kept2, kept2]


def cells(dark: np.ndarray, called: np.ndarray, where: np.ndarray) -> list[str]:
    """Per width class: % of the image, and % of it called pearlite."""
    out = []
    for part in width_classes(dark):
        part = part & where
        share = 100 * part.mean()
        out.append(f"{share:.1f} / {100 * called[part].mean():.0f}" if part.any() else "0 / -")
    return out


def main(real_masks: Path, probe: Path, probe_masks: Path) -> None:
    print("image area % in dark features of each width / % of those called pearlite\n")
    print("| image | dark pixels | " + " | ".join(WIDTHS) + " |\n|---|---|---|---|---|")
    for mask_path in sorted(real_masks.glob("*.png")):
        rgb = io.imread(f"{REAL}/{mask_path.name}")[..., :3]
        dark = dark_at_preset(rgb, real=True)
        called = transform.resize(io.imread(mask_path), dark.shape, order=0, preserve_range=True)
        called = called.astype(np.uint8) == 1
        row = cells(dark, called, dark)
        print(f"| {mask_path.stem} (real, 1.25×) | all | " + " | ".join(row) + " |")
    for morphology_name in ("films", "islands"):
        rgb = io.imread(probe / "crops" / f"c22e_{morphology_name}.png")[..., :3]
        truth = io.imread(probe / morphology_name / "truth/S1_annealed_01.png")[CROP] == 1
        called = io.imread(probe_masks / f"c22e_{morphology_name}.png") == 1
        dark = dark_at_preset(rgb, real=False)
        for name, where in (("true pearlite", truth), ("ferrite", ~truth)):
            row = cells(dark, called, where)
            print(f"| C22E {morphology_name} (synthetic, 1×) | {name} | " + " | ".join(row) + " |")


if __name__ == "__main__":
    main(*map(Path, sys.argv[1:4]))
