"""The Snakemake workflow itself: a real smoke run, config validation, real public data."""

import csv
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tifffile
from steelseg import io, quantify, synth
from steelseg.models import PAPER_MODELS

from .conftest import REPO, SHARED_DATA, make_synthetic, snakemake


@pytest.mark.slow
def test_smoke_run_from_nothing_to_trained_models(tmp_path):
    # Run where a path has spaces and non-ASCII characters: every path is quoted.
    tmp_path = tmp_path / "run dir é"
    tmp_path.mkdir()
    # New micrographs for the predict rule: an odd size as PNG and a 16-bit TIFF.
    new = tmp_path / "new micrographs ü"
    rng = np.random.default_rng(0)
    look = synth.sample_look(rng)
    image, _, _ = synth.micrograph(rng, 150, 230, 0.4, 30, synth.ANNEALED, look)
    io.write_png(new / "odd_size.png", image)
    tifffile.imwrite(new / "sixteen_bit.tif", image.astype(np.uint16) * 257)
    result = snakemake(
        tmp_path,
        "--configfile",
        str(REPO / "workflow/presets/smoke.yaml"),
        "--config",
        f"predict={{'images': '{new}'}}",
    )
    assert result.returncode == 0, result.stdout[-3000:]
    out = tmp_path / "results" / "smoke"
    predicted = out / "predictions" / "deeplabv3plus_mobilenetv2" / "micrographs"
    with open(predicted / "phase_fractions.csv") as handle:
        fractions = list(csv.DictReader(handle))
    assert [r["image"] for r in fractions] == ["odd_size", "sixteen_bit"]
    for row in fractions:
        assert float(row["fraction_ferrite"]) + float(row["fraction_pearlite"]) == pytest.approx(1)
        assert 0 <= float(row["ci95_pearlite"]) < 0.5  # predict.fields: 4 by default
        mask = io.read_labels(predicted / "masks" / f"{row['image']}.png", 2)
        assert mask.shape == (150, 230)
    assert (predicted / "overview.png").stat().st_size > 10_000
    # predict.ensemble: two trained models' probabilities averaged, written beside the single
    # model's predictions, which stay as they were.
    before = (predicted / "phase_fractions.csv").read_bytes()
    member = "results/smoke/models/deeplabv3plus_resnet18/checkpoint.pt"
    sheet = tmp_path / "samples.tsv"  # and predict.samples: both images one specimen,
    # predict.ci: integral-range, and predict.exclude: a scale bar on odd_size
    sheet.write_text("image\tsample\nodd_size\tS\nsixteen_bit.tif\tS\n")
    boxes = tmp_path / "exclude.tsv"
    boxes.write_text("image\tx0\ty0\tx1\ty1\nodd_size\t150\t140\t230\t150\n")
    ensemble = snakemake(
        tmp_path,
        "--configfile",
        str(REPO / "workflow/presets/smoke.yaml"),
        "--config",
        f"predict={{'images': '{new}', 'ensemble': ['{member}'], 'samples': '{sheet}', "
        f"'ci': 'integral-range', 'exclude': '{boxes}'}}",
    )
    assert ensemble.returncode == 0, ensemble.stdout[-3000:]
    # Nothing runs but the ensemble's predict (and the target rule).
    assert re.findall(r"^(?:local)?rule (\w+):", ensemble.stdout, re.M) == ["predict", "all"]
    averaged = predicted.parent / "micrographs_ensemble"
    log = (out / "logs" / "predict_deeplabv3plus_mobilenetv2_ensemble.log").read_text()
    assert "wrote 2 mask(s)" in log
    with open(averaged / "phase_fractions.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["image"] for r in rows] == ["odd_size", "sixteen_bit"]
    bar = np.ones((150, 230), bool)
    bar[140:, 150:] = False
    for row, specimen in zip(rows, (bar, None), strict=True):
        mask = io.read_labels(averaged / "masks" / f"{row['image']}.png", 2)
        ci = quantify.fraction_ci95(mask, 2, method="integral-range", specimen=specimen)[1]
        fraction = quantify.area_fractions(mask, 2, specimen)[1]
        assert float(row["fraction_pearlite"]) == pytest.approx(fraction, abs=1e-6)
        assert row["ci_method"] == "integral-range"
        assert float(row["ci95_pearlite"]) == pytest.approx(ci, abs=1e-6)
    with open(averaged / "phase_fractions_by_sample.csv") as handle:
        (sample,) = list(csv.DictReader(handle))
    assert (sample["sample"], sample["images"], sample["fields"]) == ("S", "2", "32")
    assert [float(r["excluded_fraction"]) for r in rows] == [
        pytest.approx(800 / 34500, abs=1e-6),
        0,
    ]
    assert (predicted / "phase_fractions.csv").read_bytes() == before
    quality = json.loads((out / "rf_quality.json").read_text())
    assert quality["reference"] == "exact_truth" and quality["pixel_accuracy"] > 0.9
    with open(out / "split.tsv") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert len(rows) == 6 * 64  # 6 images of 256 px: 4x4 crops of 64 px x 4 rotations
    assert {r["set"] for r in rows} == {"train", "val", "test"}
    for step in ("synth", "rf_masks", "tile", "split"):
        assert (out / "logs" / f"{step}.log").stat().st_size > 0
    for model in PAPER_MODELS:
        summary = json.loads((out / "models" / model / "summary.json").read_text())
        assert summary["iterations"] == 4 and summary["train_tiles"] > 0
        assert (out / "models" / model / "checkpoint.pt").stat().st_size > 100_000
        for reference, path in (
            ("rf_masks", out / "metrics" / f"{model}.json"),
            ("exact_truth", out / "metrics" / "exact_truth" / f"{model}.json"),
        ):
            scores = json.loads(path.read_text())
            assert scores["reference"] == reference and scores["scored_on"] == "tiles"
            assert scores["n_images"] == 64  # one test image of 64 tiles
            # Scored per source image and sample too (export-tiles' groups.tsv).
            (test_image,) = {r["image"] for r in rows if r["set"] == "test"}
            assert list(scores["per_group"]["image"]) == [test_image]
            assert scores["per_group"]["image"][test_image]["n_images"] == 64
            for key in ("global_accuracy", "mean_iou", "weighted_iou", "mean_bf_score"):
                assert 0.0 <= scores[key] <= 1.0
            # The same test image, whole, through the sliding window.
            whole = json.loads(
                (out / "metrics" / "whole_images" / reference / f"{model}.json").read_text()
            )
            assert whole["scored_on"] == "images" and whole["n_images"] == 1
            assert 0.0 <= whole["mean_iou"] <= 1.0
    # Table 3's device column says what a rerun needs to repeat the training: the CPU's threads.
    table3 = (out / "tables" / "table3.md").read_text()
    assert len(re.findall(r"\| cpu, \d+ threads? +\|", table3)) == len(PAPER_MODELS), table3
    # Table 4 lists every model with real numbers and a bold best per column.
    table4 = (out / "tables" / "table4.md").read_text()
    for family in (
        "U-Net",
        "SegNet (VGG16)",
        "DeepLabV3+ (ResNet50)",
        "DeepLabV3+ (ResNet18)",
        "DeepLabV3+ (MobileNetV2)",
    ):
        assert family in table4
    assert table4.count("**") >= 10 and "Split: grouped" in table4
    latex = (out / "tables" / "table4.tex").read_text()
    assert latex.count(r"\\") == 6 and r"\begin{tabular}{lrrrrr}" in latex
    assert (out / "tables" / "table4_exact_truth.md").is_file()
    # The whole test images against the truth, and what the RF masks score there (the labels'
    # cap) as a last row outside the bolding, its numbers those of its own metrics file.
    whole_table = (out / "tables" / "table4_whole_images.md").read_text()
    labels = json.loads((out / "metrics/whole_images/rf_masks_vs_exact_truth.json").read_text())
    assert labels["model"] == "rf_masks" and labels["reference"] == "exact_truth"
    last = whole_table.splitlines()[len(PAPER_MODELS) + 2]
    assert last.startswith("| RF masks (the labels)") and "**" not in last
    assert f"{labels['mean_iou']:.4f}" in last and "Whole test images" in whole_table
    assert re.search(r"Tiles of 64 px: \d+ training, \d+ validation", table3), table3
    for figure in ("confusion_matrices.png", "segmented_samples.png"):
        assert (out / "figures" / figure).stat().st_size > 20_000
    # The Snakemake HTML report renders with the tables and figures.
    report = snakemake(
        tmp_path,
        "--configfile",
        str(REPO / "workflow/presets/smoke.yaml"),
        "--report",
        str(tmp_path / "report.html"),
    )
    assert report.returncode == 0, report.stdout[-3000:]
    html = (tmp_path / "report.html").read_text(errors="replace")
    assert "table4.html" in html and "segmented_samples.png" in html
    # with the training curves and the whole test images' overview and phase-fraction table
    for shown in ("curves.png", "overview.png", "phase_fractions.csv", "Training progress"):
        assert shown in html, shown
    check_latex_compiles(out / "tables", tmp_path / "latex")
    check_report_opens_in_chromium(tmp_path / "report.html")


def check_latex_compiles(tables: Path, work: Path) -> None:
    """Tables 3 and 4 as tabulars inside a plain article must compile with pdflatex."""
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex not installed (.ci/run installs texlive-latex-base)")
    work.mkdir()
    body = "\n".join(f"\\input{{{tables / name}}}" for name in ("table3.tex", "table4.tex"))
    (work / "doc.tex").write_text(
        f"\\documentclass{{article}}\n\\begin{{document}}\n{body}\n\\end{{document}}\n"
    )
    result = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
        cwd=work,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-2000:]
    assert (work / "doc.pdf").stat().st_size > 1000


