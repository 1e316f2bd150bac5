# steelseg: Muñoz-Rodenas et al. (2024) steel micrograph segmentation, end to end.
# Run: snakemake --cores 8 --resources gpu=1   (CPU preset: see README.md)
from snakemake.utils import min_version

min_version("8.0")


configfile: "config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/evaluate.smk"


rule all:
    default_target: True
    input:
        per_fold(f"{RESULTS}/rf_quality.json"),
        per_fold(f"{RESULTS}/split.tsv"),
        per_fold(
            expand(
                f"{RESULTS}/models/{{model}}/checkpoint.pt",
                model=MODELS,
                allow_missing=True,
            )
        ),
        per_fold(metrics_files()),
        per_fold(whole_image_metrics()),
        per_fold(f"{RESULTS}/tables/table4.md"),
        per_fold(predict_targets()),
        comparison_targets(),
