"""Snakemake script: metrics of one finished training (netspec.history.history_job)."""

from netspec.history import history_job
from netspec.logs import redirect_output

sm = snakemake  # noqa: F821 - injected by Snakemake
redirect_output(sm.log[0])
history_job(sm.input.history, sm.input.predictions, sm.input.run, sm.output[0])
