#!/usr/bin/env bash
# Experiment 18, end to end, on a checkout with ../shared beside it (2 CPU cores: 15 min of data,
# 21-39 min per training). SEEDS="2024 2025 2026" bash run.sh   (default: 2024)
set -euo pipefail
cd "$(dirname "$0")/../../.."
E=results/lom-ferrite-pearlite/experiment_white_balance
R=results/synthetic_c45e      # the default data, config.yaml unchanged
W=results/synthetic_c45e_wb   # its white-balanced copy (not committed)
export PATH=$PWD/.venv/bin:$PATH
snakemake --cores 2 $R/split.tsv --configfile workflow/presets/lom_check.yaml
[ -d $W/tiles ] || python $E/balance.py tiles $R/dataset $R/tiles $W/tiles
[ -d $W/crops ] || python $E/balance.py images ../shared/data/lom-ferrite-pearlite $W/crops
for ref in exact_truth:truth rf_masks:masks; do
  [ -d $W/test_tiles/${ref%%:*} ] || steelseg export-tiles --tiles $W/tiles --split $R/split.tsv \
    --set test --labels ${ref##*:} --out $W/test_tiles/${ref%%:*}
done
for seed in ${SEEDS:-2024}; do
  M=$W/models/seed$seed
  python -m steelseg train --tiles $W/tiles --split $R/split.tsv \
    --model deeplabv3plus_mobilenetv2 --classes ferrite,pearlite --out $M --weights null \
    --batch-size 32 --epochs 3 --lr 0.001 --l2 0.0001 --validation-frequency 50 --patience 4 \
    --seed $seed --device auto --workers 1 --augment none --labels masks --threads 2
  [ -d $M/test_tiles ] || steelseg predict-tiles --checkpoint $M/checkpoint.pt --tiles $W/tiles \
    --split $R/split.tsv --set test --out $M/test_tiles --threads 2
  mkdir -p $E/seed$seed/metrics
  for ref in exact_truth rf_masks; do
    steelseg evaluate --pred $M/test_tiles --truth $W/test_tiles/$ref --num-classes 2 \
      --class-names ferrite,pearlite --scored-on tiles --reference $ref \
      --model deeplabv3plus_mobilenetv2_white_balanced --groups $W/test_tiles/$ref/groups.tsv \
      --out $E/seed$seed/metrics/$ref.json
  done
  # the real crops, white-balanced the same way, at every scale of the earlier sweeps
  python results/lom-ferrite-pearlite/experiment_train_seed/sweep.py $M/checkpoint.pt \
    $M/sweep $W/crops > $E/seed$seed/sweep.md
  cp $M/sweep/s1.25/phase_fractions.csv $M/sweep/s1.25/overview.png $E/seed$seed/
  cp $M/sweep/s4/overview.png $E/seed$seed/overview_scale4.png
  cp $M/summary.json $M/train_log.csv $M/curves.png $E/seed$seed/
done
