#!/usr/bin/env bash
# Experiment 20, end to end, on a checkout with ../shared beside it (2 CPU cores: ~15 min of
# data, ~65 min of training, ~10 min for the paired control and the sweeps).
#   bash results/lom-ferrite-pearlite/experiment_photometric_rerun/run.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
E=results/lom-ferrite-pearlite/experiment_photometric_rerun
S=results/synthetic_c45e
D=results/synthetic_c45e_photometric
M=deeplabv3plus_mobilenetv2
C=models/$M/checkpoint.pt
export PATH=$PWD/.venv/bin:$PATH
# the main result's data, masks, tiles and split, byte for byte; only the training differs
snakemake --cores 2 $S/split.tsv $S/test_tiles/exact_truth $S/test_tiles/rf_masks \
  $S/rf_quality.json --configfile workflow/presets/lom_check.yaml
mkdir -p $D
for f in dataset masks tiles test_tiles split.tsv rf_quality.json; do
  [ -e $D/$f ] || cp -a $S/$f $D/
done
snakemake --cores 2 $D/predictions/$M/micrographs $D/metrics/$M.json \
  $D/metrics/exact_truth/$M.json --configfile workflow/presets/lom_check.yaml $E/config.yaml
mkdir -p $E/metrics
cp $D/metrics/$M.json $E/metrics/rf_masks.json
cp $D/metrics/exact_truth/$M.json $E/metrics/exact_truth.json
cp $D/models/$M/summary.json $D/models/$M/train_log.csv $D/models/$M/curves.png $E/
python results/lom-ferrite-pearlite/experiment_train_seed/sweep.py $D/$C $D/sweep > $E/sweep.md
cp $D/sweep/s1.25/phase_fractions.csv $D/sweep/s1.25/overview.png $E/
cp $D/sweep/s4/overview.png $E/overview_scale4.png
# the paired control: the same weights, BatchNorm statistics over the plain tiles (the old code)
bash results/lom-ferrite-pearlite/experiment_photometric_rerun/plain_statistics.sh $D $E
