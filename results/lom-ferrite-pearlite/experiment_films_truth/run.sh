#!/usr/bin/env bash
# Experiment 25, on a checkout with ../shared beside it, after experiment 24's run.sh has made
# results/synthetic_c45e_films (2 CPU cores: ~60 min of training, ~25 min of sweeps and probes).
#   bash results/lom-ferrite-pearlite/experiment_films_truth/run.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
export E=results/lom-ferrite-pearlite/experiment_films_truth
export D=results/synthetic_c45e_films_truth
export NAME="films, truth labels, seed 2024"
S=results/synthetic_c45e_films
M=deeplabv3plus_mobilenetv2
# experiment 24's data, masks, tiles and split, so that only the training and what follows run
mkdir -p $D
[ -d $D/tiles ] || cp -a $S/dataset $S/masks $S/tiles $S/test_tiles $S/split.tsv $S/rf_quality.json $D/
# experiment 23's steps: training, scores, sweep, C22E probe, patch probabilities
bash results/lom-ferrite-pearlite/experiment_supersample_scale/run.sh
export PATH=$PWD/.venv/bin:$PATH
# experiment 24's probe on supersampled C22E overviews (films and islands), on experiment 24's
# overviews, beside experiment 24's model
python results/lom-ferrite-pearlite/experiment_scale_rerun/synthetic_c22e.py --pearlite films \
  --pearlite islands --supersample $S/c22e_probe_supersampled "$NAME=$D/models/$M/checkpoint.pt" \
  "films, RF masks (exp. 24)=$S/models/$M/checkpoint.pt" > $E/synthetic_c22e_supersampled.md
