"""Snakemake script: every figure of the study (netspec.plots.plots_job)."""

from netspec.logs import redirect_output
from netspec.plots import plots_job

sm = snakemake  # noqa: F821 - injected by Snakemake
redirect_output(sm.log[0])
plots_job(
    sm.params.names,
    sm.params.titles,
    sm.input.histories,
    sm.output.curves,
    sm.output.comparison,
    sm.output.bars,
    sm.params.settings,
    sm.params.cache,
    sm.threads,
)
