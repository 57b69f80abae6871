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
import re
import signal
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


def _seconds(name: str, default: float) -> float:
    """The environment's `name`, in seconds: a finite number above 0 (0 would make the heartbeat
    a busy loop, and infinity a wait without end), else a clear error."""
    raw = os.environ.get(name)
    try:
        value = float(default if raw is None else raw)
    except ValueError:
        value = float("nan")
    if not 0 < value < float("inf"):
        raise ValueError(f"{name}: expected seconds, a finite number above 0, found {raw!r}")
    return value


# How long a client waits for a worker to take its request (a frozen one never does), and for
# the next word of a worker mid-run, which beats every HEARTBEAT_S. The environment may shorten
# them (NETSPEC_WORKER_ACCEPT_S, NETSPEC_WORKER_SILENCE_S: the tests do).
ACCEPT_S = _seconds("NETSPEC_WORKER_ACCEPT_S", 10)
SILENCE_S = _seconds("NETSPEC_WORKER_SILENCE_S", 30)
HEARTBEAT_S = min(5.0, SILENCE_S / 3)
MESSAGE_BYTES = 1 << 20  # the longest line either end reads from the other
PACK_SOCKET = "pack.sock"  # an allocation's pack worker (pack_worker), in its folder
BUSY = "busy"  # _connect: a worker listens there but takes no connection (frozen, or stopped)


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
        if found.st_uid != os.getuid():  # in a sticky folder only its owner or root removes it
            raise Unsafe(
                f"{path} belongs to another user (uid {found.st_uid}): its owner or root may "
                "remove it, or set TMPDIR to a folder of your own"
            )
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
    else the temp directory (1777 by design). Either must be this user's or root's, and, where
    others may write into it, sticky: else another user could rename the folder netspec makes
    there between its check and its use. Unsafe otherwise."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    root = Path(runtime if runtime and os.path.isdir(runtime) else tempfile.gettempdir())
    try:
        found = os.stat(root)
    except OSError as error:
        raise Unsafe(f"{root}: {error.strerror}") from None
    if found.st_uid not in (0, os.getuid()):
        raise Unsafe(f"{root} belongs to another user (uid {found.st_uid})")
    if found.st_mode & 0o022 and not found.st_mode & stat.S_ISVTX:
        mode = f"{stat.S_IMODE(found.st_mode):o}"
        raise Unsafe(f"{root} is writable by other users and not sticky (mode {mode})")
    return root


def _folder(allocation: str | None = None) -> Path:
    """Where this study's workers listen: short (a socket path has ~100 characters at most),
    per user and per working directory, every level netspec makes checked (_private_folder);
    inside a SLURM allocation, per allocation too (a worker serves its own allocation's runs
    only: another job's CPUs and memory are not its to use)."""
    place = os.getcwd() + (f"\0slurm-{allocation}" if allocation else "")
    study = hashlib.sha256(place.encode()).hexdigest()[:12]
    user = _private_folder(_root() / f"netspec-{os.getuid()}")
    return _private_folder(user / study)


def _allocation() -> str | None:
    """This process's SLURM job id (its allocation), if it runs inside one."""
    job = os.environ.get("SLURM_JOB_ID", "")
    return job if job.isdigit() else None


