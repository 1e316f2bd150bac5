# Evaluation: predict the test tiles, score them against the RF masks (the paper's protocol) and,
# where it exists, the exact truth; then Tables 3-4 and the figures.


wildcard_constraints:
    reference="rf_masks|exact_truth",
    fold=r"\d+",


rule test_labels:
    input:
        tiles=f"{RESULTS}/tiles",
        split=f"{RESULTS}/split.tsv",
    output:
        directory(f"{RESULTS}/test_tiles/{{reference}}"),
    log:
        f"{RESULTS}/logs/test_labels_{{reference}}.log",
    conda:
        "../../envs/data.yaml"
    container:
        image("data")
    params:
        labels=lambda wildcards: (
            "masks" if wildcards.reference == "rf_masks" else "truth"
        ),
    shell:
        "python -m steelseg export-tiles --tiles {input.tiles:q} --split {input.split:q} "
        "--set test --labels {params.labels} --out {output:q} > {log:q} 2>&1"


rule predict_tiles:
    input:
        checkpoint=f"{RESULTS}/models/{{model}}/checkpoint.pt",
        tiles=f"{RESULTS}/tiles",
        split=f"{RESULTS}/split.tsv",
    output:
        directory(f"{RESULTS}/predictions/{{model}}/test_tiles"),
    log:
        f"{RESULTS}/logs/predict_tiles_{{model}}.log",
    conda:
        "../../envs/torch.yaml"
    container:
        image("torch")
    threads: config["train"]["threads"]
    resources:
        gpu=1,
    params:
        device=config["train"]["device"],
    shell:
        "python -m steelseg predict-tiles --checkpoint {input.checkpoint:q} "
        "--tiles {input.tiles:q} --split {input.split:q} --set test --out {output:q} "
        "--device {params.device} --threads {threads} > {log:q} 2>&1"


rule evaluate:
    input:
        pred=f"{RESULTS}/predictions/{{model}}/test_tiles",
        truth=f"{RESULTS}/test_tiles/rf_masks",
    output:
        f"{RESULTS}/metrics/{{model}}.json",
    log:
        f"{RESULTS}/logs/evaluate_{{model}}.log",
    conda:
        "../../envs/data.yaml"
    container:
        image("data")
    params:
        num_classes=len(config["dataset"]["classes"]),
        classes=CLASS_NAMES,
        reference="rf_masks",
    shell:
        "python -m steelseg evaluate --pred {input.pred:q} --truth {input.truth:q} "
        "--num-classes {params.num_classes} --class-names {params.classes} "
        "--scored-on tiles --reference {params.reference} --model {wildcards.model} "
        "--groups {input.truth:q}/groups.tsv --out {output:q} > {log:q} 2>&1"


use rule evaluate as evaluate_exact_truth with:
    input:
        pred=f"{RESULTS}/predictions/{{model}}/test_tiles",
        truth=f"{RESULTS}/test_tiles/exact_truth",
    output:
        f"{RESULTS}/metrics/exact_truth/{{model}}.json",
    log:
        f"{RESULTS}/logs/evaluate_exact_truth_{{model}}.log",
    params:
        num_classes=len(config["dataset"]["classes"]),
        classes=CLASS_NAMES,
        reference="exact_truth",


rule report:
    input:
        metrics_files(),
        expand(
            f"{RESULTS}/models/{{model}}/summary.json",
            model=MODELS,
            allow_missing=True,
        ),
        expand(
            f"{RESULTS}/predictions/{{model}}/test_tiles",
            model=MODELS,
            allow_missing=True,
        ),
        whole_image_metrics(),
        tiles=f"{RESULTS}/tiles",
        labels=f"{RESULTS}/test_tiles/rf_masks",
    output:
        table3=report(
            f"{RESULTS}/tables/table3.html",
            caption="../report/table3.rst",
            category="Tables",
        ),
        table4=report(
            f"{RESULTS}/tables/table4.html",
            caption="../report/table4.rst",
            category="Tables",
        ),
        markdown=[f"{RESULTS}/tables/table3.md", f"{RESULTS}/tables/table4.md"]
        + whole_image_table(),
        latex=[f"{RESULTS}/tables/table3.tex", f"{RESULTS}/tables/table4.tex"],
        confusion=report(
            f"{RESULTS}/figures/confusion_matrices.png",
            caption="../report/confusion.rst",
            category="Figures",
        ),
        samples=report(
            f"{RESULTS}/figures/segmented_samples.png",
            caption="../report/samples.rst",
            category="Figures",
        ),
    log:
        f"{RESULTS}/logs/report.log",
    conda:
        "../../envs/data.yaml"
    container:
        image("data")
    params:
        results=lambda wildcards, input: os.path.dirname(input.tiles),
        options=report_options(),
    shell:
        "python -m steelseg report --results {params.results:q} {params.options} > {log:q} 2>&1"


