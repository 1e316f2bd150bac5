#!/usr/bin/env bash
# One more training of an earlier experiment's data: copies S's data, RF masks, tiles and split to
# D, so only the training and what follows run; then experiment 30's steps (sweep, probes,
# screens) into E, and experiment 31's gain screen on the new model (label NEW) beside S's (OLD).
# Set in the environment: S, E, D, NAME, NEW, OLD; E/config.yaml names D. Used by this folder's
# run.sh and by experiment 33's.
set -euo pipefail
cd "$(dirname "$0")/../../.."
export PATH=$PWD/.venv/bin:$PATH E D NAME  # gains.py calls steelseg
M=deeplabv3plus_mobilenetv2
mkdir -p $D
cp -a $S/dataset $S/masks $S/tiles $S/test_tiles $S/split.tsv $S/rf_quality.json $D/
bash results/lom-ferrite-pearlite/experiment_cast_decoupled/run.sh
python results/lom-ferrite-pearlite/experiment_look_per_image/gains.py $D/gains $D/dataset \
  $D/c22e_probe_supersampled "$NEW=$D/models/$M/checkpoint.pt" "$OLD=$S/models/$M/checkpoint.pt" \
  > $E/gains.md
