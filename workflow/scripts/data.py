"""Snakemake script: prepare one dataset for every experiment (netspec.data.prepare)."""

from netspec.data.prepare import prepare
from netspec.logs import redirect_output

redirect_output(snakemake.log[0])  # noqa: F821 - injected by Snakemake
print(prepare(snakemake.params.source, snakemake.output[0]))  # noqa: F821
