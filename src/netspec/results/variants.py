"""Variants over their seeds: each variant's spread of scores, and whether the winner's margin
over the runner-up is larger than seed-to-seed noise."""

from __future__ import annotations

from dataclasses import dataclass, field

from netspec.results.scores import SCORES
from netspec.results.statistics import Spread, spread


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
    mean_val_loss: float | None = None  # the ranking's key where training selects on loss
    means: dict[str, float | None] = field(default_factory=dict)  # each declared score's mean


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
            and metrics[n].get("selected_val_accuracy") is not None
            and metrics[n].get("test_accuracy") is not None
        ]
        scores.append(
            VariantScore(
                variant,
                names,
                [n for n in names if n not in ok],
                spread([metrics[n]["selected_val_accuracy"] for n in ok]),
                spread([metrics[n]["test_accuracy"] for n in ok]),
                {infos[n]["seed"]: metrics[n]["test_accuracy"] for n in ok},
                _mean([metrics[n].get("selected_val_loss") for n in ok]),
                {name: _mean([metrics[n].get(name) for n in ok]) for name in SCORES},
            )
        )

    by_loss = selects_on_loss(metrics.values())
    return sorted(
        scores,
        key=lambda s: rank_key(
            s.validation.mean if s.validation else None, s.mean_val_loss, s.variant, by_loss
        ),
    )


def rank(metrics: dict[str, dict]) -> list[str]:
    """Experiment ids, best validation accuracy first, then by name (no other metric breaks a
    tie: the verdict says who is tied); diverged or unscored runs last."""

    by_loss = selects_on_loss(metrics.values())

    def key(name):
        m = metrics[name]
        if m.get("diverged"):  # last, however well it scored before it diverged
            return (True, -(m.get("selected_val_accuracy") or 0), name)
        return rank_key(m.get("selected_val_accuracy"), m.get("selected_val_loss"), name, by_loss)

    return sorted(metrics, key=key)


def selects_on_loss(metrics) -> bool:
    """Whether the study ranks by validation loss: every run selected its epoch on it
    (`training.select: val_loss`); a mixed or accuracy-selected study ranks by accuracy."""
    return {m.get("selected_by", "val_accuracy") for m in metrics} == {"val_loss"}


def rank_key(
    mean_accuracy: float | None, mean_loss: float | None, name: str, by_loss: bool = False
) -> tuple:
    """How variants and runs rank, wherever they are shown (page, CSV, terminal, figures, the
    verdict's ranking): the study's selection metric on validation, its mean over seeds
    (accuracy, higher first; or, where the study selects on it, loss, lower first; equal to 12
    places counts as a tie), then name; unscored ones last. No other metric breaks a tie: the
    verdict says which variants are tied (netspec.results.verdict)."""
    if by_loss or (mean_accuracy is None and mean_loss is not None):
        return (mean_loss is None, round(mean_loss, 12) if mean_loss is not None else 0, name)
    accuracy = round(mean_accuracy, 12) if mean_accuracy is not None else 0
    return (mean_accuracy is None, -accuracy, name)


def _mean(values: list) -> float | None:
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


def repeated(scores: list[VariantScore]) -> bool:
    return any(len(score.runs) > 1 for score in scores)


def _same(a: float, b: float) -> bool:
    return round(a, 12) == round(b, 12)
