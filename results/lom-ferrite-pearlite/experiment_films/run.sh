#!/usr/bin/env bash
# Experiment 24, end to end, on a checkout with ../shared beside it (2 CPU cores: ~30 min of
# supersampled data and RF masks, ~50 min of training, ~25 min of sweeps and probes).
#   bash results/lom-ferrite-pearlite/experiment_films/run.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
export E=results/lom-ferrite-pearlite/experiment_films
export D=results/synthetic_c45e_films
export NAME="films, seed 2024"
M=deeplabv3plus_mobilenetv2
# experiment 23's steps: data, training, scores, sweep, C22E probe, patch probabilities
bash results/lom-ferrite-pearlite/experiment_supersample_scale/run.sh
export PATH=$PWD/.venv/bin:$PATH
# the same probe on supersampled C22E overviews with films and islands, beside experiment 23's
# model, and the films overviews' granulometry against the real crops' (experiment 22's texture.py)
python results/lom-ferrite-pearlite/experiment_scale_rerun/synthetic_c22e.py --pearlite films \
  --pearlite islands --supersample $D/c22e_probe_supersampled "$NAME=$D/models/$M/checkpoint.pt" \
  "supersampled data + scale (exp. 23)=results/synthetic_c45e_supersample_scale/models/$M/checkpoint.pt" \
  > $E/synthetic_c22e_supersampled.md
[ -d $D/c45e_films/truth ] || steelseg synth --out $D/c45e_films --samples 1 --images-per-sample 1 \
  --annotated-per-sample 1 --grain-size 15 --seed 7 --carbon 0.45 --pearlite films --supersample >/dev/null
python results/lom-ferrite-pearlite/experiment_texture_probe/texture.py \
  "C22E films=$D/c22e_probe_supersampled/films/images/S1_annealed_01.png" \
  "C22E islands=$D/c22e_probe_supersampled/islands/images/S1_annealed_01.png" \
  "C45E films=$D/c45e_films/images/S1_annealed_01.png" > $E/texture.md
