#!/usr/bin/env bash
# Experiment 40 (no training), on a checkout with ../shared beside it, after experiments 33, 35
# and 39 (their data and checkpoints on this machine; checkpoints are not committed): experiment
# 34's screen of the synthetic overviews outside the training set, enlarged 2x before prediction
# as the real crops are in the sweeps. Does a model that under-calls the overviews' pearlite at
# 1x find it when the grains are twice as large? (2 CPU cores: ~6 min per model)
#   bash results/lom-ferrite-pearlite/experiment_overview_scale/run.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
export PATH=$PWD/.venv/bin:$PATH
E=results/lom-ferrite-pearlite/experiment_overview_scale
S=results/lom-ferrite-pearlite/experiment_grey_truth/overviews.py
M=models/deeplabv3plus_mobilenetv2/checkpoint.pt
python $S results/synthetic_look_per_image_grey/dataset --scale 2 --overviews \
  "grey, seed 2024 (exp. 33)=results/synthetic_look_per_image_grey/$M" \
  "grey, seed 2025 (exp. 35)=results/synthetic_look_per_image_grey_seed2025/$M" > $E/grey_2x.md
python $S results/synthetic_colony_mottle/dataset --scale 2 --overviews \
  "grey, mottle 3 (exp. 39)=results/synthetic_colony_mottle/$M" > $E/mottle_2x.md
