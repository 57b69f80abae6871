"""Snakemake script: train one experiment (netspec.training.train_job)."""

from netspec.logs import redirect_output
from netspec.training import train_job

sm = snakemake  # noqa: F821 - injected by Snakemake
redirect_output(sm.log[0])
train_job(sm.params.spec, sm.params.digest, sm.input.data, dict(sm.output.items()), sm.threads)
