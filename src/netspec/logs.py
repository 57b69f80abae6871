"""Send a workflow job's output, Python's and TensorFlow's C++ alike, to its Snakemake log."""

from __future__ import annotations

import contextlib
import os
import sys

from netspec.errors import SpecError


def redirect_output(path: str) -> None:
    """Point file descriptors 1 and 2 at `path` (line-buffered, so `tail -f` shows progress)."""
    handle = open(path, "w", buffering=1, encoding="utf-8")  # noqa: SIM115 - lives for the job
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(handle.fileno(), 1)
    os.dup2(handle.fileno(), 2)
    sys.stdout = sys.stderr = handle


@contextlib.contextmanager
def job_errors():
    """A SpecError ends the job with its message as the log's last line, not a traceback."""
    try:
        yield
    except SpecError as error:
        print(f"error: {error}", flush=True)
        raise SystemExit(1) from None
