# Experiment 19's table: each training's answer on the real crops (preset and 4x, from its
# sweep.md) and on the synthetic test tiles (exact truth), light colonies against the default
# data (experiments 13 and 14), in experiment 18's format (the ensemble: ensemble/sweep.md).
#   python table.py > table.md   (after run.sh)
import runpy
from pathlib import Path

HERE = Path(__file__).parent
white_balance_table = runpy.run_path(str(HERE.parent / "experiment_white_balance/table.py"))

LIGHT = {
    f"light colonies, seed {seed}": HERE if seed == 2024 else HERE / f"seed{seed}"
    for seed in (2024, 2025, 2026)
}
white_balance_table["print_table"]({**white_balance_table["RAW"], **LIGHT}, HERE)
