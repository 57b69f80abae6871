"""Variants over their seeds: each variant's spread of scores, and whether the winner's margin
over the runner-up is larger than seed-to-seed noise."""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

from netspec.results.statistics import LEVEL, SeedComparison, Spread, compare_seeds, spread


@dataclass(frozen=True)
class VariantScore:
    """A variant's runs (one per seed), the failed ones apart, and the spread of its selected
    validation accuracy and of its test accuracy over the others."""

    variant: str
    runs: list[str]
    failed: list[str]
    validation: Spread | None
    test: Spread | None
    test_by_seed: dict[int, float] = field(default_factory=dict)
    mean_val_loss: float | None = None  # breaks ties of mean validation accuracy


def variant_scores(metrics: dict[str, dict], infos: dict[str, dict]) -> list[VariantScore]:
    """Every variant, best mean validation accuracy first; diverged or unscored runs are left
    out of the means and counted apart."""
    grouped: dict[str, list[str]] = {}
    for name in metrics:
        grouped.setdefault(infos[name].get("variant", name), []).append(name)
    scores = []
    for variant, names in grouped.items():
        ok = [
            n
            for n in names
            if not metrics[n].get("diverged")
            and metrics[n].get("best_val_accuracy") is not None
            and metrics[n].get("test_accuracy") is not None
        ]
        scores.append(
            VariantScore(
                variant,
                names,
                [n for n in names if n not in ok],
                spread([metrics[n]["best_val_accuracy"] for n in ok]),
                spread([metrics[n]["test_accuracy"] for n in ok]),
                {infos[n]["seed"]: metrics[n]["test_accuracy"] for n in ok},
                _mean([metrics[n].get("best_val_loss") for n in ok]),
            )
        )

    return sorted(
        scores,
        key=lambda s: rank_key(
            s.validation.mean if s.validation else None, s.mean_val_loss, s.variant
        ),
    )


def rank_key(mean_accuracy: float | None, mean_loss: float | None, name: str) -> tuple:
    """How variants rank, wherever they are shown: mean selected validation accuracy (equal to
    12 places counts as a tie), then mean validation loss, then name; unscored ones last."""
    accuracy = round(mean_accuracy, 12) if mean_accuracy is not None else 0
    return (mean_accuracy is None, -accuracy, mean_loss or 0, name)


def _mean(values: list) -> float | None:
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


def repeated(scores: list[VariantScore]) -> bool:
    return any(len(score.runs) > 1 for score in scores)


def variants_verdict(scores: list[VariantScore]) -> str:
    """The winner on mean validation accuracy, and its margin over the runner-up on the test
    set, tested against seed-to-seed noise."""
    if not scores or scores[0].validation is None:
        return "No variant produced a validation score."
    best = scores[0]
    tied = [
        s for s in scores[1:] if s.validation and _same(s.validation.mean, best.validation.mean)
    ]
    text = (
        f"<b>{escape(best.variant)}</b> won with mean validation accuracy "
        f"{best.validation.mean:.4f} over {best.validation.n} seed(s)"
    )
    if tied:
        names = ", ".join(f"<b>{escape(s.variant)}</b>" for s in tied)
        losses = ", ".join(f"{s.mean_val_loss:.4f}" for s in tied if s.mean_val_loss is not None)
        text += (
            f", tied on it with {names}: validation accuracy does not separate them, and it is "
            f"first only on mean validation loss ({best.mean_val_loss:.4f} against {losses})"
        )
    if len(scores) < 2 or scores[1].test is None:
        return text + "."
    runner = scores[1]
    comparison = compare_seeds(best.test_by_seed, runner.test_by_seed)
    text += (
        f"; on the test set it scores {best.test.mean:.4f} against "
        f"<b>{escape(runner.variant)}</b>'s {runner.test.mean:.4f}"
    )
    if comparison is None:
        return text + (
            ". One of them ran with fewer than two seeds, so the margin cannot be told from "
            "seed-to-seed noise."
        )
    return text + ". " + _comparison_words(comparison)


def _comparison_words(comparison: SeedComparison) -> str:
    answer = "is" if comparison.distinguishable else "is not"
    if comparison.design == "paired":
        low, high = comparison.p_interval
        how = (
            f"Paired over the same seeds, the mean difference is {100 * comparison.difference:+.2f} "
            f"points ({comparison.test}, p = {comparison.p_value:.3g}); the "
            f"winner beats the runner-up on {comparison.p_first_better:.0%} of the "
            f"{comparison.seeds} seeds, P(A > B), with a bootstrap 95% interval of "
            f"{low:.0%}-{high:.0%} (few seeds make that interval coarse)"
        )
    else:
        how = (
            f"Over different seeds, the difference of the means is "
            f"{100 * comparison.difference:+.2f} points ({comparison.test}, p = "
            f"{comparison.p_value:.3g})"
        )
    text = how + (
        f": the test-set difference <b>{answer} distinguishable from seed noise</b> at the "
        f"{LEVEL:.0%} level"
    )
    if comparison.difference < 0:
        text += (
            ", and it is in the runner-up's favour: validation and test disagree on which of "
            "the two is better"
        )
    return text + "."


def _cell(value: Spread | None) -> str:
    if value is None:
        return "—"
    if value.sd is None:
        return f"{value.mean:.4f}"
    # an accuracy's interval, shown within the scale it lives on
    low, high = max(0.0, value.low), min(1.0, value.high)
    return (
        f"{value.mean:.4f} ± {value.sd:.4f}<br><span class='muted'>[{low:.4f}, {high:.4f}]</span>"
    )


def variants_table(scores: list[VariantScore]) -> str:
    rows = "".join(
        f"<tr><td class='num'>{position}</td><td>{escape(s.variant)}</td>"
        f"<td class='num'>{len(s.runs) - len(s.failed)} of {len(s.runs)}</td>"
        f"<td class='num'>{_cell(s.validation)}</td><td class='num'>{_cell(s.test)}</td>"
        f"<td>{escape(', '.join(s.failed)) or '—'}</td></tr>"
        for position, s in enumerate(scores, 1)
    )
    return (
        "<table><tr><th>#</th><th>variant</th><th>runs scored</th><th>validation accuracy "
        "(mean ± sd, 95% CI)</th><th>test accuracy (mean ± sd, 95% CI)</th>"
        "<th>failed or diverged (left out)</th></tr>" + rows + "</table>"
    )


def _same(a: float, b: float) -> bool:
    return round(a, 12) == round(b, 12)
