"""The seed-level statistics (a variant's spread; the benchmarks' seed comparisons), checked
against values computed by hand. The verdict's own: tests/test_verdict.py."""

from __future__ import annotations

import pytest


def test_a_variants_spread_has_a_student_t_interval():
    from netspec.results.statistics import spread

    s = spread([0.90, 0.92, 0.94])
    assert (s.n, s.mean, s.sd) == (3, pytest.approx(0.92), pytest.approx(0.02))
    # t(0.975, df=2) = 4.302653; half-width 4.302653 * 0.02 / sqrt(3)
    assert (s.low, s.high) == (pytest.approx(0.870317, abs=1e-6), pytest.approx(0.969683, abs=1e-6))
    assert spread([0.9]).sd is None and spread([]) is None


def test_paired_seeds_use_the_per_seed_differences():
    from netspec.results.statistics import compare_seeds

    # differences 0.02, 0.02, -0.01: mean 0.01, sd sqrt(0.0003), t = 1 with 2 degrees of
    # freedom, p = 2 * (1 - (0.5 + 1 / (2 * sqrt(3)))) = 0.422650
    c = compare_seeds({0: 0.90, 1: 0.92, 2: 0.94}, {0: 0.88, 1: 0.90, 2: 0.95})
    assert c.design == "paired" and c.difference == pytest.approx(0.01)
    assert c.p_value == pytest.approx(0.422650, abs=1e-6) and not c.distinguishable
    assert c.p_first_better == pytest.approx(2 / 3)
    assert 0 <= c.p_interval[0] <= c.p_first_better <= c.p_interval[1] <= 1


def test_different_seeds_use_welchs_test():
    from netspec.results.statistics import compare_seeds

    # means 0.91 and 0.81, both sd 0.014142: t = 7.0711 with 2 degrees of freedom (Welch),
    # p = 2 * (1 - (0.5 + t / (2 * sqrt(2 + t**2)))) = 0.019419
    c = compare_seeds({0: 0.90, 1: 0.92}, {5: 0.80, 6: 0.82})
    assert c.design == "welch" and c.difference == pytest.approx(0.10)
    assert c.p_value == pytest.approx(0.019419, abs=1e-6) and c.distinguishable
    assert compare_seeds({0: 0.9}, {0: 0.8, 1: 0.7}) is None


def test_the_same_difference_on_every_seed_falls_back_to_an_exact_sign_test():
    from netspec.results.statistics import compare_seeds

    # floats that differ by exactly 1/128 on every seed: no spread, so the t-test is undefined
    first = {s: 0.5 + s / 64 + 1 / 128 for s in range(6)}
    second = {s: 0.5 + s / 64 for s in range(6)}
    result = compare_seeds(first, second)
    assert result.test.startswith("exact sign test")
    assert result.p_value == pytest.approx(2 * 0.5**6)  # 6 of 6 seeds the same way: 1/32
    two = compare_seeds({0: 0.75, 1: 0.5}, {0: 0.5, 1: 0.25})
    assert two.p_value == pytest.approx(0.5) and not two.distinguishable  # 2 seeds prove nothing


def test_no_spread_on_different_seeds_falls_back_to_an_exact_rank_test():
    from netspec.results.statistics import compare_seeds

    result = compare_seeds({0: 0.9, 1: 0.9, 2: 0.9}, {3: 0.8, 4: 0.8, 5: 0.8})
    assert result.design == "welch" and result.test.startswith("exact Mann-Whitney U")
    assert result.p_value == pytest.approx(2 / 20)  # the most extreme of C(6, 3) orderings, twice
