"""`python -m netspec.train SPEC DATA FOLDER [THREADS]`: the workflow's training job."""

from __future__ import annotations

import os
import sys

from netspec.errors import SpecError
from netspec.train.training import OUTPUTS, train_job


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m netspec.train",
        description=f"Train one spec on prepared data; write {', '.join(OUTPUTS.values())}.",
    )
    parser.add_argument("spec", help="the experiment's spec file")
    parser.add_argument("data", help="prepared data (outputs/data/DATASET.npz)")
    parser.add_argument("folder", help="where the outputs go (outputs/EXPERIMENT)")
    parser.add_argument("threads", nargs="?", type=int, default=1, help="TF threads (1)")
    parser.add_argument("--run", help="which run of a spec with several seeds (SPEC-sSEED)")
    parser.add_argument("--digest", help="refuse to train unless the spec still has this digest")
    args = parser.parse_args(argv)
    try:
        train_job(args.spec, args.data, args.folder, args.threads, run=args.run, digest=args.digest)
    except SpecError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    status = main()
    # Every file is written and closed by now. A normal exit would then tear down an interpreter
    # with TensorFlow loaded, which takes longer than a small run's epochs (bench/README.md) and
    # counts in every study's wall time; exit at once instead, once the log has every line.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
