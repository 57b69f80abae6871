"""Snakemake script: the study report (netspec.results.report.write_report), from the runs'
declared files (metrics.json, run.json) and the figures; nothing is compiled here."""

from pathlib import Path

from netspec.halving import read_decision
from netspec.logs import job_errors, redirect_output
from netspec.results.report import write_report
from netspec.results.study import Figures, Run, StudyResults

sm = snakemake  # noqa: F821 - injected by Snakemake
redirect_output(sm.log[0])
with job_errors():
    runs = tuple(
        Run(name, Path(record).parent, sm.params.shown[name]["description"])
        for name, record in zip(sm.params.ids, sm.input.runs, strict=True)
    )
    curves = Path(sm.input.curves)
    figures = Figures(curves, Path(sm.input.comparison), Path(sm.input.bars), Path(sm.input.sweeps))
    decisions = tuple(read_decision(path) for path in sm.input.decisions)
    study = StudyResults(
        sm.params.title, runs, figures, sm.params.verdict, decisions, tuple(sm.params.left)
    )
    write_report(study, sm.output.html, sm.output.csv)
