# Experiment 17: AdaBN (BatchNorm statistics re-estimated on the images to segment), no training.
# Run from the repository root with the seven checkpoints of experiments 13-16 in place
# (results/synthetic_c45e_*/models/deeplabv3plus_mobilenetv2/checkpoint.pt, not committed).
# With .venv/bin on PATH. Scratch under /tmp/adabn; the crops are linked from ../shared, never copied.
set -e
E=results/lom-ferrite-pearlite/experiment_adabn
mkdir -p /tmp/adabn/real_all /tmp/adabn/real_lo /tmp/adabn/real_hi /tmp/adabn/syn_lo/images /tmp/adabn/syn_hi/images
S=$PWD/../shared/data/lom-ferrite-pearlite
ln -sf $S/*.png /tmp/adabn/real_all/; ln -sf $S/sae1020_* /tmp/adabn/real_lo/; ln -sf $S/sae1045_* /tmp/adabn/real_hi/
for i in sae1020_1 sae1020_2 sae1045_1 sae1045_2; do mkdir -p /tmp/adabn/img_$i; ln -sf $S/$i.png /tmp/adabn/img_$i/; done
# a synthetic set shaped like the real one, with exact truth: overview scale, two C20 and two C45 images
steelseg synth --out /tmp/adabn/syn --samples 4 --images-per-sample 1 --annotated-per-sample 1 \
  --width 640 --height 640 --carbon 0.2,0.2,0.45,0.45 --grain-size 15 --seed 99
ln -sf /tmp/adabn/syn/images/S1_* /tmp/adabn/syn/images/S2_* /tmp/adabn/syn_lo/images/
ln -sf /tmp/adabn/syn/images/S3_* /tmp/adabn/syn/images/S4_* /tmp/adabn/syn_hi/images/
python $E/relight.py          # syn_relit (each re-lit to one real crop's ferrite colour), syn_dark (x0.8)
for d in synthetic_c45e_seed2024 synthetic_c45e_seed2025 synthetic_c45e_seed2026 synthetic_c45e_supersample \
         synthetic_c45e_supersample_seed2025 synthetic_c45e_supersample_seed2026 synthetic_c45e_supersample_truth; do
  steelseg predict /tmp/adabn/real_all --scale 1.25 --threads 2 --out /tmp/adabn/none_$d \
    --checkpoint results/$d/models/deeplabv3plus_mobilenetv2/checkpoint.pt
done
python $E/run_real.py                          # real crops: AdaBN pooled / per steel / per image
python $E/table_real.py > $E/real_crops.md
python $E/run_syn.py syn,syn_relit,syn_dark    # synthetic: none / all / encoder / stem layers
python $E/table_syn.py > $E/synthetic.md
python $E/run_comp.py > $E/composition.txt     # synthetic: AdaBN on the C20 pair, on the C45 pair
