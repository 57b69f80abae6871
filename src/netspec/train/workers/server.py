"""A shared worker's side: listen on its socket, serve one job at a time (Keras and the seeds
reset for each), beat while a run trains, end when idle or, for a pack worker, with its
allocation's job script. `python -m netspec.train.workers` starts one (__main__)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sys
import threading

from netspec.train.workers import kinds, place, wire

IDLE_S = 30  # a worker without work for this long exits


def serve(
    path: str, threads: int | None, key: str | None, owner: int | None = None, warm: bool = False
) -> None:
    """Listen at `path`, one job at a time, until IDLE_S pass without one, or, for a worker with
    an `owner` (a pack worker), until that process is gone. (`threads` and `key`: the kind of
    runs it serves, whose first sets TensorFlow's pools; a pack worker takes its first run's.)
    `warm`: started before any run wants it (client.prestart): TensorFlow is imported at once,
    beside listening (a run that comes meanwhile waits for the import, as it would anyway)."""
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
                except (
                    OSError,
                    SystemExit,
                    *wire.NOT_A_MESSAGE,
                ) as error:  # a bad request: refused
                    print(f"refused a request: {error!r}", flush=True)
    finally:
        # its log too: kept only where a worker died (the clue to why)
        for leftover in (path, f"{path}.lock", path.removesuffix(".sock") + ".log"):
            with contextlib.suppress(OSError):
                os.unlink(leftover)


def _serve_one(connection: socket.socket, key: str | None) -> str | None:
    """Serve one request on `connection` as a worker of kind `key` (None: a pack worker not yet
    of any kind, which takes the request's); the kind it is now."""
    from netspec.errors import SpecError
    from netspec.train import provenance, training
    from netspec.train.job import check_job, parser, run_job
    from netspec.train.training import OtherKind

    if wire.peer_uid(connection) != os.getuid():
        return key  # another user's: refused before a byte is read
    request = json.loads(wire.read_line(connection, wire.ACCEPT_S))
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

    kind = kinds.kind_of(request, key)
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
            deterministic=kinds.deterministic(kind),
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


def _watch(connection: socket.socket, finished: threading.Event) -> None:
    """End the worker at once if its client goes away mid-run, as a killed job would end."""
    with contextlib.suppress(OSError):
        connection.recv(1)  # returns when the client closes its end
    if not finished.is_set():
        os._exit(3)


def _beat(send, finished: threading.Event) -> None:
    """Tell the client every wire.HEARTBEAT_S that this worker is alive, until the run ends."""
    while not finished.wait(wire.HEARTBEAT_S):
        with contextlib.suppress(OSError):
            send({"beat": True})


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
    allocation = place.allocation()
    if allocation is None:
        return
    try:
        path = place.workers_folder(allocation) / place.PACK_SOCKET
        alive = wire.connect(path)
        if alive is not None:  # one listens already (the precommand ran twice): it serves
            if alive is not wire.BUSY:
                alive.close()
            return
        with contextlib.suppress(FileNotFoundError):
            path.unlink()  # a dead one's
        log = place.private_file(path.with_suffix(".log"), os.O_WRONLY | os.O_TRUNC)
    except place.Unsafe as why:
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
