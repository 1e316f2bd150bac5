# Training: one job per model (wildcard), one GPU each; ImageNet encoders fetched once.


wildcard_constraints:
    model="|".join(MODELS),


localrules:
    fetch_weights,


# On a cluster this runs on the login node (internet), so GPU jobs need none.
rule fetch_weights:
    output:
        f"{RESULTS}/weights/{{model}}.pt",
    log:
        f"{RESULTS}/logs/fetch_weights_{{model}}.log",
    conda:
        "../../envs/torch.yaml"
    container:
        image("torch")
    shell:
        "python -m steelseg fetch-weights --model {wildcards.model} --out {output:q} > {log:q} 2>&1"


rule train:
    input:
        unpack(weights_input),
        tiles=f"{RESULTS}/tiles",
        split=f"{RESULTS}/split.tsv",
    output:
        checkpoint=f"{RESULTS}/models/{{model}}/checkpoint.pt",
        log=f"{RESULTS}/models/{{model}}/train_log.csv",
        curves=report(
            f"{RESULTS}/models/{{model}}/curves.png",
            caption="../report/curves.rst",
            category="Training",
            subcategory="{model}",
        ),
        summary=f"{RESULTS}/models/{{model}}/summary.json",
    log:
        f"{RESULTS}/logs/train_{{model}}.log",
    conda:
        "../../envs/torch.yaml"
    container:
        image("torch")
    threads: config["train"]["threads"]
    resources:
        gpu=1,
    params:
        classes=CLASS_NAMES,
        out=lambda wildcards, output: os.path.dirname(output.checkpoint),
        options=train_options,
    shell:
        "python -m steelseg train --tiles {input.tiles:q} --split {input.split:q} "
        "--model {wildcards.model} --classes {params.classes} --out {params.out:q} "
        "{params.options} --threads {threads} > {log:q} 2>&1"
