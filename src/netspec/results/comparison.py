"""Two variants compared on the test set, seeds and images resampled together.

A two-level bootstrap, paired by seed and by image (Bouthillier et al., MLSys 2021,
"Accounting for variance in machine learning benchmarks"), Holm's step-down correction for a
family of comparisons, the seeds a comparison would need to find a given difference, and an F
test of whether seeds vary beyond the images that change between them. numpy and scipy only,
with a fixed random stream: the same runs give the same numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

LEVEL = 0.05  # the level every verdict is stated at
SMALLEST = 0.01  # the smallest test-accuracy difference worth finding (1 point), by default
POWER = 0.8
REPLICATES = 2000
STREAM = 20211  # the bootstrap's seed: the same study gives the same numbers


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

    def second_worse(self, level: float = LEVEL) -> bool:
        """`second` shown worse than `first` at `level`: what takes a variant out of the top
        group, against every one of the tied best."""
        return self.distinguishable(level) and self.difference > 0


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
