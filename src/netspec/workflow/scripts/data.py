"""Snakemake script: prepare one dataset for every experiment (netspec.data.prepare)."""

from netspec.data.prepare import prepare
from netspec.logs import job_errors, redirect_output

redirect_output(snakemake.log[0])  # noqa: F821 - injected by Snakemake
with job_errors():
    print(prepare(snakemake.params.source, snakemake.output[0]))  # noqa: F821
