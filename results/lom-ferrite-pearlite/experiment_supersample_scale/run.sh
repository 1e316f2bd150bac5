#!/usr/bin/env bash
# Experiment 23, end to end, on a checkout with ../shared beside it (2 CPU cores: ~25 min of
# supersampled data and RF masks, ~50 min of training, ~15 min of sweeps and probes).
#   bash results/lom-ferrite-pearlite/experiment_supersample_scale/run.sh
# Experiment 24 runs the same steps on its own config: E (its folder, config.yaml in it), D (its
# results folder) and NAME (its label in the probes' tables) set in the environment.
set -euo pipefail
cd "$(dirname "$0")/../../.."
E=${E:-results/lom-ferrite-pearlite/experiment_supersample_scale}
D=${D:-results/synthetic_c45e_supersample_scale}
NAME=${NAME:-supersampled data + scale, seed 2024}
M=deeplabv3plus_mobilenetv2
C=$D/models/$M/checkpoint.pt
export PATH=$PWD/.venv/bin:$PATH
mkdir -p $E/metrics
snakemake --cores 2 $D/predictions/$M/micrographs $D/metrics/$M.json \
  $D/metrics/exact_truth/$M.json --configfile workflow/presets/lom_check.yaml $E/config.yaml
cp $D/metrics/$M.json $E/metrics/rf_masks.json
cp $D/metrics/exact_truth/$M.json $E/metrics/exact_truth.json
cp $D/rf_quality.json $D/models/$M/summary.json $D/models/$M/train_log.csv \
  $D/models/$M/curves.png $E/
python results/lom-ferrite-pearlite/experiment_train_seed/sweep.py $C $D/sweep > $E/sweep.md
cp $D/sweep/s1.25/phase_fractions.csv $D/sweep/s1.25/overview.png $E/
cp $D/sweep/s4/overview.png $E/overview_scale4.png
# experiment 21's probe (synthetic C22E at 1x / 2x / 4x) and experiment 22's patch probabilities
python results/lom-ferrite-pearlite/experiment_scale_rerun/synthetic_c22e.py $D/c22e_probe \
  "$NAME=$C" > $E/synthetic_c22e.md
python results/lom-ferrite-pearlite/experiment_texture_probe/probabilities.py \
  $D/c22e_probe/crops/c22e_islands.png "$NAME=$C" > $E/probabilities.md
