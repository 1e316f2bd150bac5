"""What experiment 17's scripts share: the seven trainings, their checkpoints, and scoring."""

import glob
import pathlib

from steelseg import io

HERE = pathlib.Path(__file__).parent
ADAPT = str(HERE / "adapt.py")
TRAININGS = {  # results folder -> label in the tables
    "synthetic_c45e_seed2024": "default, seed 2024 (exp 14)",
    "synthetic_c45e_seed2025": "default, seed 2025 (exp 13)",
    "synthetic_c45e_seed2026": "default, seed 2026 (exp 13)",
    "synthetic_c45e_supersample": "supersample, seed 2024 (exp 15)",
    "synthetic_c45e_supersample_seed2025": "supersample, seed 2025 (exp 15b)",
    "synthetic_c45e_supersample_seed2026": "supersample, seed 2026 (exp 15b)",
    "synthetic_c45e_supersample_truth": "supersample, truth labels (exp 16)",
}
TRUTH = pathlib.Path("/tmp/adabn/syn/truth")


def checkpoint(training: str) -> str:
    return f"results/{training}/models/deeplabv3plus_mobilenetv2/checkpoint.pt"


def score(out: str) -> list[tuple[float, float]]:
    """(pearlite %, pixel accuracy %) of each predicted mask in OUT/masks against the truth."""
    rows = []
    for f in sorted(glob.glob(f"{out}/masks/*.png")):
        name = pathlib.Path(f).name
        if (TRUTH / name).exists():
            p, t = io.read_labels(f, 2), io.read_labels(TRUTH / name, 2)
            rows.append((round(100 * p.mean(), 1), round(100 * (p == t).mean(), 1)))
    return rows