def check_report_opens_in_chromium(report: Path) -> None:
    """Headless Chromium renders the report: its script builds the page with the sidebar."""
    from PIL import Image

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium not installed (.ci/run installs it)")
    shot = report.parent / "report.png"
    result = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={report.parent / 'chromium'}",
            "--virtual-time-budget=10000",
            "--window-size=1400,900",
            f"--screenshot={shot}",
            report.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    pixels = np.asarray(Image.open(shot).convert("L"))
    # The page is built by the report's script; unrendered, it is blank. Rendered, the sidebar
    # lists Workflow / Figures / Tables and the main panel shows the description and the DAG.
    sidebar, main = pixels[90:260, 10:260], pixels[150:750, 280:1100]
    assert (sidebar < 128).sum() > 300, "no sidebar entries rendered"
    assert (main < 128).sum() > 1000, "no workflow description or DAG rendered"


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("tiles: {sise: 224}", "Additional properties are not allowed ('sise' was unexpected)"),
        ("predict: {images: 'IMAGES/*.bmp'}", "matches no PNG, TIFF or JPEG file"),
        (
            "dataset: {name: x, source: folder, path: /no/such/folder, classes: CLASSES}",
            "is not a folder",
        ),
        ("split: {mode: folds, file: no_such_folds.json}", "split.file 'no_such_folds.json'"),
        (
            "synth: {pearlite: lumps}",
            "'lumps' is not one of ['network', 'islands', 'films', 'grains', 'colonies']",
        ),
        (
            "synth: {pearlite: [grains, lumps]}",
            "'lumps' is not one of ['network', 'islands', 'films', 'grains', 'colonies']",
        ),
        ("synth: {colony_darkness: 0}", "0 is less than or equal to the minimum of 0"),
        ("synth: {colony_density: [0.1]}", "[0.1] is too short"),
        ("synth: {interface_depth: -1}", "-1 is less than the minimum of 0"),
        ("synth: {colony_mottle: -1}", "-1 is less than the minimum of 0"),
        ("synth: {look: per_image}", "'per_image' is not one of ['sample', 'image']"),
        ("train: {colour: gray}", "'gray' is not one of ['rgb', 'grey']"),
        (
            "synth: {samples: 2, images_per_sample: [3]}",
            "synth.carbon has 3 values but synth.samples is 2; give one value or one per sample",
        ),
        (
            "synth: {colony_density: [0.75, 0.3]}",
            "synth.colony_density 0.75,0.3: give two optical densities low, high with 0 ≤ low",
        ),
        (
            "dataset: {name: x, source: folder, path: IMAGES, classes: CLASSES}\n"
            "train: {labels: truth}",
            "train.labels is 'truth' but IMAGES has no truth/ folder",
        ),
        (
            "predict: {images: IMAGES, ensemble: [/no/such/checkpoint.pt]}",
            "predict.ensemble '/no/such/checkpoint.pt' is not a file",
        ),
        (
            "predict: {images: IMAGES, samples: /no/such/samples.tsv}",
            "predict.samples '/no/such/samples.tsv' is not a file",
        ),
    ],
    ids=[
        "typo",
        "no-images",
        "missing-folder",
        "missing-split-file",
        "unknown-morphology",
        "unknown-morphology-in-list",
        "colony-darkness-zero",
        "colony-density-one-number",
        "interface-depth-negative",
        "colony-mottle-negative",
        "unknown-look",
        "unknown-colour",
        "per-sample-list-length",
        "colony-density-reversed",
        "truth-labels-without-truth",
        "missing-ensemble-checkpoint",
        "missing-samples-sheet",
    ],
)
def test_config_errors_stop_at_start_up_naming_the_key(tmp_path, override, message):
    images = tmp_path / "images"
    io.write_png(images / "a.png", np.zeros((8, 8, 3), np.uint8))
    classes = "[{name: ferrite, color: '#E8DCC0'}, {name: pearlite, color: '#5A3A28'}]"
    config = tmp_path / "bad.yaml"
    config.write_text(override.replace("IMAGES", str(images)).replace("CLASSES", classes))
    result = snakemake(
        tmp_path, "-n", "--configfile", str(REPO / "workflow/presets/smoke.yaml"), str(config)
    )
    assert result.returncode != 0
    assert message.replace("IMAGES", str(images)) in result.stdout, result.stdout[-2000:]


