#!/usr/bin/env bash
# Experiment 29, no training (2 CPU cores: 5 min), on experiment 28's outputs: its model, its
# training data, its sweep's masks at the preset and its supersampled C22E probe (run
# ../experiment_low_carbon_overviews/run.sh first; checkpoints are not committed).
#   bash results/lom-ferrite-pearlite/experiment_dark_called/run.sh
# Experiment 30 runs it on its own outputs: E (where the tables go), D and NAME in the environment.
set -euo pipefail
cd "$(dirname "$0")/../../.."
export PATH=$PWD/.venv/bin:$PATH
S=results/lom-ferrite-pearlite/experiment_dark_called
E=${E:-$S}
D=${D:-results/synthetic_carbon_spread_films}
NAME=${NAME:-"films, no line, C22E overviews, seed 2024"}
P=$D/c22e_probe_supersampled
python $S/screen.py $D/sweep/s1.25/masks $P "$P/$NAME/s1/masks" > $E/widths.md
python $S/chroma.py $D/chroma $D/dataset $P $D/models/deeplabv3plus_mobilenetv2/checkpoint.pt \
  > $E/chroma.md
