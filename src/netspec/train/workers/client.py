"""A training job's side of shared workers (`--shared`, `--pack`): claim an idle worker of its
kind, or start one, send it the job, relay its lines, return its status; where none can be
had, train in this process. No TensorFlow is imported here."""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from netspec.train.workers import kinds, place, wire

START_S = 180  # how long a client waits for the worker it started


def idle_worker(folder: Path, key: str):
    """(socket, lock) of an idle worker of this kind; stale entries are removed."""
    for path in sorted(folder.glob(f"{key}-*.sock")):
        lock = place.claim(path)
        if lock is None:
            continue
        client = wire.connect(path)
        if client is wire.BUSY:  # a live worker that takes nothing: passed over, left in place
            lock.close()
            continue
        if client is not None:
            return client, lock
        with contextlib.suppress(OSError):  # its worker is gone
            path.unlink()
            os.unlink(f"{path}.lock")
        lock.close()
    return None


def _new_socket(folder: Path, key: str) -> Path:
    """A fresh socket path for a worker of kind `key` (its log: the same name, .log)."""
    return folder / f"{key}-{os.getpid()}-{time.monotonic_ns() % 10**9}.sock"


def _spawn(path: Path, threads: int, key: str, *flags: str) -> subprocess.Popen:
    """A new worker process that listens at `path` (detached, logging beside it)."""
    command = [sys.executable, "-m", "netspec.train.workers", str(path), str(threads), key, *flags]
    with place.private_file(path.with_suffix(".log"), os.O_WRONLY | os.O_TRUNC) as log:
        return subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True
        )