def _private_file(path: str | Path, flags: int = os.O_RDWR):
    """A file of this user's, opened without following a link, made with mode 0600; Unsafe if
    it is anything else (a directory, a link, a second name of another file, another user's).
    O_TRUNC in `flags` empties it only once it is found to be such a file."""
    truncate, flags = flags & os.O_TRUNC, flags & ~os.O_TRUNC
    try:
        descriptor = os.open(path, flags | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError as error:
        raise Unsafe(f"{path}: {error.strerror}") from None
    found = os.fstat(descriptor)
    if not stat.S_ISREG(found.st_mode) or found.st_uid != os.getuid() or found.st_nlink != 1:
        os.close(descriptor)
        raise Unsafe(f"{path} is not a file of this user's alone")
    if truncate:
        os.ftruncate(descriptor, 0)
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


KEY = re.compile(r"t[1-9][0-9]{0,3}-d[01]-[0-9a-f]{12}")  # as _key spells it


def _deterministic(key: str) -> bool:
    """Whether the worker of `key` (as `_key` spells it) trains deterministically."""
    return key.split("-")[1] == "d1"


def _locked(lock) -> bool:
    """Whether this process now holds `lock` (an open lock file); False if another does."""
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _claim(path: Path):
    """The lock file of the worker at `path`, locked, or None when another client holds it."""
    lock = _private_file(f"{path}.lock")
    if not _locked(lock):
        lock.close()
        return None
    return lock


def peer_uid(connection: socket.socket) -> int:
    """The user id of the process at the other end of a Unix socket (SO_PEERCRED)."""
    credentials = connection.getsockopt(
        socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")
    )
    return struct.unpack("3i", credentials)[1]


def _connect(path: Path):
    """A connection to the worker at `path`, if one listens there as this user; None where none
    does (a dead worker's socket, or none); BUSY where one listens but takes no connection (its
    queue is full: frozen, or stopped). Never blocks: the connection, and the request sent on
    it, wait ACCEPT_S at most."""
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.settimeout(ACCEPT_S)
    try:
        client.connect(str(path))
        served_by = peer_uid(client)
    except (BlockingIOError, TimeoutError):
        client.close()
        return BUSY
    except OSError:
        client.close()
        return None
    if served_by != os.getuid():
        client.close()
        raise Unsafe(f"{path} is served by another user")
    return client


def _idle_worker(folder: Path, key: str):
    """(socket, lock) of an idle worker of this kind; stale entries are removed."""
    for path in sorted(folder.glob(f"{key}-*.sock")):
        lock = _claim(path)
        if lock is None:
            continue
        client = _connect(path)
        if client is BUSY:  # a live worker that takes nothing: passed over, left in place
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
    with _private_file(path.with_suffix(".log"), os.O_WRONLY | os.O_TRUNC) as log:
        return subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True
        )


