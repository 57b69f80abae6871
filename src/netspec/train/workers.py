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
import functools
import hashlib
import json
import os
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

IDLE_S = 30  # a worker without work for this long exits
START_S = 180  # how long a client waits for the worker it started
# How long a client waits for a worker to take its request (a frozen one never does), and for
# the next word of a worker mid-run, which beats every HEARTBEAT_S. The environment may shorten
# them (NETSPEC_WORKER_ACCEPT_S, NETSPEC_WORKER_SILENCE_S: the tests do).
ACCEPT_S = float(os.environ.get("NETSPEC_WORKER_ACCEPT_S", 10))
SILENCE_S = float(os.environ.get("NETSPEC_WORKER_SILENCE_S", 30))
HEARTBEAT_S = min(5.0, SILENCE_S / 3)


class Unsafe(Exception):
    """Something in the workers' folder is not as netspec made it: the job trains in its own
    process instead, and says why in one line."""


def _private_folder(path: Path) -> Path:
    """`path`, made if missing (mode 0700), then checked without following links: a real
    directory, owned by this user, writable by no one else. Anything else is Unsafe. One that
    others may only read (an older netspec made it under umask 022, and nobody else could
    write into it) is closed to them (0700)."""
    with contextlib.suppress(FileExistsError):
        os.mkdir(path, 0o700)
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as error:
        raise Unsafe(f"{path} is not a directory of its own ({error.strerror})") from None
    try:
        found = os.fstat(descriptor)
        fix = f"remove it (rm -r {path}) and rerun"
        if found.st_uid != os.getuid():
            raise Unsafe(f"{path} belongs to another user (uid {found.st_uid}): {fix}")
        if found.st_mode & 0o022:
            mode = f"{stat.S_IMODE(found.st_mode):o}"
            raise Unsafe(f"{path} is writable by other users (mode {mode}): {fix}")
        if found.st_mode & 0o077:
            os.fchmod(descriptor, 0o700)
    finally:
        os.close(descriptor)
    return path


