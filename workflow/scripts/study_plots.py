"""Snakemake script: the study's comparison and leaderboard plots (netspec.plots.study_job)."""

from netspec.logs import redirect_output
from netspec.plots import study_job

sm = snakemake  # noqa: F821 - injected by Snakemake
redirect_output(sm.log[0])
study_job(
    sm.params.names,
    sm.input.histories,
    sm.input.metrics,
    sm.output.comparison,
    sm.output.bars,
    sm.params.settings,
)
