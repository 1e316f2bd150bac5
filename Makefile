# Two commands do everything on a fresh machine (README):
#   make demo   set up, then run the whole workflow on the embedded synthetic data (CPU preset)
#   make test   set up, then lint and run the test suite (what CI runs)
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
CORES ?= 2
# Another package index for torch and torchvision (their versions pinned in requirements.txt),
# e.g. PyTorch's CPU-only wheels: make setup TORCH_INDEX=https://download.pytorch.org/whl/cpu
TORCH_INDEX ?=

.PHONY: setup demo paper uhcs24 gpu-prepare lint test bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(if $(TORCH_INDEX),$(BIN)/python -m pip install --quiet --index-url $(TORCH_INDEX) \
	  $$(grep -E '^(torch|torchvision)==' requirements.txt))
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

demo: setup
	$(BIN)/snakemake --cores $(CORES) --configfile workflow/presets/cpu.yaml

paper: setup
	$(BIN)/snakemake --cores 8 --resources gpu=1

# UHCS-24 cross-validation (DeCost et al.'s 6 folds, all five models; a GPU machine): one run per
# fold in results/uhcs24/folds/<k>, then results/uhcs24/tables/comparison.md.
UHCS24 ?= ../shared/data/uhcs24
uhcs24: setup
	STEELSEG_UHCS24=$(UHCS24) $(BIN)/snakemake --cores 8 --resources gpu=1 \
	  --configfile workflow/presets/uhcs24.yaml

# A GPU session (docs/deployment.md): the wheels, RF masks, split and UHCS-24 files the GPU
# machine needs, in .gpu/ (ignored by git), and the size of what will travel.
gpu-prepare: setup
	$(BIN)/python bench/gpu/prepare.py --cores $(CORES)

lint: setup
	$(BIN)/snakemake --lint
	$(BIN)/snakefmt --check Snakefile workflow/rules
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/python -m pytest -q

bench: setup
	$(BIN)/python bench/bench_rf.py
	$(BIN)/python bench/bench_tiles.py
	$(BIN)/python bench/bench_predict.py

# The workflow's outputs: results/ (all of it written by the workflow; the curated reports live
# in docs/) and Snakemake's state.
clean:
	rm -rf results .snakemake
