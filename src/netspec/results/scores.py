"""Scores, each declared once: its name (the column in results.csv, the key in the results the
report and `netspec results` read), its words, which way is better, and how it is computed from
the facts a run's metrics.json keeps (the selected epoch's validation scores, the test set's
confusion matrix and per-image correctness). A score declared here appears in the page, the CSV
and `netspec results --wide` for every run, trained before it existed or after, without
retraining: its facts were kept.

Old metrics.json files named the selected epoch's values `best_*`; `facts` reads them under
today's `selected_*` names."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# metrics.json keys of the selected epoch, as netspec before 0.2 spelled them
RENAMED = {
    "best_epoch": "selected_epoch",
    "best_val_accuracy": "selected_val_accuracy",
    "best_val_loss": "selected_val_loss",
    "train_accuracy_at_best": "train_accuracy_at_selected",
}


@dataclass(frozen=True)
class Score:
    name: str  # results.csv's column and the results' key: spelled here only
    words: str  # how the page and the terminal name it
    higher_is_better: bool
    compute: Callable[[dict], float | None]  # from a run's facts (metrics.json, upgraded)
    digits: int = 4


SCORES: dict[str, Score] = {}


def declare(score: Score) -> Score:
    """Add a score to every study's results; its name must be new."""
    if score.name in SCORES:
        raise ValueError(f"a score named {score.name!r} is declared already")
    SCORES[score.name] = score
    return score


def forget(name: str) -> None:
    """Take a declared score back out (a test's own score, after the test)."""
    SCORES.pop(name, None)


def facts(metrics: dict) -> dict:
    """A run's metrics.json as the results read it: old `best_*` keys under their `selected_*`
    names, and every declared score computed from what the file keeps (None where it cannot be:
    a failed or diverged run, or a fact an old file lacks)."""
    upgraded = {RENAMED.get(key, key): value for key, value in metrics.items()}
    for score in SCORES.values():
        try:
            upgraded[score.name] = score.compute(upgraded)
        except (KeyError, TypeError, ValueError, ZeroDivisionError):
            upgraded[score.name] = None
    return upgraded


def _stored(key: str) -> Callable[[dict], float | None]:
    return lambda facts: facts.get(key)


def _confusion(facts: dict) -> list[list[int]] | None:
    return facts.get("confusion_matrix")


def _test_accuracy(facts: dict) -> float | None:
    matrix = _confusion(facts)
    if matrix is None:
        return facts.get("test_accuracy")
    total = sum(map(sum, matrix))
    return sum(matrix[c][c] for c in range(len(matrix))) / total if total else None


def _macro_f1(facts: dict) -> float | None:
    """The mean over classes of F1 = 2 hits / (predicted + true), from the confusion matrix
    (rows: true class); a class never predicted nor present scores 0, as scikit-learn's."""
    matrix = _confusion(facts)
    if matrix is None:
        return None
    classes = range(len(matrix))
    f1 = []
    for c in classes:
        hits, true, predicted = matrix[c][c], sum(matrix[c]), sum(row[c] for row in matrix)
        f1.append(2 * hits / (true + predicted) if true + predicted else 0.0)
    return sum(f1) / len(f1)


SELECTED_VAL_ACCURACY = declare(
    Score("selected_val_accuracy", "validation accuracy", True, _stored("selected_val_accuracy"))
)
SELECTED_VAL_LOSS = declare(
    Score("selected_val_loss", "validation loss", False, _stored("selected_val_loss"))
)
TEST_ACCURACY = declare(Score("test_accuracy", "test accuracy", True, _test_accuracy))
TEST_LOSS = declare(Score("test_loss", "test loss", False, _stored("test_loss")))
TEST_MACRO_F1 = declare(Score("test_macro_f1", "test macro-F1", True, _macro_f1))

# what the study ranks by, for each training.select metric
SELECTION = {"val_accuracy": SELECTED_VAL_ACCURACY, "val_loss": SELECTED_VAL_LOSS}


def extra() -> list[Score]:
    """The declared scores besides the ones every table shows in its own columns (validation
    and test accuracy): test loss, macro-F1 and any declared since."""
    shown = {SELECTED_VAL_ACCURACY.name, TEST_ACCURACY.name}
    return [score for score in SCORES.values() if score.name not in shown]
