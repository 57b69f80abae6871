"""One training job, as the workflow runs it: `python -m netspec.train SPEC DATA FOLDER`
(netspec.train.__main__), alone or in a shared worker (netspec.train.workers)."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from datetime import UTC, datetime

from netspec import layout
from netspec.errors import SpecError
from netspec.logs import log_to
from netspec.spec.experiment import RUN_ID_PATTERN


def summary(run: str, record: dict | None, folder: str) -> str:
    """The job's one line in the terminal: how it ended, what it scored, what it took."""
    if record is None:
        return f"failed {run}: see {os.path.join(folder, layout.TRAIN_LOG)} (the report lists it)"
    epochs = record["epochs_run"]
    try:
        with open(os.path.join(folder, layout.HISTORY), encoding="utf-8") as handle:
            history = json.load(handle)
    except (OSError, ValueError):
        history = {}
    took = f"{record['wall_time_s']:.1f}s"
    if history.get("epoch_time_s"):  # the rest is start-up and testing
        took += f" ({sum(history['epoch_time_s']):.1f}s of epochs)"
    if record.get("diverged"):
        return f"done {run}: diverged (the loss became NaN) after {epochs} epochs, {took}"
    selected = record.get("selected_epoch")
    try:
        metrics = history["metrics"]
        scores = {key: metrics[key][selected - 1] for key in ("val_accuracy", "val_loss")}
    except (KeyError, IndexError, TypeError):
        scores = {}
    shown = "".join(f", {k} {v:.4f}" for k, v in scores.items() if v is not None)
    return f"done {run}: selected epoch {selected} of {epochs}{shown}; {took}"


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m netspec.train",
        description="Train one run of a spec on prepared data; write "
        f"{', '.join(layout.RUN_FILES.values())}.",
    )
    parser.add_argument("spec", help="the run's spec file (a seed or sweep point: see --run)")
    parser.add_argument("data", help="prepared data (outputs/data/DATASET.npz)")
    parser.add_argument("folder", help="where the outputs go (outputs/RUN)")
    parser.add_argument("threads", nargs="?", type=int, default=1, help="TF threads (1)")
    parser.add_argument(
        "--run", help="which run of the spec: SPEC-sSEED, or a sweep point's id (netspec expand)"
    )
    parser.add_argument("--digest", help="refuse to train unless the run still has this digest")
    parser.add_argument(
        "--log",
        help="append everything to this file, TensorFlow's start-up chatter left out; the "
        "terminal then gets one line when the run ends",
    )
    parser.add_argument(
        "--shared",
        action="store_true",
        help="train in a worker process that already has TensorFlow loaded (started when none "
        "is idle, gone after a while without work): small runs skip TensorFlow's start-up",
    )
    parser.add_argument(
        "--pack",
        type=int,
        choices=(0, 1),
        default=0,
        help="1: a packed run (config pack): inside a SLURM allocation, train in the "
        "allocation's pack worker, one run after another (profiles/slurm starts it)",
    )
    return parser


def _inside(path: str, folder: str) -> bool:
    path, folder = os.path.realpath(path), os.path.realpath(folder)
    return os.path.commonpath([path, folder]) == folder


def check_job(args: argparse.Namespace, study: str | None = None) -> None:
    """A job's command line as the workflow writes it, checked before anything is written: the
    run id an id (never a second line in a log), the data a file (a pipe would never end), the
    log inside the outputs folder (the run folder's parent), and, for a request a shared worker
    got, the spec inside the study and the run folder in the study's outputs, not a link (inside
    the study, or an outputs folder elsewhere whose study record names this study)."""
    if args.run is not None and not RUN_ID_PATTERN.fullmatch(args.run):
        raise SpecError.one(
            "--run",
            None,
            f"expected a run id matching {RUN_ID_PATTERN.pattern}, received {args.run!r}",
        )
    if os.path.exists(args.data) and not os.path.isfile(args.data):  # a FIFO would never end
        raise SpecError.one(
            "data", None, f"expected the data job's .npz file, received {args.data!r}, not a file"
        )
    outputs = os.path.dirname(os.path.abspath(args.folder))
    if args.log and not _inside(args.log, outputs):
        raise SpecError.one(
            "--log",
            None,
            f"expected a file inside the outputs folder {outputs}, received {args.log!r}",
        )
    if study is not None and not _inside(args.spec, study):
        raise SpecError.one(
            "spec", None, f"expected a file inside the study {study}, received {args.spec!r}"
        )
    linked = os.path.dirname(os.path.realpath(args.folder)) != os.path.realpath(outputs)
    if study is not None and linked:  # the run would be written where the link points
        raise SpecError.one(
            "folder", None, f"expected a run folder, not a link to one, received {args.folder!r}"
        )
    if study is not None and not _inside(outputs, study):
        specs = layout.recorded_specs(outputs)  # an outputs folder elsewhere names its study
        if specs is None or not _inside(specs, study):
            raise SpecError.one(
                "folder",
                None,
                f"expected a run folder inside the study {study} or in an outputs folder whose "
                f"{layout.STUDY_RECORD} names it, received {args.folder!r}",
            )


def run_job(args: argparse.Namespace, say=None, clock=None, deterministic=None) -> int:
    """Train the run `args` name; `say(text)` puts a line in the terminal (default: stdout);
    `clock` (netspec.train.provenance.JobClock): when the job started, by default with its
    process; `deterministic`: what this process's TensorFlow is set to, where it is set already
    (a shared worker's; OtherKind for a run that needs the other)."""
    run = args.run or os.path.splitext(os.path.basename(args.spec))[0]
    tell = say or (lambda text: print(text, flush=True))
    try:
        check_job(args)
    except SpecError as error:
        print(f"error: {error}", file=sys.stderr, flush=True)
        if say is not None:
            tell(f"error: {error}")
        return 1
    with contextlib.ExitStack() as stack:
        if args.log:  # the terminal gets one line per run, when it ends
            terminal = stack.enter_context(log_to(args.log))
            if say is None:
                tell = lambda text: print(text, file=terminal, flush=True)  # noqa: E731
            stamp = datetime.now(UTC).isoformat(timespec="seconds")
            print(f"--- {stamp}: {run} ---", flush=True)
        from netspec.train.training import train_job  # not for a shared worker's thin client

        try:
            record = train_job(
                args.spec,
                args.data,
                args.folder,
                args.threads,
                run=args.run,
                digest=args.digest,
                clock=clock,
                deterministic=deterministic,
            )
        except SpecError as error:
            print(f"error: {error}", file=sys.stderr, flush=True)
            if args.log or say is not None:
                tell(f"error: {error}")
            return 1
        folder = os.path.abspath(args.folder)
        found = layout.study_progress(os.path.dirname(folder), os.path.basename(folder))
        tell(progress(found) + summary(run, record, args.folder) + time_left(found))
    return 0


def progress(found: layout.Progress | None) -> str:
    """`[3/15] `: the runs this invocation of the workflow has trained, this one included, of
    all it trains (OUTPUTS/study.json)."""
    return "" if found is None or not found.done else f"[{found.done}/{found.total}] "


def time_left(found: layout.Progress | None) -> str:
    """`; about 2 min left`: the runs still to train, at this invocation's pace so far."""
    if found is None or not found.done or found.done >= found.total:
        return ""
    return f"; about {_duration(found.elapsed / found.done * (found.total - found.done))} left"


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