# Whole test images through predict's sliding window: the BF tolerance then applies to each whole
# image, and nothing depends on the tile grid (what UHCS-24's published figures score).
rule test_images:
    input:
        dataset=dataset_dir(),
        files=dataset_files(),
        masks=f"{RESULTS}/masks",
        split=f"{RESULTS}/split.tsv",
    output:
        directory(f"{RESULTS}/test_images"),
    log:
        f"{RESULTS}/logs/test_images.log",
    conda:
        "../../envs/data.yaml"
    container:
        image("data")
    params:
        classes=CLASS_NAMES,
    shell:
        "python -m steelseg export-images --dataset {input.dataset:q} --masks {input.masks:q} "
        "--split {input.split:q} --set test --classes {params.classes} --out {output:q} "
        "> {log:q} 2>&1"


rule predict_test_images:
    input:
        checkpoint=f"{RESULTS}/models/{{model}}/checkpoint.pt",
        images=f"{RESULTS}/test_images",
    output:
        report(
            directory(f"{RESULTS}/predictions/{{model}}/test_images"),
            patterns=["{name,overview}.png", "{name,phase_fractions}.csv"],
            caption="../report/test_images.rst",
            category="Whole test images",
            subcategory="{model}",
        ),
    log:
        f"{RESULTS}/logs/predict_test_images_{{model}}.log",
    conda:
        "../../envs/torch.yaml"
    container:
        image("torch")
    threads: config["train"]["threads"]
    resources:
        gpu=1,
    params:
        options=window_options(),
    shell:
        # The data set's exclude/ (scale bars), where export-images wrote one.
        "set -- ; if [ -d {input.images:q}/exclude ]; then "
        "set -- --exclude {input.images:q}/exclude; fi; "
        "python -m steelseg predict {input.images:q}/images --checkpoint {input.checkpoint:q} "
        '--out {output:q} {params.options} --threads {threads} "$@" > {log:q} 2>&1'


rule evaluate_images:
    input:
        pred=f"{RESULTS}/predictions/{{model}}/test_images",
        labels=f"{RESULTS}/test_images",
    output:
        f"{RESULTS}/metrics/whole_images/{{reference}}/{{model}}.json",
    log:
        f"{RESULTS}/logs/evaluate_images_{{reference}}_{{model}}.log",
    conda:
        "../../envs/data.yaml"
    container:
        image("data")
    params:
        num_classes=len(config["dataset"]["classes"]),
        classes=CLASS_NAMES,
    shell:
        "python -m steelseg evaluate --pred {input.pred:q}/masks "
        "--truth {input.labels:q}/{wildcards.reference} --num-classes {params.num_classes} "
        "--class-names {params.classes} --scored-on images "
        "--reference {wildcards.reference} --model {wildcards.model} --out {output:q} "
        "> {log:q} 2>&1"


rule evaluate_labels_images:
    input:
        f"{RESULTS}/test_images",
    output:
        f"{RESULTS}/metrics/whole_images/rf_masks_vs_exact_truth.json",
    log:
        f"{RESULTS}/logs/evaluate_labels_images.log",
    conda:
        "../../envs/data.yaml"
    container:
        image("data")
    params:
        num_classes=len(config["dataset"]["classes"]),
        classes=CLASS_NAMES,
    shell:
        "python -m steelseg evaluate --pred {input:q}/rf_masks --truth {input:q}/exact_truth "
        "--num-classes {params.num_classes} --class-names {params.classes} --scored-on images "
        "--reference exact_truth --model rf_masks --out {output:q} > {log:q} 2>&1"


# Cross-validation (split mode folds): each model's whole-image scores over the folds, mean ± std,
# beside the published results on the data set (dataset.published).
rule compare:
    input:
        expand(
            f"{RESULTS}/metrics/whole_images/rf_masks/{{model}}.json",
            fold=FOLDS,
            model=MODELS,
        ),
    output:
        f"{DATASET_RESULTS}/tables/comparison.md",
    log:
        f"{DATASET_RESULTS}/logs/compare.log",
    conda:
        "../../envs/data.yaml"
    container:
        image("data")
    params:
        folds=fold_folders,
        options=compare_options(),
    shell:
        "python -m steelseg compare {params.folds} {params.options} --out {output:q} > {log:q} 2>&1"


# New micrographs (config predict.images) segmented whole by one trained model (or an
# ensemble, predict.ensemble): masks, overlays, phase fractions with lever-rule carbon, an
# overview figure.
rule predict:
    input:
        checkpoints=predict_checkpoints(),
        images=predict_inputs(),
        samples=predict_samples(),
        exclude=predict_exclusions(),
    output:
        report(
            directory(PREDICTIONS),
            patterns=["{name,overview}.png", "{name,phase_fractions}.csv"],
            caption="../report/predictions.rst",
            category="New micrographs",
        ),
    log:
        PREDICT_LOG,
    conda:
        "../../envs/torch.yaml"
    container:
        image("torch")
    threads: config["train"]["threads"]
    resources:
        gpu=1,
    params:
        checkpoints=checkpoint_options,
        options=predict_options(),
    shell:
        "python -m steelseg predict {input.images:q} {params.checkpoints} "
        "--out {output:q} {params.options} --threads {threads} > {log:q} 2>&1"
