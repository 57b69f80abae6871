"""Send a workflow job's output, Python's and TensorFlow's C++ alike, to its Snakemake log."""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import sys
import threading

from netspec.errors import SpecError

_TERMINAL: list = []  # the job's original standard error, once its output goes to a log


def redirect_output(path: str) -> None:
    """For the rest of the job, file descriptors 1 and 2 write `path` afresh, a line at a time
    (`tail -f` shows progress), TensorFlow's start-up chatter left out (log_to)."""
    _TERMINAL[:] = [os.fdopen(os.dup(2), "w", buffering=1, encoding="utf-8")]
    stack = contextlib.ExitStack()
    stack.enter_context(log_to(path, mode="w"))
    atexit.register(stack.close)  # the log's last lines are written before the process ends


# What TensorFlow's C++ side prints before its logging is set up, whatever TF_CPP_MIN_LOG_LEVEL
# says: the absl preamble and its info and warning lines (CUDA probes, oneDNN notices).
NOISE = re.compile(
    r"WARNING: All log messages before absl::InitializeLog\(\) is called"
    r"|[IW]\d{4} [\d:.]+ +\d+ [\w.]+:\d+\] "
    r"|E\d{4} [\d:.]+ +\d+ cuda_\w+\.cc:\d+\] "  # no GPU here: said by the report's provenance
    r"|To enable the following instructions: .* rebuild TensorFlow"
)


@contextlib.contextmanager
def log_to(path: str, mode: str = "a"):
    """Within: file descriptors 1 and 2 append to `path`, a line at a time (`tail -f` shows
    progress), TensorFlow's start-up chatter (NOISE) left out. Yields the terminal: a file on
    the original standard output, for the few lines the user should see there."""
    sys.stdout.flush()
    sys.stderr.flush()
    terminal = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    saved_error = os.dup(2)
    log = open(path, mode, buffering=1, encoding="utf-8")  # noqa: SIM115 - closed below
    reader, writer = os.pipe()
    os.dup2(writer, 1)
    os.dup2(writer, 2)
    os.close(writer)
    sys.stdout.reconfigure(line_buffering=True)

    def pump():
        with os.fdopen(reader, encoding="utf-8", errors="replace") as pipe:
            for line in pipe:
                if not NOISE.match(line):
                    log.write(line)

    thread = threading.Thread(target=pump, name="log", daemon=True)
    thread.start()
    try:
        yield terminal
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(terminal.fileno(), 1)  # the pipe's last writers closed: the pump sees its end
        os.dup2(saved_error, 2)
        os.close(saved_error)
        thread.join(timeout=30)
        log.close()


@contextlib.contextmanager
def job_errors():
    """A SpecError ends the job with its message as the log's last line, not a traceback, and
    the same message in the terminal, above Snakemake's own report of the failed job."""
    try:
        yield
    except SpecError as error:
        print(f"error: {error}", flush=True)
        for terminal in _TERMINAL:
            print(f"error: {error}", file=terminal, flush=True)
        raise SystemExit(1) from None
