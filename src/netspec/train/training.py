"""Train one experiment: seeded, thread-limited, resumable, logging one line per epoch."""

from __future__ import annotations

import json
import threading
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

import netspec
from netspec import layout
from netspec.data.prepare import load_prepared
from netspec.errors import SpecError
from netspec.results.metrics import write_metrics
from netspec.spec.compile import compile_run
from netspec.spec.experiment import Experiment
from netspec.spec.sweep import RUNG_SUFFIX
from netspec.train.callbacks import (
    early_stopping,
    epoch_line,
    epoch_selection,
    progress_callback,
    stopped_early,
)
from netspec.train.events import events_callback
from netspec.train.failure import record_failure
from netspec.train.lock import sole_trainer
from netspec.train.pipeline import batches, split, steps, training_batches
from netspec.train.provenance import JobClock, run_record
from netspec.train.resume import RESUME_DIR, adopt, keep_state, resume_point


class OtherKind(Exception):
    """A run asked of a shared worker whose TensorFlow is set otherwise than the run needs."""


# A prestarted shared worker's import of TensorFlow, in a thread of its own (netspec.train.
# workers.server.serve): a run waits for it before importing TensorFlow itself, since two threads
# importing it at once can deadlock on its circular imports. The run's lock is taken before.
tensorflow_import: threading.Thread | None = None
configured = False  # whether this process's TensorFlow has its thread pools set (by a run)


def configure_tensorflow(threads: int, seed: int, deterministic: bool):
    """Thread pools before TensorFlow starts its runtime, then seeds (and determinism if asked)."""
    global configured
    if tensorflow_import is not None:
        tensorflow_import.join()
    netspec.quiet_tensorflow()
    import keras
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # a shared worker's later run: its pools were set by its first run
        pass
    configured = True
    # A shared worker's earlier run leaves nothing behind. Not its forced full garbage collection:
    # with TensorFlow loaded that takes longer than a small run's epochs (bench/README.md,
    # figure S); Python's own collector frees what the earlier run left in cycles.
    try:
        keras.backend.clear_session(free_memory=False)
    except TypeError:  # a Keras before the argument
        keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()
    return keras


def first_batch_callback(keras, timeline: dict, clock: float):
    class FirstBatch(keras.callbacks.Callback):
        """Stamp the start of the first training step. Deliberately no *_batch_end hook: one
        would turn off Keras' asynchronous dispatch and sync every step."""

        def on_train_batch_begin(self, batch, logs=None):
            timeline.setdefault("first_batch_start", round(time.perf_counter() - clock, 3))

    return FirstBatch()


