"""What lets a killed training continue where it stopped, as if it never had: the state saved
after every epoch, early stopping that carries its counters across, and one trainer per folder."""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import os
import re
import shutil
import signal
import time
from pathlib import Path

import numpy as np

RESUME_DIR = ".resume"  # inside the experiment's output folder; removed after a finished run
LOCK_FILE = ".training.lock"
STOP_WAIT_S = 60  # how long a leftover trainer gets to exit on SIGTERM before SIGKILL


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


def _seed_generators(keras, model):
    """(name, generator) for every random stream a layer draws from (dropout masks, noise)."""
    for layer in model._flatten_layers(include_self=False):
        for attribute, value in vars(layer).items():
            if isinstance(value, keras.random.SeedGenerator):
                yield f"{layer.name}/{attribute}", value


def random_states(keras, model) -> dict:
    """The position of each layer's random stream: a saved .keras model does not keep them, and
    a resumed run would otherwise draw the first epochs' dropout masks again."""
    return {
        name: generator.state.numpy().tolist() for name, generator in _seed_generators(keras, model)
    }


def restore_random_states(keras, model, states: dict) -> None:
    for name, generator in _seed_generators(keras, model):
        generator.state.assign(np.asarray(states[name], dtype=generator.state.dtype))


def plain_name(resume: Path, text: str) -> Path:
    """A file named in progress.json: a plain name inside `resume` (runs saved before names
    were plain wrote the path of a file directly inside it, which is read as its name).
    Anything else (another folder, `..`, a separator) is damage: ValueError."""
    path = Path(text)
    if len(path.parts) > 1 and path.parent.resolve() == resume.resolve():
        path = Path(path.name)
    if len(path.parts) != 1 or path.name in ("", ".", "..") or not _PLAIN.fullmatch(path.name):
        raise ValueError(f"{text!r} is not a plain file name inside {resume}")
    return resume / path.name


_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def resume_point(keras, resume: Path, digest: str) -> tuple[object, list[dict], dict]:
    """(model, epochs done, the saved state of each callback) from an interrupted run of this
    same experiment, else (None, [], {}). A damaged state is set aside, never a crash."""
    progress_file = resume / "progress.json"
    if not progress_file.exists():
        return None, [], {}
    try:
        progress = json.loads(progress_file.read_text())
        state = plain_name(resume, progress["state"])
        if progress.get("digest") != digest or not state.exists():
            return None, [], {}  # a different experiment trained here before
        model = keras.models.load_model(state)
        restore_random_states(keras, model, progress["random_states"])
        kept = {
            name: progress[name] for name in ("selection", "early_stopping") if name in progress
        }
        for saved in kept.values():
            if saved.get("weights"):
                saved["weights"] = str(plain_name(resume, saved["weights"]))
        return model, list(progress["epochs"]), kept
    except Exception as error:  # noqa: BLE001 - truncated JSON, a damaged .keras file, ...
        print(f"the saved state in {resume} is damaged ({error}); starting afresh", flush=True)
        for leftover in resume.iterdir():
            shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()
        return None, [], {}


def adopt(resume: Path, kept: Path, digest: str, lineage: str, epochs: int) -> int:
    """Take the state a halving sweep's previous rung kept in `kept` as this run's resume state,
    if it is of the same lineage (what trains, less the epoch count) and has no more epochs
    than this run trains; the epochs it holds (0: nothing taken, a fresh start)."""
    try:
        progress = json.loads((kept / "progress.json").read_text())
        done = len(progress["epochs"])
        if progress.get("lineage") != lineage or done > epochs:
            return 0
        names = {plain_name(kept, progress["state"]).name}
        names |= {
            plain_name(kept, progress[k]["weights"]).name
            for k in ("selection", "early_stopping")
            if progress.get(k, {}).get("weights")
        }
        for name in names:
            shutil.copyfile(kept / name, resume / name)
    except (OSError, ValueError, KeyError, TypeError) as error:
        print(f"the kept state in {kept} cannot be used ({error}); starting afresh", flush=True)
        return 0
    progress["digest"] = digest
    (resume / "progress.json.tmp").write_text(json.dumps(progress))
    (resume / "progress.json.tmp").replace(resume / "progress.json")
    return done


def keep_state(resume: Path, kept: Path) -> None:
    """A finished halving run's resume state kept as its rung's state (the next rung continues
    from it), replacing what an earlier training of this rung kept."""
    if kept.exists():
        shutil.rmtree(kept)
    resume.replace(kept)


@contextlib.contextmanager
def sole_trainer(folder: Path):
    """Hold the experiment folder's lock while training. A trainer still holding it was left
    behind by an interrupted Snakemake (kill -9 does not reach its jobs): it is stopped, and
    this one resumes from its last finished epoch, so one process trains the experiment."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK_FILE, "a+") as lock:
        if not _try_lock(lock):
            _stop_holder(lock, folder)
        lock.seek(0)
        lock.truncate()
        lock.write(str(os.getpid()))
        lock.flush()
        yield


def _try_lock(lock) -> bool:
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _stop_holder(lock, folder: Path) -> None:
    lock.seek(0)
    text = lock.read().strip()
    pid = int(text) if text.isdigit() else None
    print(f"another training of {folder} is running (pid {pid}); stopping it", flush=True)
    for sig, wait in ((signal.SIGTERM, STOP_WAIT_S), (signal.SIGKILL, STOP_WAIT_S)):
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if _try_lock(lock):
                return
            time.sleep(0.1)
    raise RuntimeError(f"the training holding {folder / LOCK_FILE} (pid {pid}) did not stop")
