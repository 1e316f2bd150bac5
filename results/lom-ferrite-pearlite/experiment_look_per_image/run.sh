#!/usr/bin/env bash
# Experiment 31, end to end, on a checkout with ../shared beside it (2 CPU cores, estimated from
# experiment 28: 30 min of supersampled data and RF masks, 50 min of training, 15 min of probes):
# experiment 30's steps (28's run.sh, then 29's screens) on this config.
#   bash results/lom-ferrite-pearlite/experiment_look_per_image/run.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
E=results/lom-ferrite-pearlite/experiment_look_per_image D=results/synthetic_look_per_image \
  NAME="films, no line, C22E overviews, look per image, seed 2024" \
  bash results/lom-ferrite-pearlite/experiment_cast_decoupled/run.sh
