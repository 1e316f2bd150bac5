# Helpers shared by every rule: config validation, paths, option strings. No step logic here.
import glob
import json
import os
import shlex
import sys
from pathlib import Path

import jsonschema
import yaml
from snakemake.utils import validate

SCHEMA = Path(workflow.basedir) / "workflow" / "schemas" / "config.schema.yaml"


def _first_config_error():
    """The config's first schema violation as one line (Snakemake's own message prints the
    whole schema), or None."""
    schema = yaml.safe_load(SCHEMA.read_text(encoding="utf-8"))
    errors = jsonschema.Draft202012Validator(schema).iter_errors(config)
    error = jsonschema.exceptions.best_match(errors)
    if error is None:
        return None
    where = ".".join(map(str, error.absolute_path)) or "the top level"
    return f"config: {where}: {error.message}; docs/configuration.md lists every key"


_CONFIG_ERROR = _first_config_error()
if _CONFIG_ERROR:
    raise ValueError(_CONFIG_ERROR)
validate(config, schema=str(SCHEMA), set_default=True)

# Rules run `python -m steelseg` from this checkout, so per-rule conda envs and containers need
# only the third-party packages. A shell prefix (not os.environ) so it also holds inside
# containers and in jobs re-run on cluster nodes. Without conda/apptainer, `python` must be
# the interpreter running Snakemake (a venv need not be activated).
PACKAGE_ROOT = Path(workflow.basedir) / "workflow"
_ENVS_IN_USE = bool(workflow.deployment_settings.deployment_method)
_PYTHON_PATH = (
    "" if _ENVS_IN_USE else f'export PATH="{Path(sys.executable).parent}:$PATH"; '
)
# (Snakemake formats the prefix too, hence the doubled braces.)
shell.prefix(
    f"set -euo pipefail; {_PYTHON_PATH}"
    f'export PYTHONPATH="{PACKAGE_ROOT}${{{{PYTHONPATH:+:$PYTHONPATH}}}}"; '
)

# Apptainer images built from containers/<env>.def (one per conda env in envs/), used by
# --sdm apptainer; STEELSEG_CONTAINERS names another folder of .sif files (a shared site copy).
CONTAINERS = os.environ.get("STEELSEG_CONTAINERS") or str(
    Path(workflow.basedir) / "containers"
)


_APPTAINER = "APPTAINER" in {
    method.name for method in workflow.deployment_settings.deployment_method
}


def image(env):
    """The rule's Apptainer image, where --sdm apptainer asks for one (Snakemake refuses an image
    path with a space even where no container runs, so none is named then)."""
    if not _APPTAINER:
        return None
    path = f"{CONTAINERS}/{env}.sif"
    if " " in path:
        raise ValueError(
            f"containers: Apptainer image path '{path}' has a space, which Snakemake refuses; "
            "set STEELSEG_CONTAINERS to a folder of .sif files whose path has none"
        )
    return path


DATASET = config["dataset"]["name"]
CLASS_NAMES = ",".join(c["name"] for c in config["dataset"]["classes"])
DATASET_RESULTS = f"results/{DATASET}"


def split_file():
    """The fixed/folds split file (relative paths are read in the data set folder), or []."""
    s = config["split"]
    if s["mode"] not in ("fixed", "folds"):
        return []
    path = os.path.expandvars(s["file"] or "")
    if config["dataset"]["source"] == "folder" and not os.path.isabs(path):
        path = os.path.join(os.path.expandvars(config["dataset"]["path"]), path)
    return path