def prestart(runs: list[argparse.Namespace], cores: int) -> int:
    """Before the first job (the workflow's onstart): the workers the planned runs can use at
    once (the kinds with most runs first, as many as the cores hold at their threads, at most
    their runs), each importing TensorFlow at once, while Snakemake prepares the data: the first
    runs do not wait for the import. (Workers left idle by an earlier invocation are not counted: telling a live one
    from a dead one's socket would take a connection, which holds it.) How many were started;
    none where the folder is not as netspec made it."""
    try:
        folder = _folder(_allocation())
    except Unsafe:
        return 0
    kinds: dict[str, int] = {}
    for args in runs:
        key = _key(args)
        kinds[key] = kinds.get(key, 0) + 1
    started, free = 0, max(1, cores)
    for key, count in sorted(kinds.items(), key=lambda kind: -kind[1]):  # most runs first
        threads = int(key.split("-")[0][1:])
        for _ in range(min(count, free // threads) if started else 1):  # one at least
            _spawn(_new_socket(folder, key), threads, key, "--warm")
            started, free = started + 1, free - threads
    return started


def _start_worker(folder: Path, key: str, threads: int):
    """Start a worker, claimed by this client from the outset; None if it does not come up."""
    path = _new_socket(folder, key)
    lock = _claim(path)
    process = _spawn(path, threads, key)
    deadline = time.monotonic() + START_S
    while time.monotonic() < deadline and process.poll() is None:
        if path.exists():
            client = _connect(path)
            if client not in (None, BUSY):
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
        if b"\n" in chunk:
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                message = json.loads(line)
                if isinstance(message, dict):
                    yield message
        if len(buffer) > MESSAGE_BYTES:
            raise ValueError(f"a message longer than {MESSAGE_BYTES} bytes")


# What a peer's bytes may raise once parsed: the peer sent something that is not a message
NOT_A_MESSAGE = (ValueError, TypeError, OverflowError, RecursionError)


def _train_here(args: argparse.Namespace, why: str) -> int:
    from netspec.train.job import run_job

    print(f"{why}; training in this process", flush=True)
    return run_job(args)


def _request(argv: list[str], key: str) -> dict:
    """What a client sends a worker: the job's arguments, the study it belongs to (the working
    directory) and the kind of worker it needs."""
    return {"argv": [a for a in argv if a != "--shared"], "cwd": os.getcwd(), "key": key}


def _ask(client: socket.socket, lock, request: dict, args: argparse.Namespace):
    """Send `request` to the worker at the other end of `client` (its lock held); the job's exit
    status, OTHER_KIND where the worker would not take a run of another kind, or None where it
    never took the request (frozen, or gone)."""
    from netspec.text import printable

    with client, lock:
        messages = _messages(client, ACCEPT_S)
        try:
            client.sendall(json.dumps(request).encode() + b"\n")
            first = next(messages, None)
        except (OSError, *NOT_A_MESSAGE):  # TimeoutError too: it never took the request
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
    key = _key(args)
    request = _request(argv, key)
    try:
        folder = _folder(_allocation())  # inside SLURM, only this job's workers: never another's
        for tried in range(5):  # an idle worker that never takes the request (frozen): passed over
            found = _idle_worker(folder, key) if tried < 3 else None
            found = found or _start_worker(folder, key, args.threads)
            if found is None:
                return _train_here(args, "no shared worker could be started")
            status = _ask(*found, request, args)
            if status == OTHER_KIND:
                return _train_here(args, "the run needs a shared worker of another kind")
            if status is not None:
                return status
        return _train_here(args, "no shared worker took the run")
    except Unsafe as why:
        return _train_here(args, f"shared workers refused: {why}")


def delegate_to_pack(argv: list[str], args: argparse.Namespace) -> int:
    """A packed run inside a SLURM allocation: train it in the allocation's pack worker (started
    by the job's precommand in its batch step: `pack_worker`), one run at a time, waiting while
    it trains another; where there is none, or it serves another kind of run, train here."""
    try:
        path = _folder(_allocation()) / PACK_SOCKET
        deadline = time.monotonic() + ACCEPT_S  # it binds within a second of its start
        while not path.exists() and path.with_suffix(".log").exists():  # it is starting
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
        if not path.exists():
            return _train_here(
                args, "no pack worker in this allocation (profiles/slurm: precommand)"
            )
        lock = _private_file(f"{path}.lock")
        # while the worker trains another run of the allocation (its client holds the lock): the
        # allocation's time limit bounds the wait, and a frozen worker's client gives up
        fcntl.flock(lock, fcntl.LOCK_EX)
        client = _connect(path)
        if client in (None, BUSY):
            lock.close()
            why = "is gone" if client is None else "takes no connection (frozen, or stopped)"
            return _train_here(args, f"the allocation's pack worker {why}")
        status = _ask(client, lock, _request(argv, _key(args)), args)
        if status == OTHER_KIND:
            return _train_here(args, "the pack worker serves runs of another kind")
        if status is None:
            return _train_here(args, "the pack worker did not take the run")
        return status
    except Unsafe as why:
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
        why = f"said nothing for {SILENCE_S:g} s (frozen, or stopped)"
    except (OSError, *NOT_A_MESSAGE):
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


def _kind_of(request: dict, key: str | None) -> str | None:
    """The kind a worker serves `request` as: its own (`key`), or, for a pack worker that has
    served nothing yet, the request's where it is a kind of this worker's code; None if the
    request needs another kind."""
    asked = request.get("key")
    if key is None and isinstance(asked, str) and KEY.fullmatch(asked):
        return asked if asked.endswith(f"-{identity()}") else None
    return key if asked in (None, key) else None


def _serve_one(connection: socket.socket, key: str | None) -> str | None:
    """Serve one request on `connection` as a worker of kind `key` (None: a pack worker not yet
    of any kind, which takes the request's); the kind it is now."""
    from netspec.errors import SpecError
    from netspec.train import provenance, training
    from netspec.train.job import check_job, parser, run_job
    from netspec.train.training import OtherKind

    if peer_uid(connection) != os.getuid():
        return key  # another user's: refused before a byte is read
    request = json.loads(_read_line(connection, ACCEPT_S))
    if not isinstance(request, dict) or request.get("cwd") != os.getcwd():
        return key  # a worker serves the study it was started for
    argv = request.get("argv")
    if not isinstance(argv, list) or not all(isinstance(a, str) for a in argv):
        return key
    args = parser().parse_args(argv)
    print(f"serving {args.run or args.spec}", flush=True)  # the worker's log: what it took
    connection.settimeout(None)
    send_lock = threading.Lock()

    def send(message: dict) -> None:
        with send_lock:
            connection.sendall(json.dumps(message).encode() + b"\n")

    kind = _kind_of(request, key)
    if kind is not None and not kind.startswith(f"t{args.threads}-"):
        kind = None  # its key says other threads than its command line: not a kind it is
    send({"accepted": kind or key})
    if kind is None:  # nothing written: the client trains it in its own process
        send({"other_kind": f"this worker serves {key or 'runs of its own code only'}"})
        return key
    try:
        check_job(args, study=os.getcwd())  # before anything is written
    except SpecError as error:
        send({"say": f"error: {error}"})
        send({"exit": 1})
        return key  # a pack worker takes no kind from a run it did not train
    finished = threading.Event()
    threading.Thread(target=_watch, args=(connection, finished), daemon=True).start()
    threading.Thread(target=_beat, args=(send, finished), daemon=True).start()
    try:
        status = run_job(
            args,
            lambda text: send({"say": text}),
            provenance.JobClock.from_now(),
            deterministic=_deterministic(kind),
        )
    except OtherKind as error:  # nothing written: the client trains it in its own process
        finished.set()
        send({"other_kind": str(error)})
        with contextlib.suppress(OSError):
            connection.shutdown(socket.SHUT_RDWR)  # ends the watch's read too: the worker serves on
        return key  # a pack worker that took no run is still of no kind
    except Exception as error:  # noqa: BLE001 - the client says it; the worker lives on
        send({"say": f"error: {type(error).__name__}: {error}"})
        status = 1
    finished.set()
    send({"exit": status})
    with contextlib.suppress(OSError):
        connection.shutdown(socket.SHUT_RDWR)  # the client reads to the end; the watch ends too
    # a pack worker is of the kind its TensorFlow was set to: none where the run stopped before
    return kind if key is not None or training.configured else None


def _read_line(connection: socket.socket, within: float) -> bytes:
    """The first line `connection` sends, at most MESSAGE_BYTES, whole within `within` seconds:
    a peer that trickles its bytes is cut off as one that sends none."""
    deadline, data = time.monotonic() + within, b""
    while b"\n" not in data:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"no whole request within {within:g} s")
        connection.settimeout(left)
        chunk = connection.recv(65536)
        if not chunk:
            break
        data += chunk
        if len(data) > MESSAGE_BYTES:
            raise ValueError(f"a request longer than {MESSAGE_BYTES} bytes")
    return data.split(b"\n", 1)[0]


def _beat(send, finished: threading.Event) -> None:
    """Tell the client every HEARTBEAT_S that this worker is alive, until the run ends."""
    while not finished.wait(HEARTBEAT_S):
        with contextlib.suppress(OSError):
            send({"beat": True})


def serve(
    path: str, threads: int | None, key: str | None, owner: int | None = None, warm: bool = False
) -> None:
    """Listen at `path`, one job at a time, until IDLE_S pass without one, or, for a worker with
    an `owner` (a pack worker), until that process is gone. (`threads` and `key`: the kind of
    runs it serves, whose first sets TensorFlow's pools; a pack worker takes its first run's.)
    `warm`: started before any run wants it (prestart): TensorFlow is imported at once, beside
    listening (a run that comes meanwhile waits for the import, as it would anyway)."""
    import netspec

    # TensorFlow is imported by the first run (configure_tensorflow sets its pools then), not
    # before listening: that run starts as soon as it would in a process of its own, and takes
    # its run's lock as early (a leftover trainer is stopped before it trains on).
    netspec.quiet_tensorflow()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    binding = f"{path}.binding"  # bound, then listening, then named: never seen half made
    with contextlib.suppress(FileNotFoundError):
        os.unlink(binding)
    mask = os.umask(0o077)  # the socket file: this user's alone
    try:
        server.bind(binding)
    finally:
        os.umask(mask)
    server.listen(4)
    os.rename(binding, path)  # a client that finds `path` never takes it for a dead worker's
    if warm:  # the study's data may take a while: it waits twice IDLE_S for its first run
        from netspec.train import training  # no TensorFlow: a run joins the thread's import

        training.tensorflow_import = threading.Thread(target=_import_tensorflow, daemon=True)
        training.tensorflow_import.start()
    server.settimeout(2 * IDLE_S if warm else IDLE_S if owner is None else 1.0)
    try:
        while True:
            try:
                connection, _ = server.accept()
            except TimeoutError:
                if owner is None or os.getppid() != owner:
                    break
                continue
            server.settimeout(IDLE_S if owner is None else 1.0)
            connection.settimeout(None)
            with connection:
                try:
                    key = _serve_one(connection, key)
                except (OSError, SystemExit, *NOT_A_MESSAGE) as error:  # a bad request: refused
                    print(f"refused a request: {error!r}", flush=True)
    finally:
        # its log too: kept only where a worker died (the clue to why)
        for leftover in (path, f"{path}.lock", path.removesuffix(".sock") + ".log"):
            with contextlib.suppress(OSError):
                os.unlink(leftover)


def _import_tensorflow() -> None:
    """What a run imports first: Keras and TensorFlow. Importing them sets nothing: the first
    run's configure_tensorflow still sets the thread pools."""
    import keras  # noqa: F401
    import tensorflow  # noqa: F401


class _Stopped(BaseException):
    """SIGTERM to a pack worker: not a refused request (SystemExit is one), the end."""


def _stop(signum, frame) -> None:
    raise _Stopped


def pack_worker() -> None:
    """The pack worker of a SLURM allocation (`python -m netspec.train.workers --pack`, the
    precommand of profiles/slurm, run in the job's batch step before Snakemake runs the job's
    packed runs there, each in a job step of its own): it trains them one after another,
    TensorFlow loaded by the first, and ends with the job's script (its parent). Outside an
    allocation, or where the workers' folder is not as netspec made it, it does nothing: the
    runs then train in their own processes."""
    allocation = _allocation()
    if allocation is None:
        return
    try:
        path = _folder(allocation) / PACK_SOCKET
        alive = _connect(path)
        if alive is not None:  # one listens already (the precommand ran twice): it serves
            if alive is not BUSY:
                alive.close()
            return
        with contextlib.suppress(FileNotFoundError):
            path.unlink()  # a dead one's
        log = _private_file(path.with_suffix(".log"), os.O_WRONLY | os.O_TRUNC)
    except Unsafe as why:
        print(f"netspec: no pack worker: {why}", file=sys.stderr, flush=True)
        return
    with log:
        os.dup2(log.fileno(), sys.stdout.fileno())
        os.dup2(log.fileno(), sys.stderr.fileno())
    # SLURM ends a job's processes with SIGTERM (SIGKILL after KillWait): leave no file behind
    signal.signal(signal.SIGTERM, _stop)
    with contextlib.suppress(_Stopped):
        serve(str(path), None, None, owner=os.getppid())
    with contextlib.suppress(OSError):
        path.parent.rmdir()  # the allocation's folder, where nothing is left in it


if __name__ == "__main__":
    if sys.argv[1:] == ["--pack"]:
        pack_worker()
    else:
        serve(sys.argv[1], int(sys.argv[2]), sys.argv[3], warm=sys.argv[4:] == ["--warm"])
    sys.stdout.flush()
    os._exit(0)
