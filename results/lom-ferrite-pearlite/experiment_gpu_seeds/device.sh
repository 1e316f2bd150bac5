#!/usr/bin/env bash
# Experiments 42 and 43 on a GPU machine (one H200, 16 CPU cores, the workplace's Python with
# torch; segmentation-models-pytorch carried as a wheel): each data set regenerated from its seed,
# paired with the RF masks and split made on the CPU machine (prepare.sh: .carry/<name>/), then
# one training per seed, all at once on the one GPU, each scored on the synthetic test tiles and
# swept over --scale on the four real crops; bench/bench_predict.py on the GPU beside the data
# stage (pinned to 4 cores, the data to the other 12).
#   SEEDS="2024 2025 2026" bash results/lom-ferrite-pearlite/experiment_gpu_seeds/device.sh
# Writes report_<name>.tar.gz and bench.tar.gz to $OUT as each stage ends (a run stopped at its
# time limit still returns what it finished). Checkpoints stay on the GPU machine (17 MB each).
set -uo pipefail
cd "$(dirname "$0")/../../.."
PY=${PY:-python3}
OUT=${OUT:-/tmp/out}
W=${W:-/tmp/gpu_work}
SEEDS=${SEEDS:-2024 2025 2026 2027}
NAMES=${NAMES:-$(ls .carry | grep -v '^lom$' | tr '\n' ' ')}
SYNTH_WORKERS=${SYNTH_WORKERS:-6}  # a supersampled overview takes ~6 GB
CROPS=${CROPS:-$PWD/.carry/lom}
HERE=results/lom-ferrite-pearlite/experiment_gpu_seeds
M=deeplabv3plus_mobilenetv2
DEVICE=${DEVICE:-cuda}  # cpu: a rehearsal on the CPU machine
mkdir -p "$OUT" "$W/bin"
# The GPU machine's Python has torch but not segmentation-models-pytorch: install the carried
# wheel (.whl/, prepare.sh's note) first. Its first run here did this after the script, so every
# training failed on import; call 2 reran the trainings on call 1's data (README.md).
if ! $PY -c "import segmentation_models_pytorch" 2> /dev/null; then
  $PY -m pip install -q --no-index --no-deps --no-compile --target "$W/site" .whl/*.whl || exit 1
  export PYTHONPATH=$W/site${PYTHONPATH:+:$PYTHONPATH}
fi
export PYTHONUNBUFFERED=1 PYTHONPATH=$PWD/workflow${PYTHONPATH:+:$PYTHONPATH}
printf '#!/bin/sh\nexec %s -m steelseg "$@"\n' "$PY" > "$W/bin/steelseg"  # sweep.py calls it
chmod +x "$W/bin/steelseg"
export PATH=$W/bin:$PATH
PIN=""  # the data on cores 0-11, the benchmark on 12-15
if command -v taskset > /dev/null && [ "$(nproc)" -ge 16 ]; then PIN="taskset -c 0-11"; fi
stamp() { echo "[$(date +%T) +${SECONDS}s] $*"; }
pack() {  # the report so far of data set $1 (the jobs running side by side take turns)
  local lock=""
  if command -v flock > /dev/null; then lock="flock $W/pack.lock"; fi
  $lock tar -czf "$OUT/report_$1.tar.gz" -C "$W/report" "$1" 2>/dev/null
}

data() {  # regenerate the images, check them against the CPU machine's, tile with its masks
  local n=$1 d=$W/$1 r=$W/report/$1 c=.carry/$1
  mkdir -p "$r"
  # shellcheck disable=SC1090
  source "$c/args.sh"
  $PIN $PY -m steelseg synth --out "$d/dataset" $SYNTH_ARGS --workers "$SYNTH_WORKERS" \
    > "$r/synth.log" 2>&1 || { stamp "$n: synth failed"; return 1; }
  $PY $HERE/array_hashes.py "$d/dataset" > "$r/hashes_gpu.txt"
  # Same truth everywhere is required; images may differ in a few pixels' last bit (other numpy
  # and scipy builds), which the report counts.
  $PY $HERE/array_hashes.py --compare "$c/hashes.txt" "$r/hashes_gpu.txt" > "$r/hashes.md"
  cp "$c/rf_quality.json" "$c/split.tsv" "$r/"
  $PIN $PY -m steelseg tile --dataset "$d/dataset" --masks "$c/masks" --classes ferrite,pearlite \
    --out "$d/tiles" $TILE_ARGS > "$r/tile.log" 2>&1 || { stamp "$n: tile failed"; return 1; }
  cp "$c/split.tsv" "$d/split.tsv"
  for labels in masks truth; do
    $PY -m steelseg export-tiles --tiles "$d/tiles" --split "$d/split.tsv" --set test \
      --labels $labels --out "$d/test_tiles/$labels" > "$r/export_$labels.log" 2>&1
  done
  pack "$n"
}

train_one() {  # one seed: train, score the synthetic test tiles, sweep the real crops
  local n=$1 seed=$2 d=$W/$1 r=$W/report/$1/seed$2
  # shellcheck disable=SC1090
  source ".carry/$n/args.sh"
  mkdir -p "$r"
  $PY -m steelseg train --tiles "$d/tiles" --split "$d/split.tsv" --model $M \
    --classes ferrite,pearlite --out "$d/models/seed$seed" --seed "$seed" --device $DEVICE \
    --workers 2 --threads 2 $TRAIN_ARGS > "$r/train.log" 2>&1 || { stamp "$n $seed: train failed"; return 1; }
  cp "$d/models/seed$seed"/{summary.json,train_log.csv,curves.png} "$r/"
  $PY -m steelseg predict-tiles --checkpoint "$d/models/seed$seed/checkpoint.pt" \
    --tiles "$d/tiles" --split "$d/split.tsv" --set test --out "$d/pred/seed$seed" \
    --device $DEVICE --threads 2 > "$r/predict_tiles.log" 2>&1
  for labels in masks truth; do
    $PY -m steelseg evaluate --pred "$d/pred/seed$seed" --truth "$d/test_tiles/$labels" \
      --num-classes 2 --class-names ferrite,pearlite --scored-on tiles --reference $labels \
      --model $M --groups "$d/test_tiles/$labels/groups.tsv" --out "$r/metrics_$labels.json" \
      > "$r/evaluate_$labels.log" 2>&1 &
  done
  $PY results/lom-ferrite-pearlite/experiment_train_seed/sweep.py \
    "$d/models/seed$seed/checkpoint.pt" "$d/sweep/seed$seed" "$CROPS" > "$r/sweep.md" 2> "$r/sweep.log"
  cp "$d/sweep/seed$seed/s1.25/phase_fractions.csv" "$d/sweep/seed$seed/s1.25/overview.png" "$r/"
  wait
  pack "$n"
  stamp "$n seed $seed done"
}

bench() {  # on the last 4 cores while the data are made on the others (BENCH=0: none)
  mkdir -p "$W/bench"
  local pin=""
  if [ -n "$PIN" ]; then pin="taskset -c 12-15"; fi
  {
    echo "\$ python bench/bench_predict.py --device cuda --threads 4 --images 5   # ${pin:-no pinning}"
    timeout 200 $pin $PY bench/bench_predict.py --device cuda --threads 4 --images 5
    echo
    echo "\$ python bench/bench_predict.py --device cuda --threads 4 --images 5 --batch 64"
    timeout 100 $pin $PY bench/bench_predict.py --device cuda --threads 4 --images 5 --batch 64
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
  } > "$W/bench/bench_gpu.md" 2> "$W/bench/bench.log"
  tar -czf "$OUT/bench.tar.gz" -C "$W" bench
  stamp "bench done"
}

stamp "start on $(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null || echo cpu)"
$PY -c "import torch, segmentation_models_pytorch as smp; print('torch', torch.__version__, 'smp', smp.__version__, 'cuda', torch.cuda.is_available())"
if [ "${BENCH:-1}" = 1 ]; then bench & fi
if [ "${DATA:-1}" = 1 ]; then  # DATA=0: the data sets are already in $W (a second call)
  pids=()
  for n in $NAMES; do data "$n" & pids+=($!); done
  wait "${pids[@]}"
  stamp "data done"
fi
ensemble() {  # the seeds' mean probabilities at the preset scale (experiment 14's ensemble)
  local n=$1 d=$W/$1 r=$W/report/$1/ensemble args=()
  mkdir -p "$r"
  for seed in $SEEDS; do args+=(--checkpoint "$d/models/seed$seed/checkpoint.pt"); done
  $PY -m steelseg predict "$CROPS" "${args[@]}" --out "$d/ensemble" --scale 1.25 --no-tta \
    --threads 2 > "$r/predict.log" 2>&1 && cp "$d/ensemble/phase_fractions.csv" "$r/"
  pack "$n"
  stamp "$n ensemble done"
}

for n in $NAMES; do
  (
    for seed in $SEEDS; do train_one "$n" "$seed" & done
    wait
    ensemble "$n"
  ) &
done
wait
stamp "end"
