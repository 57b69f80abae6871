"""Seed-level statistics from scipy.stats: a variant's spread over its seeds (the page's and
the CSV's mean, sd and interval), and two sets of seeds compared (the benchmarks'). The
study's verdict resamples images too: netspec.results.verdict."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LEVEL = 0.05  # the significance level the report states its verdicts at


@dataclass(frozen=True)
class Spread:
    """One variant's score over its runs: mean, standard deviation, n, and a 95% confidence
    interval of the mean (Student's t)."""

    n: int
    mean: float
    sd: float | None
    low: float | None
    high: float | None


def spread(values: list[float]) -> Spread | None:
    if not values:
        return None
    array = np.asarray(values, dtype=float)
    mean = float(array.mean())
    if len(array) < 2:
        return Spread(1, mean, None, None, None)
    from scipy import stats

    sd = float(array.std(ddof=1))
    if sd == 0:  # the seeds agree: no interval (a zero-width one would claim certainty)
        return Spread(len(array), mean, 0.0, None, None)
    low, high = stats.t.interval(1 - LEVEL, len(array) - 1, loc=mean, scale=stats.sem(array))
    return Spread(len(array), mean, sd, float(low), float(high))


@dataclass(frozen=True)
class SeedComparison:
    """Two variants compared over their seeds. `paired` when both ran the same seeds (a seed
    fixes the split, the initialisation and the data order alike for both): a t-test on the
    per-seed differences, and the probability that the first beats the second on a seed with a
    bootstrap interval; else Welch's t-test."""

    design: str  # "paired" or "welch"
    difference: float  # mean of the first minus mean of the second
    p_value: float
    p_first_better: float | None = None
    p_interval: tuple[float, float] | None = None
    seeds: int | None = None  # shared seeds, for the paired design
    test: str = ""  # the test that gave p_value, in words

    @property
    def distinguishable(self) -> bool:
        return self.p_value < LEVEL


def compare_seeds(first: dict[int, float], second: dict[int, float]) -> SeedComparison | None:
    """`first` and `second` map seed -> score; None when either has fewer than two runs."""
    from scipy import stats

    if len(first) < 2 or len(second) < 2:
        return None
    if set(first) == set(second):
        seeds = sorted(first)
        a = np.array([first[s] for s in seeds])
        b = np.array([second[s] for s in seeds])
        difference = float((a - b).mean())
        wins = (a > b) + 0.5 * (a == b)
        if np.ptp(a - b) > 0:
            p_value, test = (
                float(stats.ttest_rel(a, b).pvalue),
                "t-test on the per-seed differences",
            )
        else:  # the same difference on every seed: no spread for a t-test; the signs alone
            ahead = int(np.sum(a > b))
            p_value = 1.0 if difference == 0 else float(stats.binomtest(ahead, len(a)).pvalue)
            test = "exact sign test: every seed gives the same difference, so a t-test is undefined"
        rng = np.random.default_rng(0)  # a fixed stream: the same study gives the same interval
        resampled = wins[rng.integers(0, len(wins), (2000, len(wins)))].mean(axis=1)
        interval = (float(np.percentile(resampled, 2.5)), float(np.percentile(resampled, 97.5)))
        design, better = "paired", float(wins.mean())
    else:
        a, b = np.array(list(first.values())), np.array(list(second.values()))
        difference = float(a.mean() - b.mean())
        if np.ptp(a) > 0 or np.ptp(b) > 0:
            p_value, test = float(stats.ttest_ind(a, b, equal_var=False).pvalue), "Welch's t-test"
        else:  # no spread in either: Welch's test is undefined; ranks alone (exact)
            p_value = (
                1.0 if difference == 0 else float(stats.mannwhitneyu(a, b, method="exact").pvalue)
            )
            test = (
                "exact Mann-Whitney U test: neither varies over its seeds, so Welch's is undefined"
            )
        design, better, interval = "welch", None, None
    shared = len(first) if design == "paired" else None
    return SeedComparison(design, difference, p_value, better, interval, shared, test)
