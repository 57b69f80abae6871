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
