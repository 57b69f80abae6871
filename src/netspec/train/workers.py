"""Shared training workers: small runs pay TensorFlow's start-up once per worker, not per run.

A training job with `--shared` is a thin client (no TensorFlow): it claims an idle worker of its
kind (threads and determinism, which a process sets once) by locking the worker's lock file,
sends it the job's arguments over a Unix socket, relays the lines meant for the terminal, and
exits with the job's status. Where no worker is idle it starts one, detached, and claims it
before anyone else can. A worker runs one job at a time, resets Keras and the seeds for each,
and exits after IDLE_S without work. If a worker dies mid-run its client fails (Snakemake
retries it; the run resumes from its last epoch); the worker also ends at once when its client
goes away, as a killed job would. Snakemake still sees one job per run.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

IDLE_S = 30  # a worker without work for this long exits
START_S = 180  # how long a client waits for the worker it started


def _folder() -> Path:
    """Where this study's workers listen: short (a socket path has ~100 characters at most),
    per user and per working directory."""
    study = hashlib.sha256(os.getcwd().encode()).hexdigest()[:12]
    folder = Path(tempfile.gettempdir()) / f"netspec-{os.getuid()}" / study
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _key(args: argparse.Namespace) -> str:
    """The kind of worker a run needs: what a process can set only once."""
    from netspec.spec.compile import compile_run

    deterministic = compile_run(args.spec, args.run).spec["training"]["deterministic"]
    return f"t{args.threads}-d{int(deterministic)}"


def _claim(path: Path):
    """The lock file of the worker at `path`, locked, or None when another client holds it."""
    lock = open(f"{path}.lock", "a+")  # noqa: SIM115 - held for the request
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        return None
    return lock


def _connect(path: Path) -> socket.socket | None:
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        client.connect(str(path))
    except OSError:
        client.close()
        return None
    return client


def _idle_worker(folder: Path, key: str):
    """(socket, lock) of an idle worker of this kind; stale entries are removed."""
    for path in sorted(folder.glob(f"{key}-*.sock")):
        lock = _claim(path)
        if lock is None:
            continue
        client = _connect(path)
        if client is not None:
            return client, lock
        with contextlib.suppress(OSError):  # its worker is gone
            path.unlink()
            os.unlink(f"{path}.lock")
        lock.close()
    return None


def _start_worker(folder: Path, key: str, threads: int):
    """Start a worker, claimed by this client from the outset; None if it does not come up."""
    token = f"{os.getpid()}-{time.monotonic_ns() % 10**9}"
    path = folder / f"{key}-{token}.sock"
    lock = _claim(path)
    command = [sys.executable, "-m", "netspec.train.workers", str(path), str(threads)]
    with open(folder / f"{key}-{token}.log", "w") as log:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True
        )
    deadline = time.monotonic() + START_S
    while time.monotonic() < deadline and process.poll() is None:
        if path.exists():
            client = _connect(path)
            if client is not None:
                return client, lock
        time.sleep(0.05)
    lock.close()
    return None


def delegate(argv: list[str], args: argparse.Namespace) -> int:
    """Run the job in a shared worker, relaying its terminal lines; its exit status. Where no
    worker can be had, the job runs here as it would without --shared."""
    from netspec.errors import SpecError

    try:
        key = _key(args)
    except SpecError as error:
        print(f"error: {error}", file=sys.stderr, flush=True)
        return 1
    folder = _folder()
    found = _idle_worker(folder, key) or _start_worker(folder, key, args.threads)
    if found is None:
        from netspec.train.job import run_job

        print("no shared worker could be started; training in this process", flush=True)
        return run_job(args)
    client, lock = found
    with client, lock:
        request = {"argv": [a for a in argv if a != "--shared"], "cwd": os.getcwd()}
        client.sendall(json.dumps(request).encode() + b"\n")
        for line in client.makefile(encoding="utf-8"):
            message = json.loads(line)
            if "say" in message:
                print(message["say"], flush=True)
            elif "exit" in message:
                return message["exit"]
    print(
        f"error: the shared worker training {args.run or args.spec} stopped before the run "
        "ended; rerun snakemake (the run resumes from its last finished epoch)",
        file=sys.stderr,
        flush=True,
    )
    return 1


def _watch(connection: socket.socket, finished: threading.Event) -> None:
    """End the worker at once if its client goes away mid-run, as a killed job would end."""
    with contextlib.suppress(OSError):
        connection.recv(1)  # returns when the client closes its end
    if not finished.is_set():
        os._exit(3)


def _serve_one(connection: socket.socket) -> None:
    from netspec.train import provenance
    from netspec.train.job import parser, run_job

    request = json.loads(connection.makefile(encoding="utf-8").readline())
    os.chdir(request["cwd"])
    finished = threading.Event()
    threading.Thread(target=_watch, args=(connection, finished), daemon=True).start()

    def say(text: str) -> None:
        connection.sendall(json.dumps({"say": text}).encode() + b"\n")

    provenance.JOB_STARTED[:] = [time.perf_counter()]
    provenance.JOB_CPU_STARTED[:] = [provenance.cpu_seconds()]
    try:
        status = run_job(parser().parse_args(request["argv"]), say)
    except Exception as error:  # noqa: BLE001 - the client says it; the worker lives on
        say(f"error: {type(error).__name__}: {error}")
        status = 1
    finished.set()
    connection.sendall(json.dumps({"exit": status}).encode() + b"\n")


def serve(path: str, threads: int) -> None:
    """Listen at `path`, one job at a time, until IDLE_S pass without one. (`threads`: the
    kind of runs it serves; their first sets TensorFlow's pools to it.)"""
    import netspec

    # TensorFlow is imported by the first run (configure_tensorflow sets its pools then), not
    # before listening: that run starts as soon as it would in a process of its own, and takes
    # its run's lock as early (a leftover trainer is stopped before it trains on).
    netspec.quiet_tensorflow()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(4)
    server.settimeout(IDLE_S)
    try:
        while True:
            try:
                connection, _ = server.accept()
            except TimeoutError:
                break
            connection.settimeout(None)
            with connection:
                _serve_one(connection)
    finally:
        # its log too: kept only where a worker died (the clue to why)
        for leftover in (path, f"{path}.lock", path.removesuffix(".sock") + ".log"):
            with contextlib.suppress(OSError):
                os.unlink(leftover)


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]))
    sys.stdout.flush()
    os._exit(0)