# Each setting's flag in its command, with the schema's default and with a value set: two dry
# runs (one of the defaults, one with every setting changed) rather than one per setting.
DEFAULT_FLAGS = {
    "synth": [
        "--supersample",
        "0.3,0.75",
        "--interface-depth 0",
        "--colony-mottle 1.0",
        "--look image",
        "--pearlite grains,films,grains",
    ],
    "train": ["--colour rgb"],
}
CHANGED = (
    "synth: {supersample: false, colony_density: [0.15, 0.75], interface_depth: 0.5, "
    "colony_mottle: 3, look: sample, pearlite: network}\ntrain: {colour: grey}\n"
)
CHANGED_FLAGS = {
    "synth": [
        "--no-supersample",
        "0.15,0.75",
        "--interface-depth 0.5",
        "--colony-mottle 3",
        "--look sample",
        "--pearlite network",
    ],
    "train": ["--colour grey"],
}


@pytest.mark.parametrize(
    ("override", "expected"),
    [("{}\n", DEFAULT_FLAGS), (CHANGED, CHANGED_FLAGS)],
    ids=["defaults", "changed"],
)
def test_settings_reach_their_command(tmp_path, override, expected):
    config = tmp_path / "settings.yaml"
    config.write_text(override)
    smoke = str(REPO / "workflow/presets/smoke.yaml")
    result = snakemake(tmp_path, "-n", "-p", "--configfile", smoke, str(config))
    assert result.returncode == 0, result.stdout[-2000:]
    for section, flags in expected.items():
        commands = [c for c in result.stdout.splitlines() if f"steelseg {section} " in c]
        assert commands, result.stdout[-2000:]
        for command in commands:  # whole words only
            words = f" {' '.join(command.split())} "
            for flag in flags:
                assert f" {flag} " in words, (flag, command)


