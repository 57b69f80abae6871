"""`python -m netspec.train SPEC DATA FOLDER [THREADS]`: the workflow's training job."""

from __future__ import annotations

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
            training = sum(json.load(handle)["epoch_time_s"])
        text += f" ({training:.1f}s of epochs; the rest is start-up and testing)"
    except (OSError, ValueError, KeyError, TypeError):
        pass
    if record.get("diverged"):
        return text + ", diverged (the loss became NaN)"
    selected = record.get("selected_epoch")
    try:
        with open(os.path.join(folder, "history.json"), encoding="utf-8") as handle:
            metrics = json.load(handle)["metrics"]
        scores = {key: metrics[key][selected - 1] for key in ("val_accuracy", "val_loss")}
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        scores = {}
    shown = ", ".join(f"{k} {v:.4f}" for k, v in scores.items() if v is not None)
    return text + f"; selected epoch {selected}" + (f": {shown}" if shown else "")


def main(argv: list[str] | None = None) -> int:
    import argparse

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
    args = parser.parse_args(argv)
    run = args.run or os.path.splitext(os.path.basename(args.spec))[0]
    terminal = sys.stdout
    with contextlib.ExitStack() as stack:
        if args.log:
            print(f"train {run}: started, log {args.log}", flush=True)
            terminal = stack.enter_context(log_to(args.log))
            stamp = datetime.now(UTC).isoformat(timespec="seconds")
            print(f"--- {stamp}: {run} ---", flush=True)
        try:
            record = train_job(
                args.spec, args.data, args.folder, args.threads, run=args.run, digest=args.digest
            )
        except SpecError as error:
            print(f"error: {error}", file=sys.stderr, flush=True)
            if args.log:
                print(f"error: {error}", file=terminal, flush=True)
            return 1
        print(summary(run, record, args.folder), file=terminal if args.log else sys.stdout)
    return 0


if __name__ == "__main__":
    status = main()
    # Every file is written and closed by now. A normal exit would then tear down an interpreter
    # with TensorFlow loaded, which takes longer than a small run's epochs (bench/README.md) and
    # counts in every study's wall time; exit at once instead, once the log has every line.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