def _check_config():
    """Cross-key checks a JSON schema cannot express, each naming the key to fix."""
    dataset = config["dataset"]
    if dataset["source"] == "folder":
        path = dataset.get("path")
        if not path:
            raise ValueError(
                "config: dataset.path is empty but dataset.source is 'folder'; "
                "set dataset.path to a data set folder"
            )
        if not os.path.isdir(os.path.expandvars(path)):
            raise ValueError(
                f"config: dataset.path '{path}' is not a folder; fix the path "
                "(environment variables in it are expanded)"
            )
    if config["rf"]["sigma_min"] > config["rf"]["sigma_max"]:
        raise ValueError("config: rf.sigma_min is larger than rf.sigma_max; swap them")
    synth = config["synth"]
    # the per-sample lists mean nothing for a folder data set
    if dataset["source"] == "synthetic":
        for key in ("images_per_sample", "carbon", "grain_size_px", "pearlite"):
            n = len(synth[key]) if isinstance(synth[key], list) else 1
            if n not in (1, synth["samples"]):
                raise ValueError(
                    f"config: synth.{key} has {n} values but synth.samples is "
                    f"{synth['samples']}; give one value or one per sample"
                )
    low, high = synth["colony_density"]
    if low >= high:
        raise ValueError(
            f"config: synth.colony_density [{low}, {high}] is not [low, high] with low < high; "
            "fix the order (default [0.3, 0.75])"
        )
    fractions = config["split"]["fractions"]
    if abs(sum(fractions.values()) - 1) > 1e-6:
        raise ValueError(f"config: split.fractions {fractions} do not sum to 1")
    split, path = config["split"], split_file()
    if split["mode"] in ("fixed", "folds") and not os.path.isfile(path):
        raise ValueError(
            f"config: split.file '{split['file'] or ''}' ({path or 'not set'}) is not a "
            f"file; split.mode {split['mode']} needs the JSON split file"
        )
    predict = config["predict"]
    if predict["images"] and predict["model"] not in config["models"]:
        raise ValueError(
            f"config: predict.model '{predict['model']}' is not among the models trained "
            f"({', '.join(config['models'])}); add it to models or pick one of those"
        )
    for path in predict["ensemble"]:
        # results/... may be made by this workflow (another model); anything else must exist
        where = os.path.expandvars(path)
        if not where.startswith("results/") and not os.path.isfile(where):
            raise ValueError(
                f"config: predict.ensemble '{path}' is not a file; give the checkpoint.pt of "
                "a model trained on the same classes, or remove it"
            )
    for sheet in predict_samples():
        if not os.path.isfile(sheet):
            raise ValueError(
                f"config: predict.samples '{sheet}' is not a file; give a tab-separated "
                "samples.tsv with columns image, sample, or remove it"
            )
    for where in predict_exclusions():
        if not os.path.exists(where):
            raise ValueError(
                f"config: predict.exclude '{where}' does not exist; give a tab-separated file "
                "of boxes (image, x0, y0, x1, y1) or a folder of masks, or remove it"
            )
    if predict["images"] and not predict_inputs():
        raise ValueError(
            f"config: predict.images '{predict['images']}' matches no PNG, TIFF or JPEG file; "
            "fix the folder or pattern"
        )


IMAGE_SUFFIXES = (".png", ".tif", ".tiff", ".jpg", ".jpeg")


def predict_samples():
    """The predict rule's samples.tsv where one is configured (an input: editing it reruns)."""
    where = config["predict"]["samples"]
    return [os.path.expandvars(where)] if where else []


def predict_exclusions():
    """The predict rule's boxes file or mask folder where one is configured (an input)."""
    where = config["predict"]["exclude"]
    return [os.path.expandvars(where)] if where else []


def predict_inputs():
    """Micrographs for the predict rule: a folder's images or a glob's matches, sorted."""
    where = os.path.expandvars(config["predict"]["images"] or "")
    if not where:
        return []
    if os.path.isdir(where):
        found = [os.path.join(where, name) for name in os.listdir(where)]
    else:
        found = glob.glob(where)
    return sorted(
        path
        for path in found
        if os.path.isfile(path)
        and path.lower().endswith(IMAGE_SUFFIXES)
        and not os.path.basename(path).startswith(".")
    )


_check_config()


def fold_ids():
    """Folds mode: the folds to run (config split.folds, or every fold of the file)."""
    if config["split"]["mode"] != "folds":
        return []
    with open(split_file()) as handle:
        available = sorted(
            json.load(handle), key=lambda k: int(k) if k.isdigit() else -1
        )
    chosen = config["split"]["folds"]
    if chosen is None:
        return available
    unknown = [k for k in chosen if str(k) not in available]
    if unknown:
        raise ValueError(
            f"config: split.folds {unknown} not in {split_file()} (folds "
            f"{', '.join(available)}); pick from those"
        )
    return [str(k) for k in chosen]


# Cross-validation: every fold is a run of its own in results/<ds>/folds/<fold> (a wildcard),
# and the compare rule aggregates them; other modes write straight into results/<ds>.
FOLDS = fold_ids()
RESULTS = f"{DATASET_RESULTS}/folds/{{fold}}" if FOLDS else DATASET_RESULTS


def per_fold(paths):
    """Targets of every fold to run (the paths themselves outside folds mode)."""
    return expand(paths, fold=FOLDS, allow_missing=True) if FOLDS else paths


def dataset_dir():
    """The data set folder: generated by the synth rule, or the user's own folder."""
    if config["dataset"]["source"] == "synthetic":
        return f"{RESULTS}/dataset"
    return os.path.expandvars(config["dataset"]["path"])


