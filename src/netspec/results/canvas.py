"""What every figure shares: matplotlib without a display, the default size, text shown as
written. plots.py (curves, comparison, leaderboard) and sweeps.py (one figure per sweep) both
draw on it."""

from __future__ import annotations

DEFAULTS = {"dpi": 100, "width": 10.0, "height": 4.0}
TOP = 20  # the leaderboard figure shows at most this many experiments (the report has them all)


def leaderboard_height(rows: int) -> float:
    """The leaderboard figure's least height in inches for `rows` rows (config bounds its
    pixels by it)."""
    return 0.35 * rows + 1.4


def pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only: no display on a cluster node
    import matplotlib.pyplot as plt

    return plt


def plain(text: str) -> str:
    """Text shown as written: a `$` would otherwise start matplotlib's math mode."""
    return text.replace("$", r"\$")
