"""Snakemake script: the study report (netspec.results.report.write_report)."""

from pathlib import Path

from netspec.logs import job_errors, redirect_output
from netspec.results.report import write_report
from netspec.results.study import Figures, Run, StudyResults
from netspec.spec.budget import Budget
from netspec.spec.study import describe, load_study

sm = snakemake  # noqa: F821 - injected by Snakemake
redirect_output(sm.log[0])
with job_errors():
    experiments = load_study(sm.params.specs, sm.params.ids, budget=Budget(**sm.config["budget"]))
    runs = tuple(
        Run(name, Path(metrics).parent, info["description"], info)
        for name, metrics in zip(sm.params.ids, sm.input.metrics, strict=True)
        for info in [describe(experiments[name])]
    )
    curves = Path(sm.input.curves)
    figures = Figures(curves, Path(sm.input.comparison), Path(sm.input.bars), Path(sm.input.sweeps))
    study = StudyResults(sm.params.title, runs, figures, sm.params.verdict)
    write_report(study, sm.output.html, sm.output.csv)