def _root() -> Path:
    """$XDG_RUNTIME_DIR where it is set and a directory (per user, 0700, as systemd makes it),
    else the temp directory (1777 by design: netspec checks only what it makes below)."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isdir(runtime):
        return Path(runtime)
    return Path(tempfile.gettempdir())


def _folder() -> Path:
    """Where this study's workers listen: short (a socket path has ~100 characters at most),
    per user and per working directory, every level netspec makes checked (_private_folder)."""
    study = hashlib.sha256(os.getcwd().encode()).hexdigest()[:12]
    user = _private_folder(_root() / f"netspec-{os.getuid()}")
    return _private_folder(user / study)


def _private_file(path: str | Path, flags: int = os.O_RDWR):
    """A file of this user's, opened without following a link, made with mode 0600; Unsafe if
    it is anything else (a directory, a link, another user's)."""
    try:
        descriptor = os.open(path, flags | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError as error:
        raise Unsafe(f"{path}: {error.strerror}") from None
    found = os.fstat(descriptor)
    if not stat.S_ISREG(found.st_mode) or found.st_uid != os.getuid():
        os.close(descriptor)
        raise Unsafe(f"{path} is not a file of this user's")
    return os.fdopen(descriptor, "r+" if flags & os.O_RDWR else "w")


@functools.cache
def identity() -> str:
    """What a worker's code is: netspec's version, a digest of its installed source (every
    file of the package, by content) and the interpreter. A worker serves only runs of the
    same identity, so a change of code or of virtualenv starts a new worker."""
    import netspec

    digest = hashlib.sha256(f"{netspec.__version__}\0{sys.executable}".encode())
    package = Path(netspec.__file__).resolve().parent
    files = [  # links followed: a checkout's schemas/ is one
        Path(top, name)
        for top, folders, names in os.walk(package, followlinks=True)
        if "__pycache__" not in Path(top).parts
        for name in names
    ]
    for path in sorted(files):
        digest.update(str(path.relative_to(package)).encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _key(args: argparse.Namespace) -> str:
    """The kind of worker a run needs: what a process can set only once, and its code. The
    client reads the run's determinism from its spec without compiling it (the one compile of
    the job is the worker's, which refuses a run of another kind: `_serve_one`)."""
    from netspec.spec.compile import declared

    deterministic = declared(args.spec, args.run, ("training", "deterministic"), False)
    return f"t{args.threads}-d{int(deterministic is True)}-{identity()}"


def _deterministic(key: str) -> bool:
    """Whether the worker of `key` (as `_key` spells it) trains deterministically."""
    return key.split("-")[1] == "d1"


def _claim(path: Path):
    """The lock file of the worker at `path`, locked, or None when another client holds it."""
    lock = _private_file(f"{path}.lock")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        return None
    return lock


def peer_uid(connection: socket.socket) -> int:
    """The user id of the process at the other end of a Unix socket (SO_PEERCRED)."""
    credentials = connection.getsockopt(
        socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")
    )
    return struct.unpack("3i", credentials)[1]


def _connect(path: Path) -> socket.socket | None:
    """A connection to the worker at `path`, if one listens there as this user."""
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        client.connect(str(path))
        if peer_uid(client) != os.getuid():
            raise Unsafe(f"{path} is served by another user")
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
    command = [sys.executable, "-m", "netspec.train.workers", str(path), str(threads), key]
    with _private_file(folder / f"{key}-{token}.log", os.O_WRONLY | os.O_TRUNC) as log:
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


def _messages(client: socket.socket, first_within: float):
    """The worker's messages, one JSON object a line; the first within `first_within`
    seconds, each next within SILENCE_S (a worker mid-run beats every HEARTBEAT_S). Ends
    with TimeoutError where the worker falls silent, or at the end of the stream."""
    client.settimeout(first_within)
    buffer = b""
    while True:
        chunk = client.recv(65536)
        if not chunk:
            return
        client.settimeout(SILENCE_S)
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            message = json.loads(line)
            if isinstance(message, dict):
                yield message


def _train_here(args: argparse.Namespace, why: str) -> int:
    from netspec.train.job import run_job

    print(f"{why}; training in this process", flush=True)
    return run_job(args)


def delegate(argv: list[str], args: argparse.Namespace) -> int:
    """Run the job in a shared worker, relaying its terminal lines; its exit status. Where no
    worker can be had, or the workers' folder is not as netspec made it, the job runs here as
    it would without --shared."""
    from netspec.text import printable

    key = _key(args)
    request = {"argv": [a for a in argv if a != "--shared"], "cwd": os.getcwd()}
    try:
        folder = _folder()
        for tried in range(5):  # an idle worker that never takes the request (frozen): passed over
            found = _idle_worker(folder, key) if tried < 3 else None
            found = found or _start_worker(folder, key, args.threads)
            if found is None:
                return _train_here(args, "no shared worker could be started")
            client, lock = found
            with client, lock:
                messages = _messages(client, ACCEPT_S)
                try:
                    client.sendall(json.dumps(request).encode() + b"\n")
                    first = next(messages, None)
                except (OSError, ValueError):  # TimeoutError too: it never took the request
                    continue
                if isinstance(first, dict) and "accepted" in first:
                    status = _relay(messages, args, printable)
                    if status is not None:
                        return status
                    break  # the worker is let go before this process trains
        else:
            return _train_here(args, "no shared worker took the run")
        return _train_here(args, "the run needs a shared worker of another kind")
    except Unsafe as why:
        return _train_here(args, f"shared workers refused: {why}")


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
                return int(message["exit"])
        why = "stopped before the run ended"
    except TimeoutError:
        why = f"said nothing for {SILENCE_S:g} s (frozen, or stopped)"
    except (OSError, ValueError):
        why = "sent something that is not a job's message"
    print(
        f"error: the shared worker training {args.run or args.spec} {why}; rerun snakemake "
        "(the run resumes from its last finished epoch)",
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


def _serve_one(connection: socket.socket, key: str) -> None:
    from netspec.errors import SpecError
    from netspec.train import provenance
    from netspec.train.job import check_job, parser, run_job
    from netspec.train.training import OtherKind

    if peer_uid(connection) != os.getuid():
        return  # another user's: refused before a byte is read
    connection.settimeout(ACCEPT_S)
    line = connection.makefile("rb").readline(1 << 20)
    request = json.loads(line)
    if not isinstance(request, dict) or request.get("cwd") != os.getcwd():
        return  # a worker serves the study it was started for
    argv = request.get("argv")
    if not isinstance(argv, list) or not all(isinstance(a, str) for a in argv):
        return
    args = parser().parse_args(argv)
    print(f"serving {args.run or args.spec}", flush=True)  # the worker's log: what it took
    connection.settimeout(None)
    send_lock = threading.Lock()

    def send(message: dict) -> None:
        with send_lock:
            connection.sendall(json.dumps(message).encode() + b"\n")

    send({"accepted": key})
    try:
        check_job(args, study=os.getcwd())  # before anything is written
    except SpecError as error:
        send({"say": f"error: {error}"})
        send({"exit": 1})
        return
    finished = threading.Event()
    threading.Thread(target=_watch, args=(connection, finished), daemon=True).start()
    threading.Thread(target=_beat, args=(send, finished), daemon=True).start()
    try:
        status = run_job(
            args,
            lambda text: send({"say": text}),
            provenance.JobClock.from_now(),
            deterministic=_deterministic(key),
        )
    except OtherKind as error:  # nothing written: the client trains it in its own process
        finished.set()
        send({"other_kind": str(error)})
        with contextlib.suppress(OSError):
            connection.shutdown(socket.SHUT_RDWR)  # ends the watch's read too: the worker serves on
        return
    except Exception as error:  # noqa: BLE001 - the client says it; the worker lives on
        send({"say": f"error: {type(error).__name__}: {error}"})
        status = 1
    finished.set()
    send({"exit": status})
    with contextlib.suppress(OSError):
        connection.shutdown(socket.SHUT_RDWR)  # the client reads to the end; the watch ends too


def _beat(send, finished: threading.Event) -> None:
    """Tell the client every HEARTBEAT_S that this worker is alive, until the run ends."""
    while not finished.wait(HEARTBEAT_S):
        with contextlib.suppress(OSError):
            send({"beat": True})


def serve(path: str, threads: int, key: str) -> None:
    """Listen at `path`, one job at a time, until IDLE_S pass without one. (`threads`: the
    kind of runs it serves; their first sets TensorFlow's pools to it.)"""
    import netspec

    # TensorFlow is imported by the first run (configure_tensorflow sets its pools then), not
    # before listening: that run starts as soon as it would in a process of its own, and takes
    # its run's lock as early (a leftover trainer is stopped before it trains on).
    netspec.quiet_tensorflow()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    mask = os.umask(0o077)  # the socket file: this user's alone
    try:
        server.bind(path)
    finally:
        os.umask(mask)
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
                try:
                    _serve_one(connection, key)
                except (OSError, ValueError, SystemExit) as error:  # a bad request: refused
                    print(f"refused a request: {error!r}", flush=True)
    finally:
        # its log too: kept only where a worker died (the clue to why)
        for leftover in (path, f"{path}.lock", path.removesuffix(".sock") + ".log"):
            with contextlib.suppress(OSError):
                os.unlink(leftover)


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]), sys.argv[3])
    sys.stdout.flush()
    os._exit(0)
