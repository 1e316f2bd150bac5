"""Dark-light transitions per 100 px (rows and columns) of the dark phase (granulometry.py's
operator: L* more than 12 below the image's ferrite level): real crops at the preset scale,
synthetic overviews' centre 1000 x 700 px, their images and their exact truth. The inverse of
a mean linear intercept: more transitions, finer features.

    python intercepts.py REAL_DIR DATASET=LABEL ... > intercepts.md
"""

import sys
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).parents[1] / "experiment_grain_colonies"))
from granulometry import PRESET, dark, overview_windows  # noqa: E402


def transitions(mask: np.ndarray) -> float:
    m = mask.astype(np.int8)
    changes = np.abs(np.diff(m, axis=1)).sum() + np.abs(np.diff(m, axis=0)).sum()
    steps = m.shape[0] * (m.shape[1] - 1) + m.shape[1] * (m.shape[0] - 1)
    return 100 * changes / steps


def main(real: str, *datasets: str) -> None:
    print("| image | dark % | transitions / 100 px, dark | the same, true pearlite |")
    print("|---|---|---|---|")
    for path in sorted(Path(real).glob("*.png")):
        image = Image.open(path).convert("RGB")
        image = image.resize(tuple(round(PRESET * s) for s in image.size), Image.BICUBIC)
        mask = dark(np.asarray(image) / 255.0)
        print(
            f"| {path.stem} at {PRESET}× | {100 * mask.mean():.1f} | {transitions(mask):.1f} | – |"
        )
    for spec in datasets:
        for label, name, rgb, truth in overview_windows(spec):
            mask = dark(rgb / 255.0)
            print(
                f"| {label} {name} | {100 * mask.mean():.1f} | {transitions(mask):.1f} "
                f"| {transitions(truth):.1f} |"
            )


if __name__ == "__main__":
    main(*sys.argv[1:])
