#!/usr/bin/env bash
# Experiment 28, end to end, on a checkout with ../shared beside it (2 CPU cores, measured: 30 min
# of supersampled data and RF masks, 50 min of training, 10 min of sweeps and probes).
#   bash results/lom-ferrite-pearlite/experiment_low_carbon_overviews/run.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
# Experiment 30 runs the same steps on its own config (E, D, NAME set in the environment).
export E=${E:-results/lom-ferrite-pearlite/experiment_low_carbon_overviews}
export D=${D:-results/synthetic_carbon_spread_films}
export NAME=${NAME:-"films, no line, C22E overviews, seed 2024"}
M=deeplabv3plus_mobilenetv2
# experiment 23's steps: data, training, scores, sweep, C22E probe, patch probabilities
bash results/lom-ferrite-pearlite/experiment_supersample_scale/run.sh
export PATH=$PWD/.venv/bin:$PATH
# experiment 27's probe on supersampled C22E overviews (films and islands, no interface line;
# seeded, so the same images as experiment 27's synthetic_c22e_supersampled.md), beside experiment
# 27's model where its checkpoint is here (checkpoints are not committed)
S=results/synthetic_c45e_films_no_line/models/$M/checkpoint.pt
RUNS=("$NAME=$D/models/$M/checkpoint.pt")
if [ -f $S ]; then RUNS+=("films, no line (exp. 27)=$S"); fi
python results/lom-ferrite-pearlite/experiment_scale_rerun/synthetic_c22e.py --pearlite films \
  --pearlite islands --supersample --interface-depth 0 $D/c22e_probe_supersampled "${RUNS[@]}" \
  > $E/synthetic_c22e_supersampled.md
