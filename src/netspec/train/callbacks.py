"""The callbacks netspec adds to `model.fit`: each epoch logged and its resumable state saved
(netspec.train.resume reads it back), early stopping that carries its counters across a resume,
and the selection of the epoch whose weights are kept."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np

from netspec.train.resume import random_states


def finite(value) -> float | None:
    """A metric as JSON keeps it: a float, or None for NaN, infinity or no value."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def save_weights(path: Path, weights: list) -> None:
    """Weights as an npz, atomically: a kill leaves the old file or the new one."""
    partial = path.with_name(path.stem + ".partial.npz")
    np.savez(partial, *weights)
    partial.replace(path)


def load_weights(path: str | Path) -> list:
    with np.load(path) as arrays:
        return [arrays[f"arr_{i}"] for i in range(len(arrays))]


def epoch_line(number: int, total: int, record: dict) -> str:
    """One epoch as the log shows it: its metrics and its time."""
    shown = "  ".join(
        f"{k} {v:.4f}" if v is not None else f"{k} nan"
        for k, v in record.items()
        if k != "epoch_time_s"
    )
    return f"epoch {number}/{total}  {shown}  {record['epoch_time_s']:.2f}s"


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def progress_callback(
    keras, resume: Path, identity: tuple[str, str], epochs: list[dict], total: int, keep: dict
):
    class Progress(keras.callbacks.Callback):
        """Log each epoch and save a resumable state after it: the model with its optimizer,
        the epoch log, early stopping's counters and (if it restores them) its best weights."""

        def on_train_begin(self, logs=None):
            self.began, self.done = time.perf_counter(), 0

        def on_epoch_begin(self, epoch, logs=None):
            self.started = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            record = {key: finite(value) for key, value in (logs or {}).items()}
            record["epoch_time_s"] = round(time.perf_counter() - self.started, 4)
            epochs.append(record)
            self.done += 1
            elapsed = time.perf_counter() - self.began
            left = elapsed / self.done * (total - epoch - 1)  # early stopping may end it sooner
            print(
                f"{epoch_line(epoch + 1, total, record)}  elapsed {_duration(elapsed)}  "
                f"eta {_duration(left)}",
                flush=True,
            )
            if record.get("loss") is None:
                # Diverged: stop here. Checked per epoch, not per batch as TerminateOnNaN does:
                # any per-batch hook makes Keras sync every step.
                self.model.stop_training = True
            state = resume / f"state-{epoch + 1}.keras"
            self.model.save(state)
            saved = {
                "digest": identity[0],
                "lineage": identity[1],  # what a run of more epochs may continue from
                "state": state.name,
                "epochs": epochs,
                "random_states": random_states(keras, self.model),
            }
            for name, callback in keep.items():  # epoch selection, early stopping
                saved[name] = callback.save(resume, epoch)
            progress = resume / "progress.json.tmp"
            progress.write_text(json.dumps(saved))
            progress.replace(resume / "progress.json")  # atomic: the state it names is complete
            for old in resume.glob("state-*.keras"):
                if old != state:
                    old.unlink()

    return Progress()


def early_stopping(keras, settings: dict, saved: dict | None):
    """keras.callbacks.EarlyStopping that resumes with the counters and best weights it had."""

    class ResumableEarlyStopping(keras.callbacks.EarlyStopping):
        def on_train_begin(self, logs=None):
            super().on_train_begin(logs)
            if saved:
                self.wait, self.best_epoch = saved["wait"], saved["best_epoch"]
                self.best = saved["best"] if saved["best"] is not None else self.best
                if saved.get("weights"):
                    self.best_weights = load_weights(saved["weights"])

        def save(self, resume: Path, epoch: int) -> dict:
            state = {"wait": self.wait, "best_epoch": self.best_epoch, "best": finite(self.best)}
            if self.restore_best_weights and self.best_weights is not None:
                weights = resume / "best-weights.npz"
                if self.best_epoch == epoch or not weights.exists():
                    save_weights(weights, self.best_weights)
                state["weights"] = weights.name  # a name inside .resume/, never a path
            return state

    return ResumableEarlyStopping(**settings)


def stopped_early(settings: dict | None, kept: dict) -> bool:
    """Whether the saved state is of a run that early stopping ended: Keras stops once `wait`
    (epochs without improvement, counted from start_from_epoch) reaches the patience."""
    saved = kept.get("early_stopping")
    if not settings or not saved:
        return False
    return saved["wait"] > 0 and saved["wait"] >= settings.get("patience", 0)


def epoch_selection(keras, metric: str, saved: dict | None):
    """Keeps the weights of the epoch with the best `metric` on the validation set (the first
    such epoch on ties); the test set is scored once, on those weights, after training."""
    maximise = metric.endswith("accuracy")

    class SelectEpoch(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.best, self.epoch, self.weights = None, None, None
            if saved:
                self.best, self.epoch = saved["best"], saved["epoch"]
                if saved.get("weights"):
                    self.weights = load_weights(saved["weights"])

        def on_epoch_end(self, epoch, logs=None):
            value = finite((logs or {}).get(metric, math.nan))
            if value is None:
                return
            if self.best is None or (value > self.best if maximise else value < self.best):
                self.best, self.epoch = value, epoch + 1
                self.weights = self.model.get_weights()

        def save(self, resume: Path, epoch: int) -> dict:
            state = {"best": self.best, "epoch": self.epoch}
            if self.weights is not None:
                weights = resume / "selected-weights.npz"
                if self.epoch == epoch + 1 or not weights.exists():
                    save_weights(weights, self.weights)
                state["weights"] = weights.name  # a name inside .resume/, never a path
            return state

        def restore(self) -> int | None:
            """Put the selected epoch's weights into the model; its 1-based number."""
            if self.weights is not None:
                self.model.set_weights(self.weights)
            return self.epoch

    return SelectEpoch()
