# Experiment 21's table: the scale-augmented training with BatchNorm statistics over zoomed tiles
# (the fixed code), the same weights with the old plain-tile statistics, experiment 20's
# photometric training, the raw-input trainings of experiments 13-14 and the second seed, in
# experiment 18's format.
#   python table.py > table.md   (after run.sh)
import runpy
from pathlib import Path

HERE = Path(__file__).parent
white_balance_table = runpy.run_path(str(HERE.parent / "experiment_white_balance/table.py"))

RUNS = {
    **white_balance_table["RAW"],
    "photometric, seed 2024 (exp. 20, fixed)": HERE.parent / "experiment_photometric_rerun",
    "scale, seed 2024, statistics over zoomed tiles (fixed)": HERE,
    "the same weights, statistics over plain tiles (old code)": HERE / "plain_statistics",
    "scale, seed 2025 (fixed)": HERE / "seed2025",
}
white_balance_table["print_table"](RUNS, HERE)
