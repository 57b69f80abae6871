"""Snakemake script: one experiment's learning curves (netspec.plots.curves_job)."""

from netspec.logs import redirect_output
from netspec.plots import curves_job

sm = snakemake  # noqa: F821 - injected by Snakemake
redirect_output(sm.log[0])
curves_job(sm.input[0], sm.params.title, sm.output[0], sm.params.settings)
