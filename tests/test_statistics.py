"""The verdict's statistics, checked against values computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from netspec.results.report import verdict
from netspec.results.statistics import mcnemar_exact


def paired(both: int, only_first: int, only_second: int, neither: int):
    """Labels and two models' predictions with a known 2x2 table of right and wrong."""
    y_true = np.zeros(both + only_first + only_second + neither, dtype=int)
    first = np.concatenate([[0] * both, [0] * only_first, [1] * only_second, [1] * neither])
    second = np.concatenate([[0] * both, [1] * only_first, [0] * only_second, [1] * neither])
    return y_true, first, second


def test_exact_mcnemar_on_a_known_table():
    # 8 disagreements for the first model, 2 for the second: under H0 the count is
    # Binomial(10, 1/2), so p = 2 * P(X <= 2) = 2 * (1 + 10 + 45) / 1024 = 0.109375.
    test = mcnemar_exact(*paired(both=80, only_first=8, only_second=2, neither=10))
    assert (test.images, test.only_first, test.only_second) == (100, 8, 2)
    assert test.p_value == pytest.approx(112 / 1024, rel=1e-12)
    assert not test.distinguishable
    # 15 against 1: p = 2 * (1 + 16) / 2**16 = 34 / 65536, well under 5%.
    strong = mcnemar_exact(*paired(both=0, only_first=15, only_second=1, neither=0))
    assert strong.p_value == pytest.approx(34 / 65536, rel=1e-12) and strong.distinguishable
    same = mcnemar_exact(*paired(both=5, only_first=0, only_second=0, neither=5))
    assert same.p_value == 1.0


def test_the_headline_says_whether_the_margin_is_distinguishable():
    metrics = {
        "a": {"best_val_accuracy": 0.95, "best_val_loss": 0.2, "validation_samples": 200},
        "b": {"best_val_accuracy": 0.94, "best_val_loss": 0.25, "validation_samples": 200},
    }
    weak = mcnemar_exact(*paired(both=80, only_first=8, only_second=2, neither=10))
    text = verdict(["a", "b"], metrics, weak)
    assert "1.00 points ahead of <b>b</b> (2 of 200 validation samples)" in text
    assert "disagree on 10: the winner alone is right on 8, the runner-up alone on 2" in text
    assert (
        "p = 0.109: the difference <b>is not distinguishable from chance</b> at the 5% level"
        in text
    )
    assert "not measured" in text
    strong = mcnemar_exact(*paired(both=0, only_first=15, only_second=1, neither=0))
    assert "<b>is distinguishable from chance</b>" in verdict(["a", "b"], metrics, strong)
    assert "not tested" in verdict(["a", "b"], metrics, None)


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


def test_the_variants_headline_names_the_design_and_the_answer():
    from netspec.results.variants import variant_scores, variants_verdict

    metrics, infos = {}, {}
    for variant, scores in (("a", (0.90, 0.92, 0.94)), ("b", (0.88, 0.90, 0.95))):
        for seed, score in enumerate(scores):
            name = f"{variant}-s{seed}"
            metrics[name] = {"best_val_accuracy": score, "test_accuracy": score, "diverged": False}
            infos[name] = {"variant": variant, "seed": seed}
    metrics["b-s9"] = {"best_val_accuracy": 0.99, "test_accuracy": None, "diverged": True}
    infos["b-s9"] = {"variant": "b", "seed": 9}
    scores = variant_scores(metrics, infos)
    assert [s.variant for s in scores] == ["a", "b"] and scores[1].failed == ["b-s9"]
    text = variants_verdict(scores)
    assert "mean validation accuracy 0.9200 over 3 seed(s)" in text
    assert "Paired over the same seeds, the mean difference is +1.00 points" in text
    assert "p = 0.423" in text and "<b>is not distinguishable from seed noise</b>" in text


def test_a_tie_on_validation_is_said_and_the_tie_break_named():
    from netspec.results.variants import variant_scores, variants_verdict

    metrics, infos = {}, {}
    for variant, loss in (("a", 0.3), ("b", 0.1)):
        for seed, score in enumerate((0.90, 0.92, 0.94)):
            name = f"{variant}-s{seed}"
            metrics[name] = {
                "best_val_accuracy": score,
                "best_val_loss": loss,
                "test_accuracy": score,
                "diverged": False,
            }
            infos[name] = {"variant": variant, "seed": seed}
    scores = variant_scores(metrics, infos)
    assert [s.variant for s in scores] == ["b", "a"]
    text = variants_verdict(scores)
    assert "tied on it with <b>a</b>: validation accuracy does not separate them" in text
    assert "first only on mean validation loss (0.1000 against 0.3000)" in text


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
