"""Per-run metrics (netspec.results.metrics): best epoch, test scores, confusion matrix."""

from __future__ import annotations

import numpy as np
import pytest

from netspec.results.metrics import prediction_scores, selected_epoch


def test_best_epoch_is_the_earliest_highest_validation_accuracy():
    history = {"metrics": {"val_accuracy": [0.5, 0.9, None, 0.9, 0.8]}}
    assert selected_epoch(history) == 2
    assert selected_epoch({"metrics": {"val_accuracy": [None, None]}}) is None


def test_prediction_scores_match_scikit_learn():
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 4, 300)
    y_prob = rng.dirichlet(np.ones(4), 300).astype(np.float32)
    y_prob[:150, :] = np.eye(4)[y_true[:150]] * 0.9 + 0.025  # half of them right
    scores = prediction_scores(y_true, y_prob)
    y_pred = y_prob.argmax(axis=1)
    assert scores["confusion_matrix"] == metrics.confusion_matrix(y_true, y_pred).tolist()
    precision, recall, f1, support = metrics.precision_recall_fscore_support(
        y_true, y_pred, zero_division=0
    )
    assert [c["precision"] for c in scores["per_class"]] == pytest.approx(precision)
    assert [c["recall"] for c in scores["per_class"]] == pytest.approx(recall)
    assert [c["f1"] for c in scores["per_class"]] == pytest.approx(f1)
    assert [c["support"] for c in scores["per_class"]] == support.tolist()
    assert scores["test_accuracy"] == pytest.approx(metrics.accuracy_score(y_true, y_pred))
    assert scores["test_loss"] == pytest.approx(metrics.log_loss(y_true, y_prob), rel=1e-4)


def test_a_class_never_predicted_has_zero_precision_not_nan():
    y_prob = np.array([[0.9, 0.1, 0.0], [0.8, 0.2, 0.0]], dtype=np.float32)
    scores = prediction_scores(np.array([0, 2]), y_prob)
    assert [c["precision"] for c in scores["per_class"]] == [0.5, 0.0, 0.0]
    assert [c["recall"] for c in scores["per_class"]] == [1.0, 0.0, 0.0]


def test_diverged_runs_rank_last_whatever_their_early_scores():
    from netspec.results.variants import rank

    metrics = {
        "wild": {"selected_val_accuracy": 0.99, "selected_val_loss": 0.1, "diverged": True},
        "steady": {"selected_val_accuracy": 0.90, "selected_val_loss": 0.3, "diverged": False},
        "silent": {"selected_val_accuracy": None, "selected_val_loss": None, "diverged": False},
        "tied": {"selected_val_accuracy": 0.90, "selected_val_loss": 0.2, "diverged": False},
    }
    # a tie on accuracy is ordered by name, not by loss: no other metric breaks it silently
    assert rank(metrics) == ["steady", "tied", "wild", "silent"]