def dataset_files():
    """A user data set's files (sheet, images, labels, exclusions) as inputs of the steps that
    read them: editing one reruns them; the folder, one input, notices only added or removed
    files. Nothing for the synthetic data, which the synth rule makes.
    """
    if config["dataset"]["source"] == "synthetic":
        return []
    root = dataset_dir()
    sheets = [os.path.join(root, name) for name in ("samples.tsv", "exclude.tsv")]
    folders = ("images", "annotations", "masks", "truth", "exclude")
    files = [
        f for folder in folders for f in glob.glob(os.path.join(root, folder, "*"))
    ]
    return sorted(f for f in sheets + files if os.path.isfile(f))


def _comma_join(value):
    """A value or a list of values as the comma list the CLI takes."""
    return ",".join(map(str, value)) if isinstance(value, list) else str(value)


def synth_options():
    s = config["synth"]
    return (
        f"--samples {s['samples']} "
        f"--images-per-sample {','.join(map(str, s['images_per_sample']))} "
        f"--annotated-per-sample {s['annotated_per_sample']} "
        f"--width {s['width']} --height {s['height']} --carbon {_comma_join(s['carbon'])} "
        f"--grain-size {_comma_join(s['grain_size_px'])} --seed {s['seed']} "
        f"--pearlite {_comma_join(s['pearlite'])} --colony-darkness {s['colony_darkness']} "
        f"--colony-density {_comma_join(s['colony_density'])} "
        f"--interface-depth {s['interface_depth']} --colony-mottle {s['colony_mottle']} "
        f"--look {s['look']} "
        + ("--subpixel-grooves" if s["subpixel_grooves"] else "--drawn-grooves")
        + (" --supersample" if s["supersample"] else " --no-supersample")
    )


def synth_mem_mb(wildcards, threads):
    """Memory the synth job needs (sbatch --mem under profiles/slurm): each process renders
    one image at a time, measured 0.65 GiB at 2080 x 1542 and 5.7 GiB for a supersampled
    overview (15 px grains: 4 x 4 sub-pixels), ~0.3 GiB + ~107 bytes per rendered pixel;
    declared with a margin (tests/test_workflow.py measures a render against it)."""
    s = config["synth"]
    grains = s["grain_size_px"]
    grains = grains if isinstance(grains, list) else [grains]
    # steelseg.synth.supersample_factor, repeated: this interpreter may not import steelseg
    # (tests/test_workflow.py holds the two equal at every grain size)
    k = max(max(1, min(4, round(60 / g))) if s["supersample"] else 1 for g in grains)
    per_process = 400 + s["width"] * s["height"] * k**2 * 120 / 2**20
    counts = s["images_per_sample"]  # one number for every sample, or one per sample
    images = sum(counts) if len(counts) > 1 else counts[0] * s["samples"]
    return int(500 + min(threads, images) * per_process)


def rf_options():
    rf = config["rf"]
    depth = f"--max-depth {rf['max_depth']}" if rf["max_depth"] else ""
    return (
        f"--trees {rf['trees']} --sigma-min {rf['sigma_min']} --sigma-max {rf['sigma_max']} "
        f"--num-sigma {rf['num_sigma']} --seed {rf['seed']} {depth}"
    )


def tile_options():
    t = config["tiles"]
    stride = t["stride"] or t["size"]
    cover = "--cover" if t["cover"] else "--no-cover"
    rotations = ",".join(map(str, t["rotations"]))
    return f"--size {t['size']} --stride {stride} --rotations {rotations} {cover}"


MODELS = list(config["models"])


def model_weights(model):
    """The --weights value: null, a file path, or the fetch_weights output for imagenet."""
    weights = config["models"][model].get("weights")
    if weights == "imagenet":
        return f"{DATASET_RESULTS}/weights/{model}.pt"  # the same for every fold
    return weights or "null"


def weights_input(wildcards):
    """Train depends on the fetched encoder file when ImageNet weights are asked for."""
    weights = config["models"][wildcards.model].get("weights")
    return {"weights": model_weights(wildcards.model)} if weights == "imagenet" else {}


def train_options(wildcards):
    t = config["train"]
    m = config["models"][wildcards.model]
    options = (
        f"--weights {shlex.quote(model_weights(wildcards.model))} "
        f"--batch-size {m.get('batch_size', 32)} "
        f"--epochs {t['epochs']} --lr {t['learning_rate']} --l2 {t['l2']} "
        f"--validation-frequency {t['validation_frequency']} --patience {t['patience']} "
        f"--seed {t['seed']} --device {t['device']} --workers {t['workers']} "
        f"--augment {t['augment']} --labels {t['labels']} --colour {t['colour']}"
    )
    if t["max_iterations"]:
        options += f" --max-iterations {t['max_iterations']}"
    if t["checkpoint_every"]:
        options += f" --checkpoint-every {t['checkpoint_every']}"
    return options


def has_truth():
    """Exact truth exists for synthetic data, or where the user's folder has truth/."""
    if config["dataset"]["source"] == "synthetic":
        return True
    return os.path.isdir(os.path.join(dataset_dir(), "truth"))


