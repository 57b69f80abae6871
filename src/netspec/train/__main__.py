"""`python -m netspec.train SPEC DATA FOLDER [THREADS]`: the workflow's training job."""

from __future__ import annotations

import os
import signal
import sys

from netspec.train.job import parser, run_job


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parser().parse_args(argv)
    try:
        if args.pack and os.environ.get("SLURM_JOB_ID"):  # before --shared: a step's own
            from netspec.train.workers.client import delegate_to_pack  # worker would die with it

            return delegate_to_pack(argv, args)
        if args.shared:
            from netspec.train.workers.client import delegate  # sockets: imported only when shared

            return delegate(argv, args)
        return run_job(args)
    except KeyboardInterrupt:  # Ctrl-C, or Snakemake passing on its SIGINT (netspec.workflow)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second one (the group's) changes nothing
        run = args.run or os.path.basename(args.folder)
        print(
            f"interrupted {run}: its finished epochs are kept in "
            f"{os.path.join(args.folder, '.resume')}; rerun snakemake to resume it",
            file=sys.stderr,
            flush=True,
        )
        return 130


if __name__ == "__main__":
    status = main()
    # Every file is written and closed by now. A normal exit would then tear down an interpreter
    # with TensorFlow loaded, which takes longer than a small run's epochs (bench/README.md) and
    # counts in every study's wall time; exit at once instead, once the log has every line.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
