"""The verdict in words: the page's headline and its comparisons, rendered from the Verdict
object through templates/verdict.html.j2 (Jinja2, autoescaped: every name is text), and the
terminal's one line. netspec.results.verdict computes; this only says it."""

from __future__ import annotations

from netspec.results.comparison import REPLICATES, Comparison
from netspec.results.page import template
from netspec.results.verdict import Verdict


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


def _view(verdict: Verdict) -> dict:
    """What the template says beyond the verdict's own fields: who is outside the group and
    who scored higher on test, each once, against the first-ranked of the tied best."""
    tied = verdict.tied[0] if verdict.tied else None
    smallest = 100 * verdict.smallest
    images = []
    if verdict.test_image is not None:
        images.append(f"one test image is worth {verdict.test_image:.2f} points")
    if verdict.validation_image is not None:
        images.append(f"one validation image {verdict.validation_image:.2f} points")
    return {
        "level": f"{verdict.level:.0%}",
        "tied_others": [v for v in verdict.tied if v != (verdict.ranking or [None])[0]],
        "rest": [v for v in verdict.group if v not in verdict.tied],
        "whom": "it" if len(verdict.tied) == 1 else "every one of those tied",
        "outside": [
            c for c in verdict.against_best if c.second not in verdict.group and c.first == tied
        ],
        "better": list(
            dict.fromkeys(
                c.second
                for c in verdict.against_best
                if c.difference < 0 and c.second in verdict.group and c.first == tied
            )
        ),
        "images": images,
        "size": f"{smallest:g} point{'s' if smallest != 1 else ''}",
        "unpaired": any(c.seeds < 2 for c in verdict.against_best),
        "replicates": REPLICATES,
        "p_best": [_p(c) for c in verdict.against_best],
        "kept_by": [_kept_by(verdict, c) for c in verdict.against_best],
        "p_baseline": [_p(c) for c in verdict.against_baseline],
    }


def _template():
    """templates/verdict.html.j2's macros."""
    return template("verdict.html.j2").module


def headline(verdict: Verdict, selection: str = "validation accuracy") -> str:
    """The page's first paragraph: the top group, and why."""
    return str(_template().headline(verdict, _view(verdict), selection))


def resolution(verdict: Verdict) -> str:
    """What one image is worth, and what more seeds would buy."""
    return str(_template().resolution(verdict, _view(verdict)))


def _kept_by(verdict: Verdict, comparison: Comparison) -> list[str]:
    """The tied best that a variant shown worse than `comparison.first` is not shown worse than:
    why it is in the top group all the same (empty where this row alone decides nothing)."""
    if not comparison.second_worse(verdict.level) or comparison.second not in verdict.group:
        return []
    return [
        c.first
        for c in verdict.against_best
        if c.second == comparison.second and not c.second_worse(verdict.level)
    ]


def _p(c: Comparison) -> str:
    """A p-value as the bootstrap can tell it: at its floor, 1 / (replicates + 1), only a bound."""
    if c.p_value <= 1 / (REPLICATES + 1) + 1e-12:
        return f"≤ {c.adjusted:.2g}"
    return f"{c.adjusted:.3g}"


def verdict_section(verdict: Verdict) -> str:
    """The comparisons behind the headline: method, every variant against the best (and the
    baseline), resolution, and what the numbers cannot say."""
    return str(_template().section(verdict, _view(verdict)))
