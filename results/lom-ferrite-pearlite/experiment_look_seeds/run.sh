#!/usr/bin/env bash
# Experiment 32, on a checkout with ../shared beside it, after experiments 28 and 31 (their data
# and checkpoints on this machine; checkpoints are not committed). Training seed 2025 of 31's
# configuration (look: image) and of 28's (look: sample), on copies of each one's data, RF masks,
# tiles and split, so only the training and what follows run (retrain.sh; 2 CPU cores: ~35 min of
# training and ~15 min of sweeps, probes and screens each). Each ends with experiment 31's gain
# screen on the new model beside the seed-2024 model of the same configuration.
#   bash results/lom-ferrite-pearlite/experiment_look_seeds/run.sh [look_image|look_sample]...
set -euo pipefail
cd "$(dirname "$0")/../../.."
X=results/lom-ferrite-pearlite/experiment_look_seeds
runs=("$@")
[ $# -gt 0 ] || runs=(look_image look_sample)
for look in "${runs[@]}"; do
  case $look in
    look_image) S=results/synthetic_look_per_image; L="look per image" ;;
    look_sample) S=results/synthetic_carbon_spread_films; L="look per sample" ;;
    *) echo "run.sh: unknown run '$look'; use look_image or look_sample" >&2; exit 2 ;;
  esac
  E=$X/${look}_seed2025 D=${S}_seed2025 NEW="seed 2025" OLD="seed 2024" \
    NAME="films, no line, C22E overviews, $L, seed 2025" S=$S \
    bash $X/retrain.sh
done
