"""Snakemake script: the study report (netspec.report.write_report)."""

from netspec.logs import redirect_output
from netspec.report import write_report

sm = snakemake  # noqa: F821 - injected by Snakemake
redirect_output(sm.log[0])
write_report(sm.params.infos, sm.input.metrics, sm.input.runs, sm.input.curves,
             sm.input.comparison, sm.input.bars, sm.output.html, sm.output.csv, sm.params.title)
