"""The study's answer for any number of variants: which are best, and whether that is real.

Ranking uses the selection metric on validation only (chosen before the test set is looked
at). The best variant is then compared on the test set with every other one, each comparison
resampling seeds and test images together (a two-level bootstrap, paired by seed and by image:
Bouthillier et al., MLSys 2021, "Accounting for variance in machine learning benchmarks"), and
Holm's correction holds the family of comparisons at the study's level. The top group is the
best variant with every variant it cannot be told apart from; one winner is named only when it
stands alone.

Everything here is numpy (and scipy's normal quantiles): the report job and `netspec results`
compute the same verdict from the same files, with the same fixed random stream.
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass, field

import numpy as np

LEVEL = 0.05  # the level every verdict is stated at
SMALLEST = 0.01  # the smallest test-accuracy difference worth finding (1 point), by default
POWER = 0.8
REPLICATES = 2000
STREAM = 20211  # the bootstrap's seed: the same study gives the same numbers


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
class Comparison:
    """`first` minus `second` in test accuracy, in points, over their shared seeds and the
    test images, with a 95% interval and a p-value (`adjusted`: Holm's, within its family)."""

    first: str
    second: str
    difference: float
    low: float
    high: float
    p_value: float
    seeds: int
    images: int
    seeds_needed: int | None  # to find SMALLEST at POWER; None: more seeds alone cannot
    identical: bool = False  # the same prediction on every image of every seed
    adjusted: float = 1.0
    # p of "the per-seed differences spread more than images changing between seeds explain"
    # (an F test of seeds against the seed x image residual); None: fewer than two seeds
    seed_excess: float | None = None

    def distinguishable(self, level: float = LEVEL) -> bool:
        return self.adjusted < level


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


def holm(p_values: list[float]) -> list[float]:
    """Holm's step-down adjusted p-values (Holm 1979), in the order given."""
    order = np.argsort(p_values, kind="stable")
    adjusted = [0.0] * len(p_values)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted


def _z(probability: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(probability))


def compare(
    first: dict[int, np.ndarray],
    second: dict[int, np.ndarray],
    names: tuple[str, str],
    smallest: float = SMALLEST,
    level: float = LEVEL,
    replicates: int = REPLICATES,
    rng: np.random.Generator | None = None,
    one_sided: bool = False,
    draws: dict | None = None,
) -> Comparison:
    """Two variants' test-set correctness (seed -> bool per image), compared. Seeds both ran
    are paired; each replicate draws the seeds (the same draw for both where paired) and the
    test images (the same for both) with replacement. `one_sided`: the p-value is that of
    "first is better", a direction fixed before the test set was looked at (by validation)."""
    rng = rng or np.random.default_rng(STREAM)
    shared = sorted(set(first) & set(second))
    paired = len(shared) >= 2
    a_seeds = shared if paired else sorted(first)
    b_seeds = shared if paired else sorted(second)
    a = np.array([first[s] for s in a_seeds], dtype=float)  # seeds x images
    b = np.array([second[s] for s in b_seeds], dtype=float)
    images = a.shape[1]
    difference = float(a.mean() - b.mean())
    identical = paired and bool(np.array_equal(a, b))
    if identical:
        return Comparison(*names, 0.0, 0.0, 0.0, 1.0, len(shared), images, None, True)
    draws = {} if draws is None else draws  # the study's replicates, shared by its comparisons

    def draw(count: int) -> np.ndarray:
        if count not in draws:
            draws[count] = rng.multinomial(count, np.full(count, 1 / count), size=replicates)
        return draws[count]

    weights = draw(images)
    a_draw = draw(len(a))
    b_draw = a_draw if paired else rng.multinomial(len(b), np.full(len(b), 1 / len(b)), replicates)
    # replicate r: sum over drawn seeds and drawn images, as weights (counts) on each
    a_means = np.einsum("rs,si,ri->r", a_draw, a, weights) / (len(a) * images)
    b_means = np.einsum("rs,si,ri->r", b_draw, b, weights) / (len(b) * images)
    replicas = a_means - b_means
    low, high = np.percentile(replicas, [100 * level / 2, 100 * (1 - level / 2)])
    # the bootstrap test: how often a replicate strays from the estimate as far as the
    # estimate lies from no difference
    if one_sided:
        extreme = np.sum(replicas - difference >= difference)
    else:
        extreme = np.sum(np.abs(replicas - difference) >= abs(difference))
    p_value = float((1 + extreme) / (1 + replicates))
    return Comparison(
        *names,
        100 * difference,
        100 * float(low),
        100 * float(high),
        p_value,
        len(shared) if paired else 0,
        images,
        seeds_for(a, b, paired, smallest, level),
        seed_excess=seed_excess(a - b) if paired else None,
    )


def seed_excess(differences: np.ndarray) -> float | None:
    """Seeds x images of paired differences (-1, 0, 1): the p-value of an F test that the
    per-seed means vary more than the images that change between seeds explain (two-way
    analysis of variance without replication: mean square of seeds over the residual's).
    Where seeds vary that much, a training's luck moves all its images together, and it carries
    from validation to test: the best on validation is flattered on test until more seeds run."""
    from scipy.stats import f

    seeds, images = differences.shape
    if seeds < 2 or images < 2:
        return None
    per_seed, per_image = differences.mean(axis=1), differences.mean(axis=0)
    residual = differences - per_seed[:, None] - per_image[None, :] + differences.mean()
    df_residual = (seeds - 1) * (images - 1)
    ms_residual = float((residual**2).sum()) / df_residual
    ms_seeds = images * float(per_seed.var(ddof=1))
    if ms_residual == 0:
        return None if ms_seeds == 0 else 0.0
    return float(f.sf(ms_seeds / ms_residual, seeds - 1, df_residual))


def accuracy_interval(
    correct: dict[int, np.ndarray], level: float = LEVEL, replicates: int = REPLICATES
) -> tuple[float, float, float] | None:
    """A variant's test accuracy (seed -> bool per image) and its 95% interval, in points, by
    the same two-level bootstrap as the comparisons (seeds and images resampled)."""
    if not correct:
        return None
    rng = np.random.default_rng(STREAM)
    runs = np.array([correct[s] for s in sorted(correct)], dtype=float)
    seeds, images = runs.shape
    weights = rng.multinomial(images, np.full(images, 1 / images), size=replicates)
    draw = rng.multinomial(seeds, np.full(seeds, 1 / seeds), size=replicates)
    replicas = np.einsum("rs,si,ri->r", draw, runs, weights) / (seeds * images)
    low, high = np.percentile(replicas, [100 * level / 2, 100 * (1 - level / 2)])
    return 100 * float(runs.mean()), 100 * float(low), 100 * float(high)


def seeds_for(a: np.ndarray, b: np.ndarray, paired: bool, smallest: float, level: float):
    """Seeds per variant to find a difference of `smallest` at POWER, from the observed spread:
    the variance of the difference is seed variance / seeds plus the test images' own, which
    more seeds do not shrink. None where that image part alone is too large (more test images
    are needed), or where two seeds are not there to measure the seed part."""
    if not paired or len(a) < 2:
        return None
    per_seed = a.mean(axis=1) - b.mean(axis=1)
    seed_variance = float(per_seed.var(ddof=1))
    per_image = (a - b).mean(axis=0)
    image_variance = float(per_image.var(ddof=1)) / len(per_image)
    target = (smallest / (_z(1 - level / 2) + _z(POWER))) ** 2
    if image_variance >= target:
        return None
    return max(2, math.ceil(seed_variance / (target - image_variance)))


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
    sign = 1 if lower_is_better else -1
    means = {v: float(np.mean([r.validation for r in rs])) for v, rs in by_variant.items()}
    # as netspec.results.variants.rank_key ranks them: equal to 12 places is a tie, then name
    ranking = sorted(means, key=lambda v: (round(sign * means[v], 12), v))
    images = {r.validation_images for r in runs}
    one_image = 1 / min(images) if images and min(images) > 0 else None
    best_score = means[ranking[0]]
    # a tie within one validation image is a tie (accuracy; a loss has no such unit)
    tied = [
        v
        for v in ranking
        if v == ranking[0]
        or (not lower_is_better and one_image and best_score - means[v] < one_image - 1e-12)
    ]
    notes = []
    evidence = {
        v: {r.seed: r.correct for r in rs if r.correct is not None} for v, rs in by_variant.items()
    }
    missing = sorted(v for v, rs in by_variant.items() if any(r.correct is None for r in rs))
    test_sizes = {len(c) for seeds in evidence.values() for c in seeds.values()}
    if missing or len(test_sizes) > 1:
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
    comparable = [v for v in ranking if v not in missing and evidence[v]]
    test_image = 100 / test_sizes.pop() if len(test_sizes) == 1 else None
    rng = np.random.default_rng(STREAM)
    draws: dict = {}  # one set of bootstrap replicates for every comparison of the study
    against_best: list[Comparison] = []
    reference = [v for v in tied if v in comparable]
    if reference and len(test_sizes) <= 1:
        for other in comparable:
            if other in reference:
                continue
            for best in reference:  # each of the tied best could be "the best"
                against_best.append(
                    compare(
                        evidence[best],
                        evidence[other],
                        (best, other),
                        smallest,
                        level,
                        replicates,
                        rng,
                        one_sided=True,
                        draws=draws,
                    )
                )
        adjusted = holm([c.p_value for c in against_best])
        against_best = [_adjusted(c, p) for c, p in zip(against_best, adjusted, strict=True)]
    # outside the group: worse than every one of the tied best, beyond doubt
    beaten: dict[str, int] = {}
    for c in against_best:
        beaten[c.second] = beaten.get(c.second, 0) + (c.distinguishable(level) and c.difference > 0)
    outside = {v for v, count in beaten.items() if count == len(reference)}
    group = [v for v in ranking if v in tied or (v in comparable and v not in outside)]
    against_baseline: list[Comparison] = []
    if baseline is not None and baseline in comparable:
        against_baseline = [
            compare(
                evidence[v],
                evidence[baseline],
                (v, baseline),
                smallest,
                level,
                replicates,
                rng,
                draws=draws,
            )
            for v in comparable
            if v != baseline
        ]
        adjusted = holm([c.p_value for c in against_baseline])
        against_baseline = [
            _adjusted(c, p) for c, p in zip(against_baseline, adjusted, strict=True)
        ]
    elif baseline is not None:
        notes.append(f"The baseline {baseline!r} is not a variant with per-image results here.")
    tested = [c for c in against_best if c.seed_excess is not None]
    excess = holm([c.seed_excess for c in tested]) if tested else []
    flattered = [c.second for c, p in zip(tested, excess, strict=True) if p < level]
    if flattered:
        notes.append(
            "Seeds differ more than the images changing between them explain (against "
            f"{', '.join(dict.fromkeys(flattered))}): a training's luck moves all its test images "
            "at once and carries from validation to test, so the best on validation may be "
            f"flattered on test and, with {max(c.seeds for c in tested)} seeds, these "
            "comparisons are optimistic. More seeds (training.seeds) settle it."
        )
    needed = [c.seeds_needed for c in against_best]
    seeds_needed = None
    if needed and all(n is not None for n in needed):
        seeds_needed = max(needed)
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


def _adjusted(comparison: Comparison, p: float) -> Comparison:
    from dataclasses import replace

    return replace(comparison, adjusted=p)


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
