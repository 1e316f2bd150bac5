#!/usr/bin/env bash
# One GPU call, as the device tool runs it in the repository root (carry: .gpu):
#   bash bench/gpu/call.sh paper    # call 1: the paper's data set, five trainings, Tables 3-4
#   bash bench/gpu/call.sh uhcs24   # call 2: UHCS-24 six folds, comparison, benchmark, determinism
# The GPU machine's Python has PyTorch and the scientific stack but not
# segmentation-models-pytorch: it is installed from the wheels bench/gpu/prepare.py carried.
# OUT (set by the device tool) receives each finished part; DEVICE=cpu rehearses on a CPU.
set -euo pipefail
cd "$(dirname "$0")/../.."
call=$1; shift
site=${SITE:-/tmp/site} carry=${CARRY:-.gpu}
if compgen -G "$carry/wheels/*.whl" >/dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target "$site" "$carry"/wheels/*.whl
  export PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}"
fi
export PYTHONPATH="$PWD/workflow${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv >"$OUT/gpu.txt" 2>&1 || true
python3 bench/gpu/run.py "$call" --carry "$carry" --work "${WORK:-/tmp/steelseg}" --out "$OUT" \
  --device "${DEVICE:-cuda}" "$@"
