"""Scores declared once (netspec.results.scores), and one ranking wherever a study is shown."""

from __future__ import annotations

import numpy as np
import pytest

from netspec.results import scores
from netspec.results.metrics import prediction_scores
from netspec.results.plots import _selected
from netspec.results.variants import rank, variant_scores
from netspec.results.verdict import Evidence, study_verdict


def test_macro_f1_from_the_confusion_matrix_matches_scikit_learn():
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 4, 300)
    y_prob = rng.random((300, 4)) + np.eye(4)[y_true] * 0.6
    y_prob[:, 3] *= 0.01  # class 3 almost never predicted
    facts = scores.facts(prediction_scores(y_true, y_prob / y_prob.sum(1, keepdims=True)))
    expected = f1_score(y_true, y_prob.argmax(1), average="macro", zero_division=0)
    assert facts["test_macro_f1"] == pytest.approx(expected)
    assert facts["test_accuracy"] == pytest.approx((y_prob.argmax(1) == y_true).mean())


def test_old_names_are_read_new_and_a_name_is_declared_once():
    old = {"best_epoch": 3, "best_val_accuracy": 0.9, "best_val_loss": 0.3, "test_loss": 0.4}
    facts = scores.facts(old)
    assert facts["selected_epoch"] == 3 and facts["selected_val_accuracy"] == 0.9
    assert facts["selected_val_loss"] == 0.3 and facts["test_loss"] == 0.4
    assert facts["test_macro_f1"] is None  # an old file without a confusion matrix
    with pytest.raises(ValueError, match="declared already"):
        scores.declare(scores.Score("test_loss", "again", False, lambda f: 0.0))


def test_a_study_selected_on_loss_ranks_by_loss_everywhere_and_a_diverged_run_counts_nowhere():
    # a has the better accuracy but the worse loss: a study selecting on loss ranks b first
    metrics = {
        "a-s0": {
            "selected_by": "val_loss",
            "selected_val_accuracy": 0.99,
            "selected_val_loss": 0.5,
        },
        "b-s0": {
            "selected_by": "val_loss",
            "selected_val_accuracy": 0.90,
            "selected_val_loss": 0.2,
        },
    }
    for m in metrics.values():
        m["test_accuracy"] = 0.9
    infos = {name: {"variant": name[0], "seed": 0} for name in metrics}
    assert [s.variant for s in variant_scores(metrics, infos)] == ["b", "a"]
    assert rank(metrics) == ["b-s0", "a-s0"]
    runs = [
        Evidence(name[0], 0, m["selected_val_loss"], 100, np.ones(50, bool))
        for name, m in metrics.items()
    ]
    assert study_verdict(runs, lower_is_better=True).ranking == ["b", "a"]
    # the leaderboard figure leaves out a diverged run, as the page's means do
    history = {"selected_epoch": 1, "diverged": True, "metrics": {"val_accuracy": [0.5]}}
    assert _selected(history) == (None, None)
