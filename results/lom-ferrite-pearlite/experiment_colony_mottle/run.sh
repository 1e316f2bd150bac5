#!/usr/bin/env bash
# Experiment 39, end to end, on a checkout with ../shared beside it (2 CPU cores, estimated from
# experiment 36: ~30 min of supersampled data and RF masks, ~45 min of training, ~20 min of
# sweeps, probes and screens): experiment 30's steps on this config, experiment 34's screen of
# the synthetic images outside the training set (overviews.py) on this model beside 33's (the
# same split: only pearlite pixels differ), and experiment 38's texture screen on its images.
#   bash results/lom-ferrite-pearlite/experiment_colony_mottle/run.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
export PATH=$PWD/.venv/bin:$PATH
export E=results/lom-ferrite-pearlite/experiment_colony_mottle D=results/synthetic_colony_mottle
export NAME="films, no line, C22E overviews, look per image, grey, colony mottle 3, seed 2024"
bash results/lom-ferrite-pearlite/experiment_cast_decoupled/run.sh
M=models/deeplabv3plus_mobilenetv2/checkpoint.pt
python results/lom-ferrite-pearlite/experiment_grey_truth/overviews.py $D/dataset \
  "grey, mottle 1 (exp. 33)=results/synthetic_look_per_image_grey/$M" \
  "grey, mottle 3 (exp. 39)=$D/$M" > $E/overviews.md
python results/lom-ferrite-pearlite/experiment_light_texture/light_texture.py $D/dataset \
  S2_annealed_03 S2_annealed_05 S4_normalised_02 S3_annealed_01 > $E/light_texture.md
