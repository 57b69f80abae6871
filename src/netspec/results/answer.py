"""The verdict in words: the page's headline and its comparisons (HTML, every name escaped),
and the terminal's one line. netspec.results.verdict computes; this only says it."""

from __future__ import annotations

from html import escape

from netspec.results.verdict import REPLICATES, Comparison, Verdict


def group_words(names: list[str]) -> str:
    """`a` or `a, b and c`: the top group as the terminal names it."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def terminal_line(group: list[str], variants: int) -> str:
    """The top group in one sentence (`variants`: how many were ranked): the study's closing
    line and `netspec results` say it."""
    if not group:
        return "No variant produced a score."
    if variants == 1:
        return f"One variant, {group[0]}: nothing to compare it with."
    if len(group) == 1:
        return f"Best variant: {group[0]} (alone in the top group on test)."
    return f"Top group (not told apart on test): {group_words(group)}."


def _bold(names: list[str]) -> str:
    shown = [f"<b>{escape(n)}</b>" for n in names]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def _points(value: float) -> str:
    return f"{value:+.2f}"


def _interval(c: Comparison) -> str:
    return f"[{c.low:+.2f}, {c.high:+.2f}]"


def headline(verdict: Verdict, selection: str = "validation accuracy") -> str:
    """The page's first paragraph: the top group, and why."""
    if not verdict.group:
        return "No variant produced a validation score."
    level = f"{verdict.level:.0%}"
    first = verdict.ranking[0]
    if verdict.alone:
        text = (
            f"<b>{escape(first)}</b> is best: first on mean {selection}, and better on the "
            f"test set than every other variant at the {level} level (Holm-adjusted)."
        )
        if len(verdict.ranking) == 1:
            text = f"<b>{escape(first)}</b> is the only variant."
    else:
        text = f"Top group: {_bold(verdict.group)}. <b>{escape(first)}</b> ranks first on mean "
        text += f"{selection}"
        others = [v for v in verdict.tied if v != first]
        if others:
            text += f", tied within one validation image with {_bold(others)}"
        rest = [v for v in verdict.group if v not in verdict.tied]
        if rest:
            whom = "it" if len(verdict.tied) == 1 else "every one of those tied"
            text += (
                f"; on the test set {_bold(rest)} cannot be shown worse than {whom} at the "
                f"{level} level (Holm-adjusted)"
            )
        text += ". No single winner is named: the evidence does not single one out."
    outside = [  # each variant outside once: against the first-ranked of the tied best
        c
        for c in verdict.against_best
        if c.second not in verdict.group and c.first == verdict.tied[0]
    ]
    if outside:
        text += (
            " Outside the group: "
            + "; ".join(
                f"{escape(c.second)} {_points(-c.difference)} points {_interval_neg(c)}"
                for c in outside
            )
            + "."
        )
    better = list(  # each once, in ranking order
        dict.fromkeys(
            c.second
            for c in verdict.against_best
            if c.difference < 0 and c.second in verdict.group and c.first == verdict.tied[0]
        )
    )
    if better:
        text += (
            " On the test set " + _bold(better) + " scored higher than the "
            "validation's first: validation and test disagree on their order."
        )
    return text


def _interval_neg(c: Comparison) -> str:
    """The interval of (other - best), from that of (best - other)."""
    return f"[{-c.high:+.2f}, {-c.low:+.2f}]"


