# netspec: one JSON spec per experiment in specs/, one report for the study.
# Run: snakemake --cores 4     (README.md; the stages live in workflow/rules/)
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


# `snakemake --report report.zip`: this description, the study page, the leaderboard, the figures
report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/plots.smk"
include: "workflow/rules/report.smk"


onsuccess:
    from netspec.results.leaderboard import closing_line

    print(f"\n{closing_line(OUT)}")


localrules:
    all,
    data,
    plots,
    report,


# Every tracked file is a target, not only the report: Snakemake looks for missing files only
# upstream of a job that must run, so a deleted metrics.json (or the outputs a failed job
# removed) would otherwise go unnoticed behind an up-to-date report. A re-prepared dataset has
# the same bytes as before, which Snakemake's checksums accept for files under its size limit.
rule all:
    input:
        f"{OUT}/report/index.html",
        f"{OUT}/report/results.csv",
        f"{OUT}/plots/curves",
        f"{OUT}/plots/comparison.png",
        f"{OUT}/plots/accuracy.png",
        f"{OUT}/plots/sweeps",
        [experiment_files(name) for name in ("history.json", "run.json", "metrics.json")],
        [f"{OUT}/data/{key}.npz" for key in DATASETS],
