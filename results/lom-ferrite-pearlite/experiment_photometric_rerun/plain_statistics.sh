#!/usr/bin/env bash
# The paired control of experiments 20 and 21: the trained weights in DATA's checkpoint with
# BatchNorm statistics over the plain tiles (the old code), swept over the real crops and scored
# on the synthetic test tiles; its files under OUT/plain_statistics. Called by their run.sh.
#   bash plain_statistics.sh DATA OUT   (DATA: results/<dataset name>, OUT: the experiment folder)
set -euo pipefail
D=$1 E=$2
M=deeplabv3plus_mobilenetv2
H=results/lom-ferrite-pearlite
mkdir -p $E/plain_statistics/metrics
python $H/experiment_photometric_rerun/plain_statistics.py $D/models/$M/checkpoint.pt $D/tiles \
  $D/split.tsv $D/plain_statistics.pt
python $H/experiment_train_seed/sweep.py $D/plain_statistics.pt $D/sweep_plain \
  > $E/plain_statistics/sweep.md
steelseg predict-tiles --checkpoint $D/plain_statistics.pt --tiles $D/tiles --split $D/split.tsv \
  --set test --out $D/predictions/plain_statistics/test_tiles --threads 2
for ref in exact_truth rf_masks; do
  steelseg evaluate --pred $D/predictions/plain_statistics/test_tiles --truth $D/test_tiles/$ref \
    --num-classes 2 --class-names ferrite,pearlite --scored-on tiles --reference $ref \
    --model ${M}_plain_statistics --groups $D/test_tiles/$ref/groups.tsv \
    --out $E/plain_statistics/metrics/$ref.json
done
cp $D/sweep_plain/s1.25/phase_fractions.csv $D/sweep_plain/s1.25/overview.png $E/plain_statistics/
