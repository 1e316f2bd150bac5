# Data stage: synthetic data set -> dense RF masks -> rotated tiles -> train/val/test split.


rule synth:
    output:
        directory(f"{RESULTS}/dataset"),
    log:
        f"{RESULTS}/logs/synth.log",
    conda:
        "../../envs/data.yaml"
    container:
        image("data")
    threads: config["synth"]["threads"]
    resources:
        mem_mb=synth_mem_mb,
    params:
        options=synth_options(),
    shell:
        "python -m steelseg synth --out {output:q} {params.options} --workers {threads} "
        "> {log:q} 2>&1"


rule rf_masks:
    input:
        dataset=dataset_dir(),
        files=dataset_files(),
    output:
        masks=directory(f"{RESULTS}/masks"),
        quality=f"{RESULTS}/rf_quality.json",
    log:
        f"{RESULTS}/logs/rf_masks.log",
    conda:
        "../../envs/data.yaml"
    container:
        image("data")
    threads: config["rf"]["threads"]
    params:
        classes=CLASS_NAMES,
        options=rf_options(),
    shell:
        "python -m steelseg rf-masks --dataset {input.dataset:q} --classes {params.classes} "
        "--out {output.masks:q} --quality {output.quality:q} {params.options} "
        "--threads {threads} > {log:q} 2>&1"


rule tile:
    input:
        dataset=dataset_dir(),
        files=dataset_files(),
        masks=f"{RESULTS}/masks",
    output:
        directory(f"{RESULTS}/tiles"),
    log:
        f"{RESULTS}/logs/tile.log",
    conda:
        "../../envs/data.yaml"
    container:
        image("data")
    params:
        classes=CLASS_NAMES,
        options=tile_options(),
    shell:
        "python -m steelseg tile --dataset {input.dataset:q} --masks {input.masks:q} "
        "--classes {params.classes} --out {output:q} {params.options} > {log:q} 2>&1"


rule split:
    input:
        tiles=f"{RESULTS}/tiles",
        assignment=split_file(),
    output:
        f"{RESULTS}/split.tsv",
    log:
        f"{RESULTS}/logs/split.log",
    conda:
        "../../envs/data.yaml"
    container:
        image("data")
    params:
        options=split_options,
    shell:
        "python -m steelseg split --tiles {input.tiles:q} --out {output:q} {params.options} > {log:q} 2>&1"


# The public UHCS-24 benchmark for users who do not have it (needs internet; login node):
#   snakemake --cores 1 resources/uhcs24   then   STEELSEG_UHCS24=resources/uhcs24 ...
localrules:
    fetch_uhcs24,


rule fetch_uhcs24:
    input:
        os.path.join(workflow.basedir, "workflow", "published", "uhcs24", "sources.tsv"),
    output:
        directory("resources/uhcs24"),
    log:
        "logs/fetch_uhcs24.log",
    conda:
        "../../envs/data.yaml"
    container:
        image("data")
    shell:
        "python -m steelseg fetch-dataset --sources {input:q} --out {output:q} > {log:q} 2>&1"
