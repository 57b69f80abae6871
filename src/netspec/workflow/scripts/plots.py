"""Snakemake script: every figure of the study (netspec.results.plots.plots_job)."""

from pathlib import Path

from netspec.logs import job_errors, redirect_output
from netspec.results.plots import plots_job
from netspec.results.study import Figures, Run, StudyResults

sm = snakemake  # noqa: F821 - injected by Snakemake
redirect_output(sm.log[0])
with job_errors():
    points = sm.params.points  # sweep points: id -> [the sweep's id, the point's values]
    rungs = sm.params.rungs  # halving runs: id -> [the rung it reached, every rung's epochs]
    runs = tuple(
        Run(name, Path(history).parent, description, given)
        for name, history, description, variant in zip(
            sm.params.names,
            sm.input.histories,
            sm.params.descriptions,
            sm.params.variants,
            strict=True,
        )
        for given in [
            {"variant": variant}
            | ({"sweep": points[name][0], "point": points[name][1]} if name in points else {})
            | ({"rung": rungs[name][0], "rung_epochs": rungs[name][1]} if name in rungs else {})
        ]
    )
    figures = Figures(
        Path(sm.output.curves),
        Path(sm.output.comparison),
        Path(sm.output.bars),
        Path(sm.output.sweeps),
    )
    plots_job(StudyResults("", runs, figures), sm.params.settings, sm.params.cache, sm.threads)
