# netspec: one JSON spec per experiment in specs/, one report for the study.
# Run: snakemake --cores 4     (README.md; the stages live in workflow/rules/)
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/plots.smk"
include: "workflow/rules/report.smk"


localrules:
    all,
    data,
    plots,
    report,


rule all:
    input:
        f"{OUT}/report/index.html",
        f"{OUT}/report/results.csv",
