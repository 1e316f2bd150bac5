#!/usr/bin/env bash
# Experiment 42, on a checkout with ../shared beside it, after experiment 41 (its data and
# checkpoint on this machine; checkpoints are not committed): experiment 41's configuration with
# training seed 2025 (seed2025/config.yaml), on a copy of 41's data, RF masks, tiles and split
# (2 CPU cores: ~50 min of training, ~10 min of sweeps, probes and screens): experiment 32's
# retrain.sh, its gain screen on this model beside 41's, then experiment 34's screen of the
# synthetic images outside the training set (overviews.py) on both.
#   bash results/lom-ferrite-pearlite/experiment_grain_colonies/run_seed2025.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
E=results/lom-ferrite-pearlite/experiment_grain_colonies/seed2025
D=results/synthetic_grain_colonies_seed2025
S=results/synthetic_grain_colonies E=$E D=$D NEW="grain colonies, seed 2025 (exp. 42)" \
  OLD="grain colonies, seed 2024 (exp. 41)" \
  NAME="grain colonies (C45E), films (C22E), no line, look per image, grey, seed 2025" \
  bash results/lom-ferrite-pearlite/experiment_look_seeds/retrain.sh
M=models/deeplabv3plus_mobilenetv2/checkpoint.pt
.venv/bin/python results/lom-ferrite-pearlite/experiment_grey_truth/overviews.py $D/dataset \
  "grain colonies, seed 2024 (exp. 41)=results/synthetic_grain_colonies/$M" \
  "grain colonies, seed 2025 (exp. 42)=$D/$M" > $E/overviews.md
