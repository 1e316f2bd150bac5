#!/usr/bin/env bash
# Experiment 19, end to end, on a checkout with ../shared beside it (2 CPU cores: ~15 min of data,
# 20-40 min per training). SEEDS="2024 2025 2026" bash run.sh   (default: all three)
# Seed 2024 trains on the data it makes; 2025 and 2026 on byte-for-byte copies of them, so that
# only the training (and what follows it) differs. Seeds 2025 and 2026 need seed 2024 for the
# ensemble at the end, not before.
set -euo pipefail
cd "$(dirname "$0")/../../.."
E=results/lom-ferrite-pearlite/experiment_light_colonies
S=results/synthetic_c45e_light_colonies
C=models/deeplabv3plus_mobilenetv2/checkpoint.pt
export PATH=$PWD/.venv/bin:$PATH
M=deeplabv3plus_mobilenetv2
CORES=${CORES:-2}  # CORES=1 to run two seeds side by side on 2 cores
for seed in ${SEEDS:-2024 2025 2026}; do
  if [ "$seed" = 2024 ]; then D=$S; extra=(); out=$E; else
    D=${S}_seed$seed; extra=($E/seed$seed.yaml); out=$E/seed$seed
    snakemake --cores $CORES $S/split.tsv --configfile workflow/presets/lom_check.yaml $E/config.yaml
    mkdir -p $D
    for f in dataset masks tiles test_tiles split.tsv rf_quality.json; do
      [ -e $D/$f ] || cp -a $S/$f $D/
    done
  fi
  snakemake --cores $CORES $D/predictions/$M/micrographs $D/metrics/$M.json \
    $D/metrics/exact_truth/$M.json $D/rf_quality.json \
    --configfile workflow/presets/lom_check.yaml $E/config.yaml "${extra[@]}"
  mkdir -p $out/metrics
  cp $D/metrics/$M.json $out/metrics/rf_masks.json
  cp $D/metrics/exact_truth/$M.json $out/metrics/exact_truth.json
  cp $D/models/$M/summary.json $D/models/$M/train_log.csv $D/models/$M/curves.png $out/
  [ "$seed" = 2024 ] && cp $D/rf_quality.json $out/
  # the real crops at every scale of the earlier sweeps; the preset's (1.25) is the result
  python results/lom-ferrite-pearlite/experiment_train_seed/sweep.py $D/$C $D/sweep > $out/sweep.md
  cp $D/sweep/s1.25/phase_fractions.csv $D/sweep/s1.25/overview.png $out/
  cp $D/sweep/s4/overview.png $out/overview_scale4.png
done
# the three trainings' ensemble (probabilities averaged), once all three exist
if [ -f ${S}_seed2025/$C ] && [ -f ${S}_seed2026/$C ]; then
  mkdir -p $E/ensemble
  python results/lom-ferrite-pearlite/experiment_train_seed/sweep.py \
    $S/$C,${S}_seed2025/$C,${S}_seed2026/$C $S/sweep_ensemble > $E/ensemble/sweep.md
  cp $S/sweep_ensemble/s1.25/phase_fractions.csv $S/sweep_ensemble/s1.25/overview.png $E/ensemble/
fi
# before any model: how light the pearlite is against its ferrite, default data against these
snakemake --cores $CORES results/synthetic_c45e/dataset --configfile workflow/presets/lom_check.yaml
python $E/contrast.py ../shared/data/lom-ferrite-pearlite results/synthetic_c45e/dataset \
  $S/dataset > $E/contrast.md
