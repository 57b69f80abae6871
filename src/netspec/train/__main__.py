"""`python -m netspec.train SPEC DATA FOLDER [THREADS]`: the workflow's training job."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from datetime import UTC, datetime

from netspec.errors import SpecError
from netspec.logs import log_to
from netspec.train.training import OUTPUTS, train_job


def summary(run: str, record: dict | None, folder: str) -> str:
    """The job's one line in the terminal: how it ended and what it scored."""
    if record is None:
        return f"failed {run}: see {os.path.join(folder, 'train.log')} (the report lists it)"
    epochs = record["epochs_run"]
    text = f"done {run}: {epochs} epoch{'s' if epochs != 1 else ''} in {record['wall_time_s']:.1f}s"
    try:
        with open(os.path.join(folder, "history.json"), encoding="utf-8") as handle:
            history = json.load(handle)
    except (OSError, ValueError):
        history = {}
    if history.get("epoch_time_s"):
        training = sum(history["epoch_time_s"])
        text += f" ({training:.1f}s of epochs; the rest is start-up and testing)"
    if record.get("diverged"):
        return text + ", diverged (the loss became NaN)"
    selected = record.get("selected_epoch")
    try:
        metrics = history["metrics"]
        scores = {key: metrics[key][selected - 1] for key in ("val_accuracy", "val_loss")}
    except (KeyError, IndexError, TypeError):
        scores = {}
    shown = ", ".join(f"{k} {v:.4f}" for k, v in scores.items() if v is not None)
    return text + f"; selected epoch {selected}" + (f": {shown}" if shown else "")


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m netspec.train",
        description=f"Train one run of a spec on prepared data; write {', '.join(OUTPUTS.values())}.",
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
        "terminal then gets one line when the run starts and one when it ends",
    )
    parser.add_argument(
        "--shared",
        action="store_true",
        help="train in a worker process that already has TensorFlow loaded (started when none "
        "is idle, gone after a while without work): small runs skip TensorFlow's start-up",
    )
    return parser


def run_job(args: argparse.Namespace, say=None) -> int:
    """Train the run `args` name; `say(text)` puts a line in the terminal (default: stdout)."""
    run = args.run or os.path.splitext(os.path.basename(args.spec))[0]
    tell = say or (lambda text: print(text, flush=True))
    with contextlib.ExitStack() as stack:
        if args.log:
            tell(f"train {run}: started, log {args.log}")
            terminal = stack.enter_context(log_to(args.log))
            if say is None:
                tell = lambda text: print(text, file=terminal, flush=True)  # noqa: E731
            stamp = datetime.now(UTC).isoformat(timespec="seconds")
            print(f"--- {stamp}: {run} ---", flush=True)
        try:
            record = train_job(
                args.spec, args.data, args.folder, args.threads, run=args.run, digest=args.digest
            )
        except SpecError as error:
            print(f"error: {error}", file=sys.stderr, flush=True)
            if args.log or say is not None:
                tell(f"error: {error}")
            return 1
        tell(summary(run, record, args.folder))
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parser().parse_args(argv)
    if args.shared:
        from netspec.train.workers import delegate

        return delegate(argv, args)
    return run_job(args)


if __name__ == "__main__":
    status = main()
    # Every file is written and closed by now. A normal exit would then tear down an interpreter
    # with TensorFlow loaded, which takes longer than a small run's epochs (bench/README.md) and
    # counts in every study's wall time; exit at once instead, once the log has every line.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
