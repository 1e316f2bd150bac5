#!/usr/bin/env bash
# Experiment 36, end to end, on a checkout with ../shared beside it (2 CPU cores, estimated from
# experiment 31: ~30 min of supersampled data and RF masks, ~45 min of training, ~15 min of
# sweeps, probes and screens): experiment 30's steps on this config, then experiment 34's screen
# of the synthetic images outside the training set (overviews.py) on this model beside 33's.
#   bash results/lom-ferrite-pearlite/experiment_overview_share/run.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
export PATH=$PWD/.venv/bin:$PATH
export E=results/lom-ferrite-pearlite/experiment_overview_share D=results/synthetic_overview_share
export NAME="films, no line, C22E overviews, look per image, grey, 12 C45E overviews, seed 2024"
bash results/lom-ferrite-pearlite/experiment_cast_decoupled/run.sh
M=models/deeplabv3plus_mobilenetv2/checkpoint.pt
python results/lom-ferrite-pearlite/experiment_grey_truth/overviews.py $D/dataset \
  "grey, 6 C45E overviews (exp. 33)=results/synthetic_look_per_image_grey/$M" \
  "grey, 12 C45E overviews (exp. 36)=$D/$M" > $E/overviews.md
