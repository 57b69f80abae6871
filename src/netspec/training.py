"""Train one experiment: seeded, thread-limited, resumable, logging one line per epoch."""

from __future__ import annotations

import json
import math
import os
import platform
import resource
import socket
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

import netspec
from netspec.checks import validation_count
from netspec.datasets import load_prepared
from netspec.errors import SpecError
from netspec.history import write_metrics
from netspec.spec import Experiment, compile_spec

RESUME_DIR = ".resume"  # inside the experiment's output folder; removed after a finished run


def configure_tensorflow(threads: int, seed: int, deterministic: bool):
    """Thread pools before TensorFlow starts its runtime, then seeds (and determinism if asked)."""
    netspec.quiet_tensorflow()
    import keras
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()
    return keras


def split(arrays, data: dict, seed: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Training, validation and test sets per the spec's `data` section, reproducibly."""
    x_train, y_train, x_test, y_test = arrays
    rng = np.random.default_rng(seed)
    if data["max_train_samples"] and data["max_train_samples"] < len(x_train):
        keep = np.sort(rng.permutation(len(x_train))[: data["max_train_samples"]])
        x_train, y_train = x_train[keep], y_train[keep]
    if data["max_test_samples"] and data["max_test_samples"] < len(x_test):
        keep = np.sort(rng.permutation(len(x_test))[: data["max_test_samples"]])
        x_test, y_test = x_test[keep], y_test[keep]
    if data["validation"] == "test":
        return {
            "train": (x_train, y_train),
            "validation": (x_test, y_test),
            "test": (x_test, y_test),
        }
    order = rng.permutation(len(x_train))
    held = order[: validation_count(len(x_train), data["validation"])]
    kept = np.sort(order[len(held) :])
    return {
        "train": (x_train[kept], y_train[kept]),
        "validation": (x_train[held], y_train[held]),
        "test": (x_test, y_test),
    }


PREFETCH_BATCHES = 2


def pipeline(pair: tuple[np.ndarray, np.ndarray], batch: int, shuffle_seed: int | None):
    """Batches as a cached, prefetched tf.data pipeline, reshuffled each epoch when seeded.

    Measured 1.03-1.28x faster per epoch than handing Keras the numpy arrays (bench/throughput.py
    --pipelines), at the price of more copies of the training set in memory (counted in
    resources.py).

    tf.data's autotuner is off and the prefetch buffer fixed: nothing in this pipeline is
    parallel, so the buffer size was all it could tune, and on a job with one CPU it left that CPU
    idle ~150 ms per epoch (perf sched; its waits time out at 20, 40, 80 ms): a digits epoch took
    1.75x as long, and two jobs on two cores ran slower than one alone (bench/parallel.py)."""
    import tensorflow as tf

    data = tf.data.Dataset.from_tensor_slices(pair).cache()
    if shuffle_seed is not None:
        data = data.shuffle(len(pair[1]), seed=shuffle_seed, reshuffle_each_iteration=True)
    options = tf.data.Options()
    options.autotune.enabled = False
    return data.batch(batch).prefetch(PREFETCH_BATCHES).with_options(options)


def finite(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def progress_callback(keras, resume: Path, digest: str, epochs: list[dict], total: int):
    class Progress(keras.callbacks.Callback):
        """Log each epoch and save a resumable state (model + optimizer) after it."""

        def on_epoch_begin(self, epoch, logs=None):
            self.started = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            record = {key: finite(value) for key, value in (logs or {}).items()}
            record["epoch_time_s"] = round(time.perf_counter() - self.started, 4)
            epochs.append(record)
            shown = "  ".join(
                f"{k} {v:.4f}" if v is not None else f"{k} nan"
                for k, v in record.items()
                if k != "epoch_time_s"
            )
            print(f"epoch {epoch + 1}/{total}  {shown}  {record['epoch_time_s']:.2f}s", flush=True)
            if record.get("loss") is None:
                # Diverged: stop here. Checked per epoch, not per batch as TerminateOnNaN does,
                # since any per-batch hook makes Keras sync every step (~6% slower here).
                self.model.stop_training = True
            state = resume / f"state-{epoch + 1}.keras"
            self.model.save(state)
            progress = resume / "progress.json.tmp"
            progress.write_text(
                json.dumps({"digest": digest, "state": state.name, "epochs": epochs})
            )
            progress.replace(resume / "progress.json")  # atomic: the state it names is complete
            for old in resume.glob("state-*.keras"):
                if old != state:
                    old.unlink()

    return Progress()


def _resume_point(keras, resume: Path, digest: str):
    """(model, epochs done) from an interrupted run of this same experiment, else (None, [])."""
    progress_file = resume / "progress.json"
    if not progress_file.exists():
        return None, []
    progress = json.loads(progress_file.read_text())
    state = resume / progress["state"]
    if progress.get("digest") != digest or not state.exists():
        return None, []  # a different experiment trained here before: start afresh
    return keras.models.load_model(state), progress["epochs"]


def process_age() -> float:
    """Seconds since this process started (from /proc; 0.0 where there is no /proc)."""
    try:
        start_ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return max(0.0, uptime - start_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return 0.0


def first_batch_callback(keras, timeline: dict, clock: float):
    class FirstBatch(keras.callbacks.Callback):
        """Stamp the start of the first training step. Deliberately no *_batch_end hook: one
        would turn off Keras' asynchronous dispatch and sync every step."""

        def on_train_batch_begin(self, batch, logs=None):
            timeline.setdefault("first_batch_start", round(time.perf_counter() - clock, 3))

    return FirstBatch()


def train(experiment: Experiment, data_path: Path, out: dict[str, Path], threads: int) -> dict:
    """Fit the experiment's model; write model, history, predictions, run record (and metrics)."""
    started, clock = datetime.now(UTC), time.perf_counter() - process_age()
    # Seconds since the process started at each step before training proper: the fixed cost.
    timeline = {"train_called": round(time.perf_counter() - clock, 3)}
    training = experiment.spec["training"]
    keras = configure_tensorflow(threads, training["seed"], training["deterministic"])
    from netspec.compiler import build

    timeline["tensorflow_imported"] = round(time.perf_counter() - clock, 3)
    sets = split(load_prepared(data_path), experiment.spec["data"], training["seed"])
    timeline["data_loaded"] = round(time.perf_counter() - clock, 3)
    resume = Path(out["model"]).parent / RESUME_DIR
    resume.mkdir(parents=True, exist_ok=True)
    model, epochs = _resume_point(keras, resume, experiment.digest)
    if model is None:
        model = build(experiment)
    else:
        print(f"resuming after epoch {len(epochs)} from {resume}", flush=True)
    timeline["model_built"] = round(time.perf_counter() - clock, 3)
    callbacks = [
        progress_callback(keras, resume, experiment.digest, epochs, training["epochs"]),
        first_batch_callback(keras, timeline, clock),
    ]
    stopping = training["early_stopping"]
    if stopping:
        callbacks.append(keras.callbacks.EarlyStopping(**stopping))
    resumed_from = len(epochs)
    batch, seed = training["batch_size"], training["seed"]
    model.fit(
        pipeline(sets["train"], batch, seed if training["shuffle"] else None),
        validation_data=pipeline(sets["validation"], batch, None),
        epochs=training["epochs"],
        initial_epoch=resumed_from,
        callbacks=callbacks,
        verbose=0,
    )

    y_test = sets["test"][1]
    test_batches = pipeline(sets["test"], max(training["batch_size"], 256), None)
    y_prob = model.predict(test_batches, verbose=0)  # in order: unshuffled
    model.save(out["model"])
    np.savez(out["predictions"], y_true=y_test, y_prob=y_prob.astype(np.float32))
    diverged = any(e.get("loss") is None for e in epochs)
    history = {
        "epochs": list(range(1, len(epochs) + 1)),
        "metrics": {k: [e.get(k) for e in epochs] for k in epochs[0] if k != "epoch_time_s"},
        "epoch_time_s": [e["epoch_time_s"] for e in epochs],
        "diverged": diverged,
    }
    Path(out["history"]).write_text(json.dumps(history, indent=1))
    record = run_record(
        experiment,
        started,
        time.perf_counter() - clock,
        threads,
        sets,
        resumed_from,
        len(epochs),
        diverged,
    )
    record["timeline_s"] = timeline
    Path(out["run"]).write_text(json.dumps(record, indent=2))
    if "metrics" in out:  # the history step: numpy on what was just written, no TF of its own
        write_metrics(history, y_test, y_prob, record, out["metrics"])
    for leftover in resume.iterdir():
        leftover.unlink()
    resume.rmdir()
    print(
        f"done: {len(epochs)} epochs in {record['wall_time_s']:.1f}s"
        + (" (diverged: loss became NaN)" if diverged else ""),
        flush=True,
    )
    return record


def run_record(experiment, started, wall, threads, sets, resumed_from, epochs, diverged) -> dict:
    """Provenance: what ran, where, with which versions, for how long."""
    import keras
    import tensorflow as tf

    slurm = {
        key.removeprefix("SLURM_").lower(): os.environ[key]
        for key in (
            "SLURM_JOB_ID",
            "SLURM_CPUS_PER_TASK",
            "SLURM_JOB_PARTITION",
            "SLURM_JOB_NODELIST",
            "SLURM_MEM_PER_NODE",
        )
        if key in os.environ
    }
    return {
        "experiment": experiment.id,
        "spec_file": str(experiment.file),
        "chain": [str(p) for p in experiment.chain],
        "description": experiment.spec.get("description", ""),
        "spec": experiment.spec,
        "digest": experiment.digest,
        "seed": experiment.spec["training"]["seed"],
        "params": experiment.summary.params,
        "flops_per_sample": experiment.summary.flops,
        "samples": {name: len(pair[1]) for name, pair in sets.items()},
        "epochs_run": epochs,
        "resumed_from_epoch": resumed_from,
        "diverged": diverged,
        "threads": threads,
        "cpus_available": len(os.sched_getaffinity(0)),
        "slurm": slurm or None,
        "host": socket.gethostname(),
        "started": started.isoformat(timespec="seconds"),
        "wall_time_s": round(wall, 3),  # from process start
        "cpu_time_s": round(sum(resource.getrusage(resource.RUSAGE_SELF)[:2]), 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "versions": {
            "python": platform.python_version(),
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "numpy": np.__version__,
            "netspec": netspec.__version__,
        },
    }


# What a training job writes, in this order: metrics.json, last, vouches for the others (the
# workflow declares only the files later jobs read: history, run, metrics).
OUTPUTS = {
    "model": "model.keras",
    "history": "history.json",
    "predictions": "predictions.npz",
    "run": "run.json",
    "metrics": "metrics.json",
}


def train_job(spec: str, data: str, folder: str, threads: int = 1, digest: str | None = None):
    """The workflow's training job: recompile the spec, refuse one that changed since the
    workflow planned it (`digest`), train, write OUTPUTS into `folder`."""
    experiment = compile_spec(spec)
    if digest is not None and experiment.digest != digest:
        raise SpecError.one(
            spec,
            None,
            "the spec changed after the workflow was planned; "
            "rerun snakemake to plan with the new version",
        )
    print(
        f"training {experiment.id} ({experiment.summary.params:,} params) on "
        f"{experiment.dataset.name} with {threads} thread(s)",
        flush=True,
    )
    Path(folder).mkdir(parents=True, exist_ok=True)
    out = {key: Path(folder) / name for key, name in OUTPUTS.items()}
    for stale in out.values():  # a run that fails must not leave an older run's files behind
        stale.unlink(missing_ok=True)
    return train(experiment, Path(data), out, threads)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m netspec.training",
        description=f"Train one spec on prepared data; write {', '.join(OUTPUTS.values())}.",
    )
    parser.add_argument("spec", help="the experiment's spec file")
    parser.add_argument("data", help="prepared data (outputs/data/DATASET.npz)")
    parser.add_argument("folder", help="where the outputs go (outputs/EXPERIMENT)")
    parser.add_argument("threads", nargs="?", type=int, default=1, help="TF threads (1)")
    parser.add_argument("--digest", help="refuse to train unless the spec still has this digest")
    args = parser.parse_args(argv)
    try:
        train_job(args.spec, args.data, args.folder, args.threads, args.digest)
    except SpecError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    status = main()
    # Every file is written and closed by now. A normal exit would then spend 1.1-1.4 s tearing
    # down the interpreter with TensorFlow loaded (measured), outside the job's recorded wall
    # time and inside every study's; exit at once instead, once the log has every line.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