def prestart(runs: list[argparse.Namespace], cores: int) -> int:
    """Before the first job (the workflow's onstart): the workers the planned runs can use at
    once (the kinds with most runs first, as many as the cores hold at their threads, at most
    their runs), each importing TensorFlow at once, while Snakemake prepares the data: the first
    runs do not wait for the import. (Workers left idle by an earlier invocation are not
    counted: telling a live one from a dead one's socket would take a connection, which holds
    it.) How many were started; none where the folder is not as netspec made it."""
    try:
        folder = place.workers_folder(place.allocation())
    except place.Unsafe:
        return 0
    wanted: dict[str, int] = {}
    for args in runs:
        key = kinds.key_of(args)
        wanted[key] = wanted.get(key, 0) + 1
    started, free = 0, max(1, cores)
    for key, count in sorted(wanted.items(), key=lambda kind: -kind[1]):  # most runs first
        threads = int(key.split("-")[0][1:])
        for _ in range(min(count, free // threads) if started else 1):  # one at least
            _spawn(_new_socket(folder, key), threads, key, "--warm")
            started, free = started + 1, free - threads
    return started


def _start_worker(folder: Path, key: str, threads: int):
    """Start a worker, claimed by this client from the outset; None if it does not come up."""
    path = _new_socket(folder, key)
    lock = place.claim(path)
    process = _spawn(path, threads, key)
    deadline = time.monotonic() + START_S
    while time.monotonic() < deadline and process.poll() is None:
        if path.exists():
            client = wire.connect(path)
            if client not in (None, wire.BUSY):
                return client, lock
        time.sleep(0.05)
    lock.close()
    return None


def _train_here(args: argparse.Namespace, why: str) -> int:
    from netspec.train.job import run_job

    print(f"{why}; training in this process", flush=True)
    return run_job(args)


def _request(argv: list[str], key: str) -> dict:
    """What a client sends a worker: the job's arguments, the study it belongs to (the working
    directory) and the kind of worker it needs."""
    return {"argv": [a for a in argv if a != "--shared"], "cwd": os.getcwd(), "key": key}


def ask(client: socket.socket, lock, request: dict, args: argparse.Namespace):
    """Send `request` to the worker at the other end of `client` (its lock held); the job's exit
    status, OTHER_KIND where the worker would not take a run of another kind, or None where it
    never took the request (frozen, or gone)."""
    from netspec.text import printable

    with client, lock:
        messages = wire.messages(client, wire.ACCEPT_S)
        try:
            client.sendall(json.dumps(request).encode() + b"\n")
            first = next(messages, None)
        except (OSError, *wire.NOT_A_MESSAGE):  # TimeoutError too: it never took the request
            return None
        if not (isinstance(first, dict) and "accepted" in first):
            return None
        status = _relay(messages, args, printable)
        return OTHER_KIND if status is None else status  # let go before this process trains


OTHER_KIND = "other kind"


def delegate(argv: list[str], args: argparse.Namespace) -> int:
    """Run the job in a shared worker, relaying its terminal lines; its exit status. Where no
    worker can be had, or the workers' folder is not as netspec made it, the job runs here as
    it would without --shared."""
    key = kinds.key_of(args)
    request = _request(argv, key)
    try:
        folder = place.workers_folder(
            place.allocation()
        )  # inside SLURM, only this job's workers: never another's
        for tried in range(5):  # an idle worker that never takes the request (frozen): passed over
            found = idle_worker(folder, key) if tried < 3 else None
            found = found or _start_worker(folder, key, args.threads)
            if found is None:
                return _train_here(args, "no shared worker could be started")
            status = ask(*found, request, args)
            if status == OTHER_KIND:
                return _train_here(args, "the run needs a shared worker of another kind")
            if status is not None:
                return status
        return _train_here(args, "no shared worker took the run")
    except place.Unsafe as why:
        return _train_here(args, f"shared workers refused: {why}")


def delegate_to_pack(argv: list[str], args: argparse.Namespace) -> int:
    """A packed run inside a SLURM allocation: train it in the allocation's pack worker (started
    by the job's precommand in its batch step: `server.pack_worker`), one run at a time,
    waiting while it trains another; where there is none, or it serves another kind of run,
    train here."""
    try:
        path = place.workers_folder(place.allocation()) / place.PACK_SOCKET
        deadline = time.monotonic() + wire.ACCEPT_S  # it binds within a second of its start
        while not path.exists() and path.with_suffix(".log").exists():  # it is starting
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
        if not path.exists():
            return _train_here(
                args, "no pack worker in this allocation (profiles/slurm: precommand)"
            )
        lock = place.private_file(f"{path}.lock")
        # while the worker trains another run of the allocation (its client holds the lock): the
        # allocation's time limit bounds the wait, and a frozen worker's client gives up
        fcntl.flock(lock, fcntl.LOCK_EX)
        client = wire.connect(path)
        if client in (None, wire.BUSY):
            lock.close()
            why = "is gone" if client is None else "takes no connection (frozen, or stopped)"
            return _train_here(args, f"the allocation's pack worker {why}")
        status = ask(client, lock, _request(argv, kinds.key_of(args)), args)
        if status == OTHER_KIND:
            return _train_here(args, "the pack worker serves runs of another kind")
        if status is None:
            return _train_here(args, "the pack worker did not take the run")
        return status
    except place.Unsafe as why:
        return _train_here(args, f"the pack worker refused: {why}")


def _relay(messages, args: argparse.Namespace, printable) -> int | None:
    """The worker's lines to the terminal (control characters removed), then its status; None
    where the worker would not take a run of another kind than its own."""
    try:
        for message in messages:
            if "say" in message:
                print(printable(str(message["say"])), flush=True)
            elif "other_kind" in message:  # its spec said otherwise than the client read
                return None
            elif "exit" in message:
                status = int(message["exit"])
                return status if 0 <= status <= 255 else 1
        why = "stopped before the run ended"
    except TimeoutError:
        why = f"said nothing for {wire.SILENCE_S:g} s (frozen, or stopped)"
    except (OSError, *wire.NOT_A_MESSAGE):
        why = "sent something that is not a job's message"
    print(
        f"error: the shared worker training {args.run or args.spec} {why}; rerun snakemake "
        "(the run resumes from its last finished epoch)",
        file=sys.stderr,
        flush=True,
    )
    return 1
