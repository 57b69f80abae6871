"""The study's answer for any number of variants: which are best, and whether that is real.

Ranking uses the selection metric on validation only (chosen before the test set is looked
at). The best variant is then compared on the test set with every other one, each comparison
resampling seeds and test images together (netspec.results.comparison), and Holm's
correction holds the family of comparisons at the study's level. The top group is the best
variant with every variant it cannot be told apart from; one winner is named only when it stands
alone.

Everything here is numpy (and scipy's normal quantiles): the report job and `netspec results`
compute the same verdict from the same files, with the same fixed random stream.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field, replace

import numpy as np

from netspec.results.comparison import (
    LEVEL,
    REPLICATES,
    SMALLEST,
    STREAM,
    Comparison,
    compare,
    holm,
)


def pack(correct: np.ndarray) -> str:
    """Per-image correctness as metrics.json keeps it: bits, base64."""
    return base64.b64encode(np.packbits(np.asarray(correct, dtype=bool)).tobytes()).decode()


def unpack(text: str, images: int) -> np.ndarray:
    bits = np.frombuffer(base64.b64decode(text), dtype=np.uint8)
    return np.unpackbits(bits)[:images].astype(bool)


@dataclass(frozen=True)
class Evidence:
    """One run as the verdict sees it: its variant and seed, its selection score on
    validation, and which test images it got right (None: a run from before netspec kept it)."""

    variant: str
    seed: int
    validation: float
    validation_images: int
    correct: np.ndarray | None


def evidence(metrics: dict, record: dict) -> Evidence | None:
    """A finished run's evidence from its metrics.json and run.json; None for a run without a
    score (failed, diverged), which the verdict leaves out and the page lists apart."""
    selected = metrics.get("selected_by", "val_accuracy")
    score = metrics.get("selected_val_loss" if selected == "val_loss" else "selected_val_accuracy")
    if metrics.get("diverged") or score is None or metrics.get("test_accuracy") is None:
        return None
    packed, images = metrics.get("test_correct"), metrics.get("test_images")
    correct = unpack(packed, images) if isinstance(packed, str) and images else None
    return Evidence(
        record.get("variant") or record.get("experiment", ""),
        int(record.get("seed") or 0),
        float(score),
        int(record.get("samples", {}).get("validation") or 0),
        correct,
    )


@dataclass(frozen=True)
class Verdict:
    ranking: list[str]  # variants, best mean selection score on validation first
    tied: list[str]  # the variants tied for best on validation (within one image)
    group: list[str]  # the top group: the tied best, and all not distinguishable from them
    against_best: list[Comparison]  # every other variant against the best
    baseline: str | None = None
    against_baseline: list[Comparison] = field(default_factory=list)
    test_image: float | None = None  # one test image, in points
    validation_image: float | None = None
    seeds_needed: int | None = None
    notes: list[str] = field(default_factory=list)
    level: float = LEVEL
    smallest: float = SMALLEST

    @property
    def alone(self) -> str | None:
        """The single winner, where one stands alone in the top group."""
        return self.group[0] if len(self.group) == 1 else None


def study_verdict(
    runs: list[Evidence],
    lower_is_better: bool = False,
    smallest: float = SMALLEST,
    level: float = LEVEL,
    baseline: str | None = None,
    replicates: int = REPLICATES,
) -> Verdict:
    """The verdict over every variant of `runs` (failed runs left out by the caller)."""
    by_variant: dict[str, list[Evidence]] = {}
    for run in runs:
        by_variant.setdefault(run.variant, []).append(run)
    if not by_variant:
        return Verdict([], [], [], [], notes=["No run produced a score."])
    ranking, tied, one_image = _ranked(by_variant, lower_is_better)
    correct = {
        v: {r.seed: r.correct for r in rs if r.correct is not None} for v, rs in by_variant.items()
    }
    missing = sorted(v for v, rs in by_variant.items() if any(r.correct is None for r in rs))
    test_sizes = {len(c) for seeds in correct.values() for c in seeds.values()}
    notes = _evidence_notes(by_variant, missing, len(test_sizes) > 1)
    comparable = [v for v in ranking if v not in missing and correct[v]]
    test_image = 100 / test_sizes.pop() if len(test_sizes) == 1 else None
    rng = np.random.default_rng(STREAM)
    draws: dict = {}  # one set of bootstrap replicates for every comparison of the study

    def family(pairs: list[tuple[str, str]], one_sided: bool) -> list[Comparison]:
        """The comparisons of `pairs`, their p-values adjusted together (Holm)."""
        found = [
            compare(
                correct[a], correct[b], (a, b), smallest, level, replicates, rng, one_sided, draws
            )
            for a, b in pairs
        ]
        return [
            replace(c, adjusted=p)
            for c, p in zip(found, holm([c.p_value for c in found]), strict=True)
        ]

    reference = [v for v in tied if v in comparable]  # each of the tied best could be "the best"
    against_best: list[Comparison] = []
    if reference and len(test_sizes) <= 1:
        others = [v for v in comparable if v not in reference]
        against_best = family([(best, other) for other in others for best in reference], True)
    # outside the group: worse than every one of the tied best, beyond doubt
    beaten: dict[str, int] = {}
    for c in against_best:
        beaten[c.second] = beaten.get(c.second, 0) + c.second_worse(level)
    outside = {v for v, count in beaten.items() if count == len(reference)}
    group = [v for v in ranking if v in tied or (v in comparable and v not in outside)]
    against_baseline: list[Comparison] = []
    if baseline is not None and baseline in comparable:
        against_baseline = family([(v, baseline) for v in comparable if v != baseline], False)
    elif baseline is not None:
        notes.append(f"The baseline {baseline!r} is not a variant with per-image results here.")
    notes += _flattered(against_best, level)
    needed = [c.seeds_needed for c in against_best]
    seeds_needed = max(needed) if needed and all(n is not None for n in needed) else None
    return Verdict(
        ranking,
        tied,
        group,
        against_best,
        baseline,
        against_baseline,
        test_image,
        100 * one_image if one_image else None,
        seeds_needed,
        notes,
        level,
        smallest,
    )


def _ranked(by_variant: dict[str, list[Evidence]], lower_is_better: bool):
    """The variants by mean selection score on validation, the tied best, and one validation
    image as a fraction (None where unknown)."""
    sign = 1 if lower_is_better else -1
    means = {v: float(np.mean([r.validation for r in rs])) for v, rs in by_variant.items()}
    # as netspec.results.variants.rank_key ranks them: equal to 12 places is a tie, then name
    ranking = sorted(means, key=lambda v: (round(sign * means[v], 12), v))
    images = {r.validation_images for rs in by_variant.values() for r in rs}
    one_image = 1 / min(images) if images and min(images) > 0 else None
    best_score = means[ranking[0]]
    # a tie within one validation image is a tie (accuracy; a loss has no such unit)
    tied = [
        v
        for v in ranking
        if v == ranking[0]
        or (not lower_is_better and one_image and best_score - means[v] < one_image - 1e-12)
    ]
    return ranking, tied, one_image


def _evidence_notes(
    by_variant: dict[str, list[Evidence]], missing: list[str], test_sets_differ: bool
) -> list[str]:
    """What the evidence cannot show: variants without per-image results, and one seed each."""
    notes = []
    if missing or test_sets_differ:
        notes.append(
            "Per-image test results are missing for "
            + (", ".join(missing) if missing else "some runs")
            + " (trained by an older netspec, or on other test sets): those variants are "
            "ranked but not compared. `python -m netspec.results.metrics OUTPUTS/RUN` rewrites "
            "a run's metrics.json from its saved predictions, then rerun snakemake."
        )
    if all(len(rs) == 1 for rs in by_variant.values()) and len(by_variant) > 1:
        notes.append(
            "Each variant ran one seed: the comparisons resample test images only, so how much "
            "the ranking moves from seed to seed is not measured (training.seeds adds seeds)."
        )
    return notes


def _flattered(against_best: list[Comparison], level: float) -> list[str]:
    """A note where seeds vary beyond image churn against the best (Holm over the F tests)."""
    tested = [c for c in against_best if c.seed_excess is not None]
    excess = holm([c.seed_excess for c in tested]) if tested else []
    flattered = [c.second for c, p in zip(tested, excess, strict=True) if p < level]
    if not flattered:
        return []
    return [
        "Seeds differ more than the images changing between them explain (against "
        f"{', '.join(dict.fromkeys(flattered))}): a training's luck moves all its test images "
        "at once and carries from validation to test, so the best on validation may be "
        f"flattered on test and, with {max(c.seeds for c in tested)} seeds, these "
        "comparisons are optimistic. More seeds (training.seeds) settle it."
    ]


def study_verdict_of(metrics: dict[str, dict], records: dict[str, dict], settings: dict):
    """The verdict over every scored run (metrics.json and run.json by run id), with the
    study's `verdict` settings (config: smallest_difference, baseline)."""
    selected = {m.get("selected_by", "val_accuracy") for m in metrics.values()}
    found = study_verdict(
        runs_evidence(metrics, records),
        lower_is_better=selected == {"val_loss"},
        smallest=settings.get("smallest_difference", SMALLEST),
        baseline=settings.get("baseline"),
    )
    if any(m.get("validation") == "test" for m in metrics.values()):
        found.notes.append(
            "Selection and comparison use the same images here (validation is the test set): "
            "the first on validation has a head start on test, so this group is optimistic. "
            'A held-out split ("validation": 0.2) keeps the test set for the comparison alone.'
        )
    return found


def runs_evidence(metrics: dict[str, dict], records: dict[str, dict]) -> list[Evidence]:
    """The evidence of every scored run (metrics.json and run.json by run id)."""
    runs = [evidence(metrics[name], records[name]) for name in metrics]
    return [run for run in runs if run is not None]
