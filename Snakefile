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
        f"{RESULTS}/rf_quality.json",
        f"{RESULTS}/split.tsv",
        expand(f"{RESULTS}/models/{{model}}/checkpoint.pt", model=MODELS),
        metrics_files(),
        whole_image_metrics(),
        f"{RESULTS}/tables/table4.md",
        predict_targets(),