# Checked here, not in _check_config: it needs dataset_dir(), which needs RESULTS.
if config["train"]["labels"] == "truth" and not has_truth():
    raise ValueError(
        f"config: train.labels is 'truth' but {dataset_dir()} has no truth/ folder; "
        "set train.labels to masks, or add the exact truth masks as truth/"
    )


def metrics_files():
    files = expand(
        f"{RESULTS}/metrics/{{model}}.json", model=MODELS, allow_missing=True
    )
    if has_truth():
        files += expand(
            f"{RESULTS}/metrics/exact_truth/{{model}}.json",
            model=MODELS,
            allow_missing=True,
        )
    return files


def whole_image_metrics():
    """Scores of whole test images segmented with the sliding window (BF per whole image);
    none for the paper's tile-wise split, whose test images also have tiles in training.
    """
    if config["split"]["mode"] == "paper":
        return []
    references = ["rf_masks"] + (["exact_truth"] if has_truth() else [])
    return expand(
        f"{RESULTS}/metrics/whole_images/{{reference}}/{{model}}.json",
        reference=references,
        model=MODELS,
        allow_missing=True,
    )


def window_options():
    """predict's sliding-window settings (config predict), shared by both predict rules; the
    test images keep their native scale and get no grain sizes."""
    p = config["predict"]
    options = (
        f"--overlap {p['overlap']} --batch {p['batch_size']} "
        f"{'--tta' if p['tta'] else '--no-tta'} --device {config['train']['device']}"
    )
    return options + (f" --tile {p['tile']}" if p["tile"] else "")


def report_options():
    classes = config["dataset"]["classes"]
    return (
        f"--models {','.join(MODELS)} --classes {CLASS_NAMES} "
        f"--colors '{','.join(c['color'] for c in classes)}' "  # quoted: '#' starts a comment
        f"--split-mode {config['split']['mode']}"
    )


def split_options(wildcards):
    s = config["split"]
    f = s["fractions"]
    options = (
        f"--mode {s['mode']} --group-by {s['group_by']} "
        f"--fractions {f['train']},{f['val']},{f['test']} --seed {s['seed']}"
    )
    path = split_file()
    if path:
        options += f" --assignment {shlex.quote(path)}"
    if FOLDS:
        options += f" --fold {wildcards.fold}"
    return options


# An ensemble's predictions (and log) go beside the single model's rather than over them.
_PREDICT_NAME = "_ensemble" if config["predict"]["ensemble"] else ""
PREDICTIONS = (
    f"{RESULTS}/predictions/{config['predict']['model']}/micrographs{_PREDICT_NAME}"
)
PREDICT_LOG = f"{RESULTS}/logs/predict_{config['predict']['model']}{_PREDICT_NAME}.log"


def predict_checkpoints():
    """predict.model's checkpoint, then any predict.ensemble members (averaged with it)."""
    model = config["predict"]["model"]
    extra = [os.path.expandvars(path) for path in config["predict"]["ensemble"]]
    return [f"{RESULTS}/models/{model}/checkpoint.pt", *extra]


def checkpoint_options(wildcards, input):
    return " ".join(f"--checkpoint {shlex.quote(path)}" for path in input.checkpoints)


def predict_options():
    p = config["predict"]
    classes = config["dataset"]["classes"]
    options = (
        f"{window_options()} --scale {p['scale']} --fields {p['fields']} --ci {p['ci']} "
        f"--colors '{','.join(c['color'] for c in classes)}'"
    )
    if p["um_per_px"]:
        options += f" --um-per-px {p['um_per_px']}"
    for sheet in predict_samples():
        options += f" --samples {shlex.quote(sheet)}"
    for where in predict_exclusions():
        options += f" --exclude {shlex.quote(where)}"
    return options


def predict_targets():
    """The predict rule's output where images are configured (part of `all`), else nothing."""
    return [PREDICTIONS] if config["predict"]["images"] else []


def comparison_targets():
    """Folds mode: the cross-validation table over the folds run (part of `all`)."""
    return [f"{DATASET_RESULTS}/tables/comparison.md"] if FOLDS else []


def fold_folders(wildcards, input):
    """The compare rule's fold runs, in fold order: each input's folds/<k> folder, quoted."""
    folders = dict.fromkeys(str(Path(path).parents[3]) for path in input)
    return " ".join(shlex.quote(folder) for folder in folders)


def compare_options():
    published = config["dataset"].get("published")
    options = f"--models {','.join(MODELS)} --classes {CLASS_NAMES}"
    if published:
        options += (
            f" --published {shlex.quote(os.path.join(workflow.basedir, published))}"
        )
    return options
