#!/usr/bin/env bash
# Experiment 33, on a checkout with ../shared beside it, after experiment 31 (its data and
# checkpoint on this machine; checkpoints are not committed): 31's configuration with
# train.colour: grey, on a copy of 31's data, RF masks, tiles and split, so only the training and
# what follows run (2 CPU cores: ~40 min of training, ~15 min of sweeps, probes and screens):
# experiment 32's retrain.sh: 30's steps, then 31's gain screen on this model beside 31's.
#   bash results/lom-ferrite-pearlite/experiment_grey_input/run.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
S=results/synthetic_look_per_image E=results/lom-ferrite-pearlite/experiment_grey_input \
  D=results/synthetic_look_per_image_grey NEW="grey (exp. 33)" OLD="RGB (exp. 31)" \
  NAME="films, no line, C22E overviews, look per image, grey, seed 2024" \
  bash results/lom-ferrite-pearlite/experiment_look_seeds/retrain.sh
