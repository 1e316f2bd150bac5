#!/usr/bin/env bash
# Experiment 22, no training: measurements and input interventions with experiments 19-21's
# checkpoints (their run.sh first; a checkpoint that is not on this machine is left out).
# On a checkout with ../shared beside it; ~25 min on 2 CPU cores.
#   bash results/lom-ferrite-pearlite/experiment_texture_probe/run.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
E=results/lom-ferrite-pearlite/experiment_texture_probe
O=results/texture_probe # synthetic overviews, altered crops, predictions (not committed)
C=models/deeplabv3plus_mobilenetv2/checkpoint.pt
export PATH=$PWD/.venv/bin:$PATH
# synthetic overviews as synthetic_c22e.py draws them (15 px grains, seed 7), C22E supersampled
# and C45E beside them
for spec in "c22e_supersampled 0.22 islands --supersample" "c45e 0.45 network"; do
  set -- $spec
  [ -d $O/$1/truth ] || steelseg synth --out $O/$1 --samples 1 --images-per-sample 1 \
    --annotated-per-sample 1 --grain-size 15 --seed 7 --carbon $2 --pearlite $3 ${4:-} >/dev/null
done
runs=()
for spec in "scale, seed 2024 (exp. 21)=results/synthetic_c45e_scale" \
  "scale, seed 2025 (exp. 21)=results/synthetic_c45e_scale_seed2025" \
  "photometric (exp. 20)=results/synthetic_c45e_photometric" \
  "raw, light colonies (exp. 19)=results/synthetic_c45e_light_colonies"; do
  [ -f "${spec#*=}/$C" ] && runs+=("${spec%=*}=${spec#*=}/$C")
done
python $E/reverse.py $O/reverse "${runs[@]}" > $E/reverse.md # writes the C22E crop first
python $E/texture.py "C22E islands=$O/reverse/islands/images/S1_annealed_01.png" \
  "C22E supersampled=$O/c22e_supersampled/images/S1_annealed_01.png" \
  "C45E=$O/c45e/images/S1_annealed_01.png" > $E/texture.md
python $E/transplant.py $O/transplant "${runs[@]}" > $E/transplant.md
python $E/probabilities.py $O/reverse/crops/c22e_islands.png "${runs[@]}" > $E/probabilities.md
python $E/figure.py $O/reverse/islands/images/S1_annealed_01.png $E/texture.png