def train(
    experiment: Experiment,
    data_path: Path,
    out: dict[str, Path],
    threads: int,
    job: JobClock | None = None,
    after: Path | None = None,
) -> dict:
    """Fit the experiment's model; write model, history, predictions, run record (and metrics).
    `job`: the job's clock (by default, its process's); `after`: for a halving sweep's run, the
    folder of its previous rung, whose kept state it continues from."""
    job = job or JobClock.of_process()
    started, clock = datetime.now(UTC), job.started
    # Seconds since the process started at each step before training proper: the fixed cost.
    timeline = {"train_called": round(time.perf_counter() - clock, 3)}
    training = experiment.spec["training"]
    keras = configure_tensorflow(threads, training["seed"], training["deterministic"])
    from netspec.train.keras_build import build

    timeline["tensorflow_imported"] = round(time.perf_counter() - clock, 3)
    try:
        prepared = load_prepared(data_path)
    except (OSError, KeyError, ValueError) as error:  # the data job's output, not the run's fault
        raise SpecError.one(
            str(data_path),
            None,
            f"cannot read the prepared data ({error}); rerun snakemake to prepare it again",
        ) from None
    sets = split(prepared, experiment.spec["data"], training["seed"])
    timeline["data_loaded"] = round(time.perf_counter() - clock, 3)
    resume = Path(out["model"]).parent / RESUME_DIR
    resume.mkdir(parents=True, exist_ok=True)
    model, epochs, kept = resume_point(keras, resume, experiment.digest)
    taken = 0
    if model is None and after is not None:  # a halving run: continue from the last rung's end
        taken = adopt(
            resume,
            Path(after) / layout.RUNG_STATE,
            experiment.digest,
            experiment.lineage,
            training["epochs"],
        )
        if taken:
            print(f"continuing after epoch {taken}, the state {after} kept", flush=True)
            model, epochs, kept = resume_point(keras, resume, experiment.digest)
    if model is None:
        model = build(experiment)
    else:
        # Snakemake starts each job with a fresh log: the epochs before the interruption again
        # (or, for a halving run, those its previous rung trained)
        before = "trained at the previous rung" if taken else "before the interruption"
        for number, record in enumerate(epochs, 1):
            print(f"{epoch_line(number, training['epochs'], record)}  ({before})")
        if not taken:
            print(f"resumed after epoch {len(epochs)} (state in {resume})", flush=True)
    timeline["model_built"] = round(time.perf_counter() - clock, 3)
    settings = training["early_stopping"]
    keep = {"selection": epoch_selection(keras, training["select"], kept.get("selection"))}
    if settings:
        keep["early_stopping"] = early_stopping(keras, settings, kept.get("early_stopping"))
    identity = (experiment.digest, experiment.lineage)
    callbacks = [
        # selection and early stopping first: Progress saves the state they have just updated
        *keep.values(),
        progress_callback(keras, resume, identity, epochs, training["epochs"], keep),
        events_callback(keras, Path(out["model"]).parent, experiment, fresh=not epochs),
        first_batch_callback(keras, timeline, clock),
    ]
    resumed_from = len(epochs)
    batch, seed = training["batch_size"], training["seed"]
    samples = len(sets["train"][1])
    # A run that early stopping ended (in an earlier rung of a halving sweep) trains no further.
    last = resumed_from if stopped_early(settings, kept) else training["epochs"]
    if resumed_from < last:
        model.fit(
            training_batches(
                sets["train"],
                batch,
                seed if training["shuffle"] else None,
                range(resumed_from, last),
            ),
            steps_per_epoch=steps(samples, batch),
            validation_data=batches(sets["validation"], batch),
            epochs=last,
            initial_epoch=resumed_from,
            callbacks=callbacks,
            shuffle=False,  # the batches come in netspec's own seeded order (training_batches)
            verbose=0,
        )
    else:
        keep["selection"].set_model(model)

    # The model from here on is the selected epoch's: tested once, saved as model.keras.
    timeline["loop_end"] = round(time.perf_counter() - clock, 3)
    selected = keep["selection"].restore()
    y_test = sets["test"][1]
    test_batches = batches(sets["test"], max(training["batch_size"], 256))
    y_prob = model.predict(test_batches, verbose=0)  # in order: unshuffled
    timeline["tested"] = round(time.perf_counter() - clock, 3)
    model.save(out["model"])
    np.savez(out["predictions"], y_true=y_test, y_prob=y_prob.astype(np.float32))
    timeline["saved"] = round(time.perf_counter() - clock, 3)
    diverged = any(e.get("loss") is None for e in epochs)
    history = {
        "epochs": list(range(1, len(epochs) + 1)),
        "metrics": {k: [e.get(k) for e in epochs] for k in epochs[0] if k != "epoch_time_s"},
        "epoch_time_s": [e["epoch_time_s"] for e in epochs],
        "diverged": diverged,
        "selected_epoch": selected,
        "selected_by": training["select"],
    }
    Path(out["history"]).write_text(json.dumps(history, indent=1))
    record = run_record(
        experiment,
        started,
        job,
        threads,
        sets,
        resumed_from,
        len(epochs),
        diverged,
    )
    record["timeline_s"] = timeline
    record["selected_epoch"] = selected
    Path(out["run"]).write_text(json.dumps(record, indent=2))
    if "metrics" in out:  # the history step: numpy on what was just written, no TF of its own
        write_metrics(history, y_test, y_prob, record, out["metrics"])
    if experiment.rung is not None:  # the next rung continues from this state
        keep_state(resume, Path(out["model"]).parent / layout.RUNG_STATE)
    else:
        for leftover in resume.iterdir():
            leftover.unlink()
        resume.rmdir()
    print(
        f"done: {len(epochs)} epochs in {record['wall_time_s']:.1f}s"
        + (" (diverged: loss became NaN)" if diverged else ""),
        flush=True,
    )
    return record


# What a training job writes, in this order: metrics.json, last, vouches for the others (the
# workflow declares only the files later jobs read: history, run, metrics).
OUTPUTS = layout.RUN_FILES


def train_job(
    spec: str,
    data: str,
    folder: str,
    threads: int = 1,
    *,
    run: str | None = None,
    digest=None,
    clock: JobClock | None = None,
    deterministic: bool | None = None,
):
    """The workflow's training job: recompile the spec, take its run `run` (one seed of one sweep
    point; by default its only run), refuse one that changed since the workflow planned it (`digest`),
    train, write OUTPUTS into `folder`. `deterministic`: what a shared worker's TensorFlow is set
    to (a process sets it once); a run that needs the other raises OtherKind, nothing written."""
    experiment = compile_run(spec, run)
    needs = experiment.spec["training"]["deterministic"]
    if deterministic is not None and needs != deterministic:
        raise OtherKind(f"{experiment.id} needs deterministic: {str(needs).lower()}")
    # the workflow may append ":retry-TIME" after a recorded failure (workflow/rules/common.smk)
    if digest is not None and experiment.digest != digest.split(":")[0]:
        raise SpecError.one(
            spec,
            None,
            "the spec changed after the workflow was planned; "
            "rerun snakemake to plan with the new version",
        )
    # a halving run's previous rung is its sibling folder, whose kept state it continues from
    after = None
    if experiment.rung:
        after = Path(folder).parent / f"{experiment.run_id}{RUNG_SUFFIX}{experiment.rung - 1}"
    print(
        f"training {experiment.id} ({experiment.summary.params:,} params) on "
        f"{experiment.dataset.name} with {threads} thread(s)",
        flush=True,
    )
    out = {key: Path(folder) / name for key, name in OUTPUTS.items()}
    with sole_trainer(Path(folder)):
        for stale in out.values():  # a run that fails must not leave an older run's files behind
            stale.unlink(missing_ok=True)
        clock = clock or JobClock.of_process()
        started = datetime.now(UTC)
        try:
            return train(experiment, Path(data), out, threads, clock, after)
        except SpecError:
            raise  # bad input: the job fails loudly, as at planning
        except Exception as error:  # noqa: BLE001 - recorded with its reason, never hidden
            traceback.print_exc()
            reason = record_failure(experiment, out, error, started, clock.elapsed())
            print(
                f"failed: {reason}\nrecorded in {folder}: the report lists the run as failed, "
                "and the next snakemake retries it (from its last finished epoch)",
                flush=True,
            )
            return None
