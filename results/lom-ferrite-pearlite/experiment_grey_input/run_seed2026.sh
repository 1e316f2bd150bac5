#!/usr/bin/env bash
# Experiment 37, on a checkout with ../shared beside it, after experiments 31, 33 and 35 (their
# data and checkpoints on this machine; checkpoints are not committed): experiment 33's
# configuration with training seed 2026 (seed2026/config.yaml), on a copy of 31's data, RF masks,
# tiles and split (2 CPU cores: ~40 min of training, ~15 min of sweeps, probes and screens):
# experiment 32's retrain.sh, its gain screen on this model beside 31's, then experiment 34's
# screen of the synthetic images outside the training set (overviews.py) on the three grey models.
#   bash results/lom-ferrite-pearlite/experiment_grey_input/run_seed2026.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
E=results/lom-ferrite-pearlite/experiment_grey_input/seed2026
D=results/synthetic_look_per_image_grey_seed2026
S=results/synthetic_look_per_image E=$E D=$D NEW="grey, seed 2026 (exp. 37)" \
  OLD="RGB, seed 2024 (exp. 31)" NAME="films, no line, C22E overviews, look per image, grey, seed 2026" \
  bash results/lom-ferrite-pearlite/experiment_look_seeds/retrain.sh
M=models/deeplabv3plus_mobilenetv2/checkpoint.pt
.venv/bin/python results/lom-ferrite-pearlite/experiment_grey_truth/overviews.py $D/dataset \
  "grey, seed 2024 (exp. 33)=results/synthetic_look_per_image_grey/$M" \
  "grey, seed 2025 (exp. 35)=results/synthetic_look_per_image_grey_seed2025/$M" \
  "grey, seed 2026 (exp. 37)=$D/$M" > $E/overviews.md
