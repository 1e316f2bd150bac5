# Experiment 20's table: the photometric training with BatchNorm statistics over re-lit tiles
# (the fixed code), the same weights with the old plain-tile statistics, and the raw-input
# trainings of experiments 13-14, in experiment 18's format.
#   python table.py > table.md   (after run.sh)
import importlib.util
from pathlib import Path

HERE = Path(__file__).parent
spec = importlib.util.spec_from_file_location(
    "white_balance_table", HERE.parent / "experiment_white_balance/table.py"
)
white_balance_table = importlib.util.module_from_spec(spec)
spec.loader.exec_module(white_balance_table)

PHOTOMETRIC = {
    "photometric, seed 2024, statistics over re-lit tiles (fixed)": HERE,
    "the same weights, statistics over plain tiles (old code)": HERE / "plain_statistics",
}
white_balance_table.print_table({**white_balance_table.RAW, **PHOTOMETRIC}, HERE)
