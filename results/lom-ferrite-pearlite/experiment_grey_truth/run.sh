#!/usr/bin/env bash
# Experiment 34, on a checkout with ../shared beside it, after experiment 31 (its data and
# checkpoint on this machine; checkpoints are not committed): experiment 33's configuration with
# train.labels: truth, on a copy of 31's data, RF masks, tiles and split, so only the training and
# what follows run (2 CPU cores: ~40 min of training, ~15 min of sweeps, probes and screens):
# experiment 32's retrain.sh (30's steps, then 31's gain screen on this model beside 31's), then
# the screen of the held-out synthetic images (overviews.py) on 31's, 32's, 33's and this model,
# and the lightness screen (lightness.py) on this model.
#   bash results/lom-ferrite-pearlite/experiment_grey_truth/run.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
E=results/lom-ferrite-pearlite/experiment_grey_truth
S=results/synthetic_look_per_image E=$E D=results/synthetic_look_per_image_grey_truth \
  NEW="grey, truth (exp. 34)" OLD="RGB, RF masks (exp. 31)" \
  NAME="films, no line, C22E overviews, look per image, grey, truth labels, seed 2024" \
  bash results/lom-ferrite-pearlite/experiment_look_seeds/retrain.sh
M=models/deeplabv3plus_mobilenetv2/checkpoint.pt
.venv/bin/python $E/overviews.py results/synthetic_look_per_image_grey_truth/dataset \
  "RGB, RF masks, seed 2024 (exp. 31)=results/synthetic_look_per_image/$M" \
  "RGB, RF masks, seed 2025 (exp. 32)=results/synthetic_look_per_image_seed2025/$M" \
  "grey, RF masks, seed 2024 (exp. 33)=results/synthetic_look_per_image_grey/$M" \
  "grey, truth, seed 2024 (exp. 34)=results/synthetic_look_per_image_grey_truth/$M" \
  > $E/overviews.md
.venv/bin/python $E/lightness.py results/synthetic_look_per_image_grey_truth > $E/lightness.md