def resolution(verdict: Verdict) -> str:
    """What one image is worth, and what more seeds would buy."""
    parts = []
    if verdict.test_image is not None:
        parts.append(f"one test image is worth {verdict.test_image:.2f} points")
    if verdict.validation_image is not None:
        parts.append(f"one validation image {verdict.validation_image:.2f} points")
    text = ("Resolution: " + ", ".join(parts) + ".") if parts else ""
    smallest = 100 * verdict.smallest
    size = f"{smallest:g} point{'s' if smallest != 1 else ''}"
    if verdict.against_best:
        if verdict.seeds_needed is not None:
            text += (
                f" To find a difference of {size} at 80% power, about "
                f"<b>{verdict.seeds_needed} seeds</b> per variant are needed (from the spread of "
                "the comparisons above; the study setting <code>verdict.smallest_difference"
                "</code>)."
            )
        elif any(c.seeds < 2 for c in verdict.against_best):
            text += (
                f" How many seeds a difference of {size} needs is not known: two seeds per "
                "variant are needed to measure the seed-to-seed part of the noise."
            )
        else:
            text += (
                f" A difference of {size} cannot be found at 80% power with this test set, "
                "whatever the number of seeds: the test images' own noise is already larger. "
                "More test images are needed."
            )
    return text


def comparisons_table(comparisons: list[Comparison], group: list[str], against: str) -> str:
    if not comparisons:
        return ""
    rows = "".join(
        f"<tr>{f'<td>{escape(c.first)}</td>' if against == 'best' else ''}"
        f"<td>{escape(c.second if against == 'best' else c.first)}</td>"
        f"<td class='num'>{_points(-c.difference if against == 'best' else c.difference)}</td>"
        f"<td class='num'>{_interval_neg(c) if against == 'best' else _interval(c)}</td>"
        f"<td class='num'>{_p(c)}</td>"
        f"<td class='num'>{c.seeds if c.seeds else '—'}</td>"
        + (f"<td>{'yes' if c.second in group else 'no'}</td>" if against == "best" else "")
        + f"<td class='num'>{c.seeds_needed if c.seeds_needed is not None else '—'}</td></tr>"
        for c in comparisons
    )
    member = "<th>in the top group</th>" if against == "best" else ""
    reference = "the best" if against == "best" else "the baseline"
    best = "<th>best</th>" if against == "best" else ""
    return (
        f"<table><tr>{best}<th>variant</th><th>test accuracy vs {reference} (points)</th>"
        "<th>95% interval</th><th>p (Holm)</th><th>paired seeds</th>"
        f"{member}<th>seeds for the smallest difference</th></tr>{rows}</table>"
    )


def _p(c: Comparison) -> str:
    """A p-value as the bootstrap can tell it: at its floor, 1 / (replicates + 1), only a bound."""
    if c.p_value <= 1 / (REPLICATES + 1) + 1e-12:
        return f"≤ {c.adjusted:.2g}"
    return f"{c.adjusted:.3g}"


def verdict_section(verdict: Verdict) -> str:
    """The comparisons behind the headline: method, every variant against the best (and the
    baseline), resolution, and what the numbers cannot say."""
    if not verdict.against_best and not verdict.against_baseline:
        notes = "".join(f"<p class='warning'>{escape(note)}</p>" for note in verdict.notes)
        return f"<h2>The verdict</h2><p>{resolution(verdict)}</p>{notes}"
    parts = [
        "<h2>The verdict</h2>",
        "<p class='muted'>The ranking uses the selection metric on validation only. Each "
        "comparison is on the test set: a two-level bootstrap that resamples seeds and test "
        "images together, paired by seed and by image (2,000 replicates, a fixed random "
        "stream), giving the difference in points with a 95% interval and a p-value; against "
        "the best the test is one-sided (its direction was fixed by validation), and Holm's "
        "correction holds each family of comparisons at the stated level.</p>",
    ]
    if verdict.against_best:
        parts.append(f"<h3>Against the best: {_bold(verdict.tied)}</h3>")
        parts.append(comparisons_table(verdict.against_best, verdict.group, "best"))
    if verdict.baseline and verdict.against_baseline:
        parts.append(f"<h3>Against the baseline, {escape(verdict.baseline)}</h3>")
        parts.append(comparisons_table(verdict.against_baseline, verdict.group, "baseline"))
    parts.append(f"<p>{resolution(verdict)}</p>")
    parts += [f"<p class='warning'>{escape(note)}</p>" for note in verdict.notes]
    return "".join(parts)
