"""Per-experiment metrics from a finished training, without TensorFlow: best epoch, test scores,
confusion matrix and per-class precision and recall (from the saved test-set predictions)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from netspec import layout
from netspec.errors import SpecError
from netspec.results.study import read_result
from netspec.results.verdict import pack


def selected_epoch(history: dict) -> int | None:
    """The selected epoch (1-based): the one training kept and tested, chosen on the validation
    set by `selected_by`. Histories without a record of it (written before netspec selected
    epochs) fall back to the highest validation accuracy, earliest on ties."""
    if "selected_epoch" in history:
        return history["selected_epoch"]
    scores = history["metrics"].get("val_accuracy", [])
    finite = [(s, -i) for i, s in enumerate(scores) if s is not None and math.isfinite(s)]
    return -max(finite)[1] + 1 if finite else None


def selected_val_accuracy(history: dict) -> float | None:
    """The validation accuracy at the selected epoch: what the study ranks experiments by."""
    best = selected_epoch(history)
    return history["metrics"]["val_accuracy"][best - 1] if best else None


def summarize(history: dict, y_true: np.ndarray, y_prob: np.ndarray, run: dict) -> dict:
    """The metrics.json of one experiment."""
    metrics = history["metrics"]
    best = selected_epoch(history)
    at_best = {k: (v[best - 1] if best else None) for k, v in metrics.items()}
    result = {
        "experiment": run["experiment"],
        "diverged": history["diverged"],
        "epochs_run": len(history["epochs"]),
        "selected_epoch": best,
        "selected_by": history.get("selected_by", "val_accuracy"),
        "selected_val_accuracy": selected_val_accuracy(history),
        "selected_val_loss": at_best.get("val_loss"),
        "final_val_accuracy": metrics["val_accuracy"][-1] if metrics.get("val_accuracy") else None,
        "train_accuracy_at_selected": at_best.get("accuracy"),
        "validation": run["spec"]["data"]["validation"],
        "params": run["params"],
        "wall_time_s": run["wall_time_s"],
        "mean_epoch_time_s": float(np.mean(history["epoch_time_s"])),
    }
    result.update(prediction_scores(y_true, y_prob))
    return result


def prediction_scores(y_true: np.ndarray, y_prob: np.ndarray) -> dict:
    """Accuracy, loss, confusion matrix, per-class precision/recall of the selected model's
    test-set predictions; NaN predictions (a run that diverged from its first epoch) give null
    scores.

    Plain numpy: importing sklearn.metrics would cost this job more than the arithmetic."""
    classes = y_prob.shape[1]
    if not np.isfinite(y_prob).all():
        return {
            "test_correct": None,
            "test_images": len(y_true),
            "test_accuracy": None,
            "test_loss": None,
            "confusion_matrix": None,
            "per_class": None,
        }
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = y_prob.argmax(axis=1)
    matrix = np.bincount(classes * y_true + y_pred, minlength=classes * classes)
    matrix = matrix.reshape(classes, classes)  # rows: true class, columns: predicted
    hits, predicted, support = np.diag(matrix), matrix.sum(axis=0), matrix.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, hits / predicted, 0.0)
        recall = np.where(support > 0, hits / support, 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    picked = y_prob[np.arange(len(y_true)), y_true]
    return {
        # which test images it got right: the report resamples images as well as seeds
        "test_correct": pack(y_pred == y_true),
        "test_images": len(y_true),
        "test_accuracy": float((y_pred == y_true).mean()),
        "test_loss": float(-np.log(np.clip(picked, 1e-7, 1.0)).mean()),
        "confusion_matrix": matrix.tolist(),
        "per_class": [
            {
                "class": c,
                "precision": float(precision[c]),
                "recall": float(recall[c]),
                "f1": float(f1[c]),
                "support": int(support[c]),
            }
            for c in range(classes)
        ],
    }


def write_metrics(history: dict, y_true, y_prob, run: dict, output: str | Path) -> dict:
    """Write metrics.json; the training job calls this as its last step."""
    result = summarize(history, np.asarray(y_true), np.asarray(y_prob), run)
    layout.write_whole(output, json.dumps(result, indent=1))  # it vouches for the run's files
    return result


def metrics_job(history: str, predictions: str, run: str, output: str) -> dict:
    """Recompute metrics.json from a finished training's files (no TensorFlow needed)."""
    with np.load(predictions) as arrays:
        y_true, y_prob = arrays["y_true"], arrays["y_prob"]
    return write_metrics(read_result(history), y_true, y_prob, read_result(run), output)


def main(argv: list[str] | None = None) -> int:
    import argparse
    import sys

    parser = argparse.ArgumentParser(
        prog="python -m netspec.results.metrics",
        description="Recompute an experiment's metrics.json from its history, predictions and "
        "run record, without TensorFlow.",
    )
    parser.add_argument("folder", help="the experiment's output folder (outputs/EXPERIMENT)")
    folder = Path(parser.parse_args(argv).folder)
    try:
        metrics_job(
            *(folder / f for f in (layout.HISTORY, layout.PREDICTIONS, layout.RUN)),
            folder / layout.METRICS,
        )
    except SpecError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"error: {folder}: {error.strerror}: {error.filename}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
