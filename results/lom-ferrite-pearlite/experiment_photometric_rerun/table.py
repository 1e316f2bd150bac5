# Experiment 20's table: the photometric training with BatchNorm statistics over re-lit tiles
# (the fixed code), the same weights with the old plain-tile statistics, and the raw-input
# trainings of experiments 13-14, in experiment 18's format.
#   python table.py > table.md   (after run.sh)
import runpy
from pathlib import Path

HERE = Path(__file__).parent
white_balance_table = runpy.run_path(str(HERE.parent / "experiment_white_balance/table.py"))

PHOTOMETRIC = {
    "photometric, seed 2024, statistics over re-lit tiles (fixed)": HERE,
    "the same weights, statistics over plain tiles (old code)": HERE / "plain_statistics",
}
white_balance_table["print_table"]({**white_balance_table["RAW"], **PHOTOMETRIC}, HERE)
