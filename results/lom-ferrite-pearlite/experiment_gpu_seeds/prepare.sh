#!/usr/bin/env bash
# On the CPU machine, before device.sh: for each NAME=CONFIG (an experiment's config.yaml, added
# after workflow/presets/lom_check.yaml) whose data set, RF masks and split are made here
# (snakemake ... <results>/split.tsv), put what the GPU machine needs in .carry/NAME (ignored by
# git; `carry` sends it): the RF masks, split.tsv, rf_quality.json, the pixel hashes of the data
# set, and args.sh with the synth, tile and train options the workflow passes (from a dry run);
# the four real crops in .carry/lom (a transport copy, never committed). The GPU machine's Python
# lacks segmentation-models-pytorch: put its wheel in .whl/ (ignored too), as the device tool's
# README says (pip download --no-deps --only-binary=:all: --python-version 3.12 ... -d .whl
# segmentation-models-pytorch==0.6.0), and carry both: run(carry=[".carry", ".whl"]).
#   bash results/lom-ferrite-pearlite/experiment_gpu_seeds/prepare.sh \
#     grain_colonies=results/lom-ferrite-pearlite/experiment_grain_colonies/config.yaml ...
set -euo pipefail
cd "$(dirname "$0")/../../.."
HERE=results/lom-ferrite-pearlite/experiment_gpu_seeds
M=deeplabv3plus_mobilenetv2
mkdir -p .carry/lom
cp ../shared/data/lom-ferrite-pearlite/*.png .carry/lom/
for spec in "$@"; do
  name=${spec%%=*} config=${spec#*=}
  results=results/$(.venv/bin/python -c "import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))['dataset']['name'])" "$config")
  carry=.carry/$name
  rm -rf "$carry" && mkdir -p "$carry"
  cp -r "$results/masks" "$results/split.tsv" "$results/rf_quality.json" "$carry/"
  .venv/bin/python $HERE/array_hashes.py "$results/dataset" > "$carry/hashes.txt"
  dry=$(.venv/bin/snakemake -n -p --nolock --forceall "$results/models/$M/checkpoint.pt" \
    --configfile workflow/presets/lom_check.yaml "$config")
  option() {  # the options of one steelseg command in the dry run, without paths, device, threads
    grep -o "steelseg $1 .*" <<< "$dry" | head -1 | sed -e 's/ >.*//' -e 's/--\(out\|dataset\|masks\|tiles\|split\|classes\|model\|device\|workers\|threads\|seed\) [^ ]*//g' -e "s/^steelseg $1//"
  }
  {
    echo "SYNTH_ARGS='$(option synth) --seed $(grep -o 'steelseg synth .*--seed [0-9]*' <<< "$dry" | grep -o '[0-9]*$')'"
    echo "TILE_ARGS='$(option tile)'"
    echo "TRAIN_ARGS='$(option train)'"
  } > "$carry/args.sh"
  cat "$carry/args.sh"
done
du -sh .carry
