"""Snakemake script: the study report (netspec.report.write_report)."""

from netspec.logs import redirect_output
from netspec.report import write_report
from netspec.study import describe, load_study

sm = snakemake  # noqa: F821 - injected by Snakemake
redirect_output(sm.log[0])
experiments = load_study(sm.params.specs, sm.params.ids)
write_report(
    [describe(experiments[name]) for name in sm.params.ids],
    sm.input.metrics,
    sm.input.runs,
    [f"{sm.input.curves}/{name}.png" for name in sm.params.ids],
    sm.input.comparison,
    sm.input.bars,
    sm.output.html,
    sm.output.csv,
    sm.params.title,
)
