# Experiment 21's in-distribution probe: does a model find synthetic low-carbon colonies, drawn by
# the same generator it was trained on, at 1x / 2x / 4x? Two synthetic C22E overviews (0.22 wt% C,
# 15 px grains, as the default data's overview sample), pearlite as separate islands at grain
# corners and as the default network, centre 1040 x 771 crop; each checkpoint's pearlite % through
# `steelseg predict` (experiment 13's sweep.py) against the exact truth's.
#   python synthetic_c22e.py OUT NAME=CHECKPOINT...   (OUT: synthetic data, crops, predictions)
#   python synthetic_c22e.py --pearlite films --supersample [--interface-depth D] OUT NAME=CKPT...
#     (experiment 24: other morphologies, repeatable, and supersampled overviews)
import runpy
import subprocess
import sys
from pathlib import Path

import numpy as np
from skimage import io

HERE = Path(__file__).parent
fractions = runpy.run_path(str(HERE.parent / "experiment_train_seed/sweep.py"))["fractions"]
MORPHOLOGIES = ("islands", "network")
SCALES = (1, 2, 4)
CROP = (slice(385, 385 + 771), slice(520, 520 + 1040))  # the centre quarter of 2080 x 1542


def make_images(
    out: Path, morphologies=MORPHOLOGIES, supersample=False, synth_options=()
) -> dict[str, float]:
    """Crops under out/crops/ (one per morphology); returns each crop's true pearlite share."""
    truth = {}
    (out / "crops").mkdir(parents=True, exist_ok=True)
    for morphology in morphologies:
        data = out / morphology
        if not (data / "truth").is_dir():
            subprocess.run(
                ["steelseg", "synth", "--out", str(data), "--samples", "1",
                 "--images-per-sample", "1", "--annotated-per-sample", "1", "--carbon", "0.22",
                 "--grain-size", "15", "--seed", "7", "--pearlite", morphology]
                + ["--supersample"] * supersample
                + list(synth_options),
                check=True, capture_output=True,
            )  # fmt: skip
        image = io.imread(data / "images/S1_annealed_01.png")[CROP]
        io.imsave(out / "crops" / f"c22e_{morphology}.png", image, check_contrast=False)
        truth[f"c22e_{morphology}"] = float(
            np.mean(io.imread(data / "truth/S1_annealed_01.png")[CROP] == 1)
        )
    return truth


if __name__ == "__main__":
    args, morphologies = sys.argv[1:], []
    while args[0] == "--pearlite":
        morphologies, args = morphologies + [args[1]], args[2:]
    supersample = args[0] == "--supersample"
    args = args[supersample:]
    options = args[:2] if args[0] == "--interface-depth" else []
    out, runs = Path(args[len(options)]), dict(a.split("=", 1) for a in args[len(options) + 1 :])
    truth = make_images(out, morphologies or MORPHOLOGIES, supersample, options)
    head = " | ".join(f"{k.removeprefix('c22e_')} at {s}×" for k in truth for s in SCALES)
    print(f"| checkpoint | {head} |\n|---|" + "---|" * (len(truth) * len(SCALES)))
    for name, checkpoint in runs.items():
        called = {
            s: fractions(checkpoint, out / name, str(out / "crops"), s, False) for s in SCALES
        }
        cells = " | ".join(f"{100 * called[s][k]:.1f}" for k in truth for s in SCALES)
        print(f"| {name} | {cells} |")
    print(
        "| exact truth | "
        + " | ".join(f"{100 * truth[k]:.1f}" for k in truth for _ in SCALES)
        + " |"
    )