def test_synth_job_declares_the_memory_its_renderer_takes(tmp_path):
    # The default data's supersampled overviews take ~6 GB per process; the synth rule's mem_mb
    # (what the SLURM profile asks for) must cover a real render's peak, which here is mostly
    # the 4 x 4 sub-pixels (1040 x 771 px at 15 px grains: 12.8 million rendered pixels).
    options = {"samples": 1, "images_per_sample": [1], "annotated_per_sample": 1}
    options |= {"width": 1040, "height": 771}
    options |= {"grain_size_px": 15, "carbon": 0.45, "pearlite": "grains", "threads": 1}
    config = tmp_path / "memory.yaml"
    config.write_text(f"synth: {json.dumps(options)}\n")
    smoke = str(REPO / "workflow/presets/smoke.yaml")
    planned = snakemake(tmp_path, "-n", "--configfile", smoke, str(config))
    assert planned.returncode == 0, planned.stdout[-2000:]
    declared = int(re.search(r"rule synth:(?:.|\n)*?mem_mb=(\d+)", planned.stdout).group(1))
    command = [
        *(sys.executable, "-m", "steelseg", "synth", "--out", str(tmp_path / "data")),
        *("--samples", "1", "--images-per-sample", "1", "--annotated-per-sample", "1"),
        *("--width", "1040", "--height", "771", "--grain-size", "15", "--supersample"),
        *("--carbon", "0.45", "--pearlite", "grains", "--workers", "1"),
    ]
    measure = (  # the peak of the synth process alone, not of this test process's children
        "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    peak_kib = int(subprocess.check_output([sys.executable, "-c", measure, *command]).split()[-1])
    assert peak_kib / 1024 > 700  # the sub-pixels were rendered (without them: ~0.3 GiB)
    assert declared >= peak_kib / 1024, (declared, peak_kib / 1024)


def test_synth_memory_grows_with_the_renderers_own_supersampling_factor():
    # The synth job's declared memory grows with the square of the sub-pixel factor the
    # renderer uses, at every grain size, fractional ones and the rounding edges (40, 24,
    # 17.14 px) included; the finest grain sets it.
    from steelseg import settings

    size = {"width": 4096, "height": 4096, "samples": 1, "images_per_sample": [1]}
    grains = [*range(4, 200), 7.5, 120 / 7, 40.0, 24.0, 17.5, 13.3]

    def per_process(grain, supersample):
        values = size | {"grain_size_px": grain, "supersample": supersample}
        return settings.synth_memory_mb(values, threads=1) - 900  # the fixed parts

    ratios = {g: per_process(g, True) / per_process(g, False) for g in grains}
    expected = {g: synth.supersample_factor(g, True) ** 2 for g in grains}
    assert ratios == pytest.approx(expected, rel=1e-4)
    assert {expected[g] for g in grains} == {1, 4, 9, 16}  # every factor was exercised
    several = size | {"grain_size_px": [60, 15], "supersample": True, "samples": 2}
    assert settings.synth_memory_mb(several, threads=1) - 900 == pytest.approx(
        16 * per_process(60, False), rel=1e-4
    )


def test_predict_model_must_be_one_the_workflow_trains(tmp_path):
    _workflow_copy(tmp_path, "unet: {weights: null, batch_size: 32}")
    io.write_png(tmp_path / "images" / "a.png", np.zeros((8, 8, 3), np.uint8))
    with open(tmp_path / "config.yaml", "a") as handle:
        handle.write(f"\npredict: {{images: {tmp_path / 'images'}, model: segnet}}\n")
    result = snakemake(tmp_path, "-n", copy=True, cores=1)
    assert result.returncode != 0
    assert "predict.model 'segnet' is not among the models trained (unet)" in result.stdout


def _workflow_copy(root: Path, models: str) -> None:
    """The workflow in ``root`` with a config.yaml that trains only ``models`` (presets merge
    into config.yaml's models and cannot remove any)."""
    shutil.copy(REPO / "Snakefile", root / "Snakefile")
    shutil.copytree(REPO / "envs", root / "envs")  # the rules' conda: files (metadata records)
    shutil.copytree(
        REPO / "workflow",
        root / "workflow",
        ignore=shutil.ignore_patterns("*.egg-info", "__pycache__"),
    )
    config = (REPO / "config.yaml").read_text()
    start = config.index("models:\n")
    end = config.index("\n\n", start)
    (root / "config.yaml").write_text(config[:start] + f"models:\n  {models}" + config[end:])


def test_uhcs24_cross_validation_end_to_end_on_whole_test_images(tmp_path):
    uhcs24 = SHARED_DATA / "uhcs24"
    if not (uhcs24 / "folds_decost2019.json").is_file():
        pytest.skip(f"{uhcs24}: UHCS-24 not found (see ../shared/data/README.md)")
    # One fold, one small model, a few iterations: the protocol's machinery, not its accuracy.
    _workflow_copy(tmp_path, "deeplabv3plus_mobilenetv2: {weights: null, batch_size: 4}")
    (tmp_path / "tiny.yaml").write_text(
        "split: {folds: [3]}\n"
        "train: {max_iterations: 3, validation_frequency: 3, workers: 0, threads: 2}\n"
        "predict: {batch_size: 2}\n"
    )
    result = snakemake(
        tmp_path,
        "--configfile",
        "workflow/presets/uhcs24.yaml",
        "tiny.yaml",
        "--config",
        f"dataset={{'path': '{uhcs24}'}}",
        copy=True,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    out = tmp_path / "results" / "uhcs24" / "folds" / "3"
    assert sorted(p.name for p in out.parent.iterdir()) == ["3"]  # only the folds asked for
    folds = json.loads((uhcs24 / "folds_decost2019.json").read_text())
    with open(out / "split.tsv") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    sets = {
        name: {r["image"] for r in rows if r["set"] == name} for name in ("train", "val", "test")
    }
    assert sets["test"] == set(folds["3"]) and sets["val"] == set(folds["4"])
    assert sets["train"] == {i for k in ("0", "1", "2", "5") for i in folds[k]}
    # 645 x 484 px with cover: 3 x 3 crops of 224 px (last row and column overlap) x 4 rotations.
    assert len(rows) == 24 * 9 * 4
    # The four test images, whole, segmented and scored against the published masks.
    masks = sorted((out / "predictions/deeplabv3plus_mobilenetv2/test_images/masks").iterdir())
    assert [p.stem for p in masks] == sorted(folds["3"])
    assert io.read_labels(masks[0], 4).shape == (484, 645)
    scores = json.loads(
        (out / "metrics/whole_images/rf_masks/deeplabv3plus_mobilenetv2.json").read_text()
    )
    assert scores["scored_on"] == "images" and scores["n_images"] == 4
    assert scores["reference"] == "rf_masks"
    for key in ("global_accuracy", "mean_accuracy", "mean_iou", "weighted_iou"):
        assert 0.0 <= scores[key] <= 1.0
    assert set(scores["per_class"]) == {"matrix", "network", "spheroidite", "widmanstatten"}
    assert (out / "tables" / "table4.md").is_file()
    # The cross-validation table over the folds run (one here), beside the published figures.
    lines = (tmp_path / "results/uhcs24/tables/comparison.md").read_text().splitlines()
    ours = next(line for line in lines if "steelseg DeepLabV3+ (MobileNetV2)" in line)
    assert f"| {100 * scores['mean_iou']:.1f} " in ours  # one fold: the mean, no std
    assert any("DeCost et al. 2019" in line and "69.8 ± 2.2" in line for line in lines)
    assert any("Luengo et al. 2022" in line and "76.71" in line for line in lines)


def test_folds_not_in_the_file_stop_at_start_up(tmp_path):
    uhcs24 = SHARED_DATA / "uhcs24"
    if not (uhcs24 / "folds_decost2019.json").is_file():
        pytest.skip(f"{uhcs24}: UHCS-24 not found (see ../shared/data/README.md)")
    (tmp_path / "bad.yaml").write_text("split: {folds: [2, 9]}\n")
    result = snakemake(
        tmp_path,
        "-n",
        "--configfile",
        str(REPO / "workflow/presets/uhcs24.yaml"),
        str(tmp_path / "bad.yaml"),
        "--config",
        f"dataset={{'path': '{uhcs24}'}}",
    )
    assert result.returncode != 0
    assert "split.folds [9] not in" in result.stdout and "folds 0, 1, 2, 3, 4, 5" in result.stdout


def test_data_set_with_scale_bars_left_out_end_to_end(tmp_path):
    # A user data set whose micrographs carry a burnt-in scale bar, named in exclude.tsv: the
    # RF masks and tiles say "no class" there, training and the whole-image scores skip it,
    # and the test images' phase fractions leave it out. The workflow and the data set lie where
    # a path has spaces and non-ASCII characters: every path is quoted.
    tmp_path = tmp_path / "steel seg ñ"
    tmp_path.mkdir()
    data = tmp_path / "my data ü"
    make_synthetic(data, samples=2, images_per_sample=[2], width=192, height=160, seed=3)
    rows = ["image\tx0\ty0\tx1\ty1"]
    for path in sorted((data / "images").iterdir()):
        image = io.read_image(path).copy()
        image[100:106, 120:184] = 255
        io.write_png(path, image)
        rows.append(f"{path.stem}\t120\t100\t184\t106")
    (data / "exclude.tsv").write_text("\n".join(rows) + "\n")
    _workflow_copy(tmp_path, "deeplabv3plus_mobilenetv2: {weights: null, batch_size: 4}")
    (tmp_path / "tiny.yaml").write_text(
        f"dataset: {{name: bars, source: folder, path: '{data}'}}\n"
        "rf: {trees: 10, threads: 2}\n"
        "tiles: {size: 64}\n"
        "split: {fractions: {train: 0.5, val: 0.25, test: 0.25}}\n"
        "train: {max_iterations: 3, validation_frequency: 3, workers: 0, threads: 2}\n"
    )
    out = tmp_path / "results" / "bars"
    model = "deeplabv3plus_mobilenetv2"
    result = snakemake(
        tmp_path,
        f"results/bars/metrics/whole_images/rf_masks/{model}.json",
        "results/bars/figures/segmented_samples.png",
        "--configfile",
        "tiny.yaml",
        copy=True,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    bar = np.zeros((160, 192), bool)
    bar[100:106, 120:184] = True
    for path in (out / "masks").glob("*.png"):
        mask = io.read_labels(path, 2, ignore=True)
        assert (mask[bar] == io.IGNORE).all() and (mask[~bar] < 2).all()
    tile_masks = np.load(out / "tiles" / "masks.npy")
    assert (tile_masks == io.IGNORE).any()
    with open(out / "split.tsv") as handle:
        test = [
            int(r["tile"]) for r in csv.DictReader(handle, delimiter="\t") if r["set"] == "test"
        ]
    tile_scores = json.loads((out / f"metrics/{model}.json").read_text())
    assert np.sum(tile_scores["confusion_matrix"]) == (tile_masks[test] != io.IGNORE).sum()
    assert (out / "figures" / "segmented_samples.png").stat().st_size > 10_000
    scores = json.loads((out / f"metrics/whole_images/rf_masks/{model}.json").read_text())
    n = scores["n_images"]
    assert n >= 1 and np.sum(scores["confusion_matrix"]) == n * (160 * 192 - bar.sum())
    with open(out / f"predictions/{model}/test_images/phase_fractions.csv") as handle:
        fractions = list(csv.DictReader(handle))
    assert len(fractions) == n
    for row in fractions:
        assert float(row["excluded_fraction"]) == pytest.approx(bar.mean(), abs=1e-4)

    # Editing the boxes or a scribble reruns the steps that read them, though the data set
    # folder is one input (its time changes only when files come or go).
    def planned():
        dry = snakemake(
            tmp_path,
            "-n",
            f"results/bars/metrics/whole_images/rf_masks/{model}.json",
            "--configfile",
            "tiny.yaml",
            copy=True,
        )
        assert dry.returncode == 0, dry.stdout[-3000:]
        return set(re.findall(r"^(?:local)?rule (\w+):", dry.stdout, re.M))

    assert planned() == set()  # all up to date
    (data / "exclude.tsv").write_text("\n".join(rows[:2]) + "\n")
    assert {"rf_masks", "tile", "test_images"} <= planned()
    (data / "exclude.tsv").write_text("\n".join(rows) + "\n")
    annotation = next((data / "annotations").iterdir())
    scribbles = io.read_labels(annotation, 3).copy()
    scribbles[0, :4] = 1  # a ferrite stroke more
    io.write_png(annotation, scribbles)
    assert {"rf_masks", "tile", "test_images"} <= planned()


def test_the_paper_preset_plans_the_papers_protocol(tmp_path):
    presets = [REPO / "config.yaml", REPO / "workflow/presets/paper.yaml"]
    plan = snakemake(tmp_path, "-n", "-p", "--configfile", *presets)
    assert plan.returncode == 0, plan.stdout[-3000:]
    rules = re.findall(r"^(?:local)?rule (\w+):", plan.stdout, re.M)
    assert rules.count("fetch_weights") == 4 and rules.count("train") == 5
    assert "evaluate_images" not in rules  # tiles shuffled into the sets: no whole test image
    lines = [" ".join(c.split()) + " " for c in plan.stdout.splitlines()]
    (split,) = [c for c in lines if "steelseg split " in c]
    assert "--mode paper " in split
    trains = {re.search(r"--model (\w+)", c).group(1): c for c in lines if "steelseg train " in c}
    assert all("--output-network last " in c for c in trains.values())
    assert "--epochs 2 " in trains["unet"] and "--final-relu " in trains["segnet"]
    assert all("--epochs 3 " in trains[m] for m in trains if m != "unet")
    assert all("/weights/" in trains[m] for m in trains if m != "unet")  # ImageNet encoders
