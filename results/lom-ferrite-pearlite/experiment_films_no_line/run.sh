#!/usr/bin/env bash
# Experiment 27, end to end, on a checkout with ../shared beside it (2 CPU cores: ~30 min of
# supersampled data and RF masks, ~60 min of training, ~25 min of sweeps and probes).
#   bash results/lom-ferrite-pearlite/experiment_films_no_line/run.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
export E=results/lom-ferrite-pearlite/experiment_films_no_line
export D=results/synthetic_c45e_films_no_line
export NAME="films, no interface line, seed 2024"
M=deeplabv3plus_mobilenetv2
# experiment 23's steps: data, training, scores, sweep, C22E probe, patch probabilities
bash results/lom-ferrite-pearlite/experiment_supersample_scale/run.sh
export PATH=$PWD/.venv/bin:$PATH
# experiment 24's probe on supersampled C22E overviews (films and islands, drawn as this
# experiment's data are, without the interface line), beside experiment 24's model
python results/lom-ferrite-pearlite/experiment_scale_rerun/synthetic_c22e.py --pearlite films \
  --pearlite islands --supersample --interface-depth 0 $D/c22e_probe_supersampled \
  "$NAME=$D/models/$M/checkpoint.pt" \
  "films (exp. 24)=results/synthetic_c45e_films/models/$M/checkpoint.pt" \
  > $E/synthetic_c22e_supersampled.md
