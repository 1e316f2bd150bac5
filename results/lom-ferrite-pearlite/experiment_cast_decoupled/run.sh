#!/usr/bin/env bash
# Experiment 30, end to end, on a checkout with ../shared beside it (2 CPU cores, estimated from
# experiment 28: 30 min of supersampled data and RF masks, 50 min of training, 15 min of probes).
#   bash results/lom-ferrite-pearlite/experiment_cast_decoupled/run.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
# experiment 28's steps (23's data, training, scores, sweep and probes, then the supersampled
# C22E probe) on this config, then experiment 29's two screens on this model; experiment 31 runs
# the same on its own config (E, D and NAME set in the environment)
export E=${E:-results/lom-ferrite-pearlite/experiment_cast_decoupled}
export D=${D:-results/synthetic_cast_decoupled}
export NAME=${NAME:-"films, no line, C22E overviews, both casts, seed 2024"}
bash results/lom-ferrite-pearlite/experiment_low_carbon_overviews/run.sh
bash results/lom-ferrite-pearlite/experiment_dark_called/run.sh
