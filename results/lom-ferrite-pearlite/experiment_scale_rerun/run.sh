#!/usr/bin/env bash
# Experiment 21, end to end, on a checkout with ../shared beside it (2 CPU cores: ~15 min of
# data, two trainings of ~50 min, ~15 min for the control, sweeps and probe).
#   bash results/lom-ferrite-pearlite/experiment_scale_rerun/run.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
E=results/lom-ferrite-pearlite/experiment_scale_rerun
S=results/synthetic_c45e
D=results/synthetic_c45e_scale
M=deeplabv3plus_mobilenetv2
C=models/$M/checkpoint.pt
export PATH=$PWD/.venv/bin:$PATH
# the main result's data, masks, tiles and split, byte for byte; only the training differs
snakemake --cores 2 $S/split.tsv $S/test_tiles/exact_truth $S/test_tiles/rf_masks \
  $S/rf_quality.json --configfile workflow/presets/lom_check.yaml
# one training on a byte-for-byte copy of the data, its files under OUT: train D OUT [CONFIG...]
train() {
  local d=$1 out=$2
  shift 2
  mkdir -p $d $out/metrics
  for f in dataset masks tiles test_tiles split.tsv rf_quality.json; do
    [ -e $d/$f ] || cp -a $S/$f $d/
  done
  snakemake --cores 2 $d/predictions/$M/micrographs $d/metrics/$M.json \
    $d/metrics/exact_truth/$M.json --configfile workflow/presets/lom_check.yaml $E/config.yaml "$@"
  cp $d/metrics/$M.json $out/metrics/rf_masks.json
  cp $d/metrics/exact_truth/$M.json $out/metrics/exact_truth.json
  cp $d/models/$M/summary.json $d/models/$M/train_log.csv $d/models/$M/curves.png $out/
  python results/lom-ferrite-pearlite/experiment_train_seed/sweep.py $d/$C $d/sweep > $out/sweep.md
  cp $d/sweep/s1.25/phase_fractions.csv $d/sweep/s1.25/overview.png $out/
  cp $d/sweep/s4/overview.png $out/overview_scale4.png
}
train $D $E
# the paired control: the same weights, BatchNorm statistics over the plain tiles (the old code)
bash results/lom-ferrite-pearlite/experiment_photometric_rerun/plain_statistics.sh $D $E
# a second training seed on another byte-for-byte copy of the same data (no control this time)
D2=${D}_seed2025
train $D2 $E/seed2025 $E/seed2025.yaml
# the in-distribution probe: synthetic C22E overviews at 1x / 2x / 4x (experiment 20's and 19's
# checkpoints too, where they are on this machine: their run.sh first)
P20=results/synthetic_c45e_photometric
P19=results/synthetic_c45e_light_colonies/$C
runs=("scale, seed 2024 (fixed)=$D/$C" "scale, seed 2024, plain statistics=$D/plain_statistics.pt"
  "scale, seed 2025=$D2/$C")
[ -f $P20/$C ] && runs+=("photometric (exp. 20, fixed)=$P20/$C"
  "photometric, plain statistics=$P20/plain_statistics.pt")
[ -f $P19 ] && runs+=("raw, light colonies (exp. 19, seed 2024)=$P19")
python $E/synthetic_c22e.py $D/c22e_probe "${runs[@]}" > $E/synthetic_c22e.md
