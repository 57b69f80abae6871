"""Whether a margin between two variants is real: tests from scipy.stats, not re-derived."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LEVEL = 0.05  # the significance level the report states its verdicts at


@dataclass(frozen=True)
class PairedTest:
    """Exact McNemar test of two models' predictions on the same test images."""

    images: int
    only_first: int  # images the first model gets right and the second wrong
    only_second: int  # the other way round
    p_value: float

    @property
    def distinguishable(self) -> bool:
        return self.p_value < LEVEL


def mcnemar_exact(y_true, first, second) -> PairedTest:
    """McNemar's test on the images where the two disagree, exact: under the hypothesis that
    both are equally accurate, each disagreement favours either model with probability 1/2,
    so the count favouring the first is Binomial(disagreements, 1/2)."""
    from scipy.stats import binomtest  # the report job only: planning never imports scipy

    y_true = np.asarray(y_true)
    first_right = np.asarray(first) == y_true
    second_right = np.asarray(second) == y_true
    only_first = int(np.sum(first_right & ~second_right))
    only_second = int(np.sum(~first_right & second_right))
    disagreements = only_first + only_second
    p_value = binomtest(only_first, disagreements, 0.5).pvalue if disagreements else 1.0
    return PairedTest(len(y_true), only_first, only_second, float(p_value))
