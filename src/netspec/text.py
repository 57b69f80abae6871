"""Text tables for the terminal, through tabulate (it comes with Snakemake): columns two spaces
apart, no rules, no trailing blanks."""

from __future__ import annotations

from collections.abc import Sequence


def aligned(header: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> str:
    """`header` and `rows` as aligned text; the columns numbered in `right` flush right."""
    from tabulate import DataRow, TableFormat, tabulate

    row = DataRow("", "  ", "")
    form = TableFormat(None, None, None, None, row, row, 0, None)
    align = ["right" if i in right else "left" for i in range(len(header))]
    # the header as a first row: tabulate pads a real header row by two more spaces
    text = tabulate(
        [list(header), *map(list, rows)], tablefmt=form, disable_numparse=True, colalign=align
    )
    return "\n".join(line.rstrip() for line in text.splitlines())
