#!/usr/bin/env bash
# Experiment 44 on a CPU-only session (2 cores, measured: 35 min of supersampled data and RF masks,
# 52 min of training, 5 min of sweep): one seed (2024), experiment 23's steps without its probes, and
# no overview_scale4.png (1.6 MB each; the device tool's 64 MiB limit, experiment 42's note).
#   bash results/lom-ferrite-pearlite/experiment_light_grain_colonies/run_cpu.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
E=results/lom-ferrite-pearlite/experiment_light_grain_colonies
D=results/synthetic_light_grain_colonies
M=deeplabv3plus_mobilenetv2
C=$D/models/$M/checkpoint.pt
export PATH=$PWD/.venv/bin:$PATH
mkdir -p $E/metrics
snakemake --cores 2 $D/metrics/$M.json $D/metrics/exact_truth/$M.json \
  --configfile workflow/presets/lom_check.yaml $E/config.yaml
cp $D/metrics/$M.json $E/metrics/rf_masks.json
cp $D/metrics/exact_truth/$M.json $E/metrics/exact_truth.json
cp $D/rf_quality.json $D/models/$M/summary.json $D/models/$M/train_log.csv \
  $D/models/$M/curves.png $E/
python results/lom-ferrite-pearlite/experiment_train_seed/sweep.py $C $D/sweep > $E/sweep.md
cp $D/sweep/s1.25/phase_fractions.csv $D/sweep/s1.25/overview.png $E/
