"""Text tables for the terminal, through tabulate (it comes with Snakemake): columns two spaces
apart, no rules, no trailing blanks."""

from __future__ import annotations

from collections.abc import Sequence


def aligned(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """`header` and `rows` as aligned text, every column flush left."""
    from tabulate import DataRow, TableFormat, tabulate

    row = DataRow("", "  ", "")
    form = TableFormat(None, None, None, None, row, row, 0, None)
    # the header as a first row: tabulate pads a real header row by two more spaces
    text = tabulate([list(header), *map(list, rows)], tablefmt=form, disable_numparse=True)
    return "\n".join(line.rstrip() for line in text.splitlines())


_CONTROL = dict.fromkeys([*range(0x20), 0x7F, *range(0x80, 0xA0)], "?")
del _CONTROL[0x09]  # a tab is harmless


def printable(text: str) -> str:
    """`text` without control characters (escape sequences, carriage returns, bells), each
    shown as `?`: what a worker relays or a spec says reaches a terminal as text only."""
    return text.translate(_CONTROL)
