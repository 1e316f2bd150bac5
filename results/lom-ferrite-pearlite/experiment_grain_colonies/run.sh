#!/usr/bin/env bash
# Experiment 41, end to end, on a checkout with ../shared beside it (2 CPU cores, as experiment
# 39: ~40 min of supersampled data and RF masks, ~65 min of training, ~20 min of sweeps, probes
# and screens): experiment 30's steps on this config, experiment 34's screen of the synthetic
# images outside the training set (overviews.py) on this model beside 33's (the same split).
#   bash results/lom-ferrite-pearlite/experiment_grain_colonies/run.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
export PATH=$PWD/.venv/bin:$PATH
export E=results/lom-ferrite-pearlite/experiment_grain_colonies D=results/synthetic_grain_colonies
export NAME="grain colonies (C45E), films (C22E), no line, look per image, grey, seed 2024"
bash results/lom-ferrite-pearlite/experiment_cast_decoupled/run.sh
M=models/deeplabv3plus_mobilenetv2/checkpoint.pt
python results/lom-ferrite-pearlite/experiment_grey_truth/overviews.py $D/dataset \
  "grey, films (exp. 33)=results/synthetic_look_per_image_grey/$M" \
  "grey, grain colonies (exp. 41)=$D/$M" > $E/overviews.md
