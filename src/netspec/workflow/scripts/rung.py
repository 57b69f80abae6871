"""Snakemake script: one rung's decision of a halving sweep (netspec.halving.write_decision)."""

from netspec.halving import write_decision
from netspec.logs import job_errors, redirect_output

sm = snakemake  # noqa: F821 - injected by Snakemake
redirect_output(sm.log[0])
with job_errors():
    found = write_decision(
        sm.params.search, int(sm.wildcards.rung), sm.params.entering, sm.input.metrics, sm.output[0]
    )
    went = "the search is done" if found["final"] else f"promoted: {', '.join(found['promoted'])}"
    print(f"{sm.wildcards.sweep} rung {sm.wildcards.rung} ({found['epochs']} epochs): {went}")
