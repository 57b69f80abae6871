"""One trainer per experiment folder: a lock held while a run trains. A trainer still holding
it was left behind by an interrupted Snakemake (kill -9 does not reach its jobs) and is stopped
before this one resumes; which process that is, the kernel says, not the lock file's text."""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import time
from pathlib import Path

LOCK_FILE = ".training.lock"
STOP_WAIT_S = 60  # how long a leftover trainer gets to exit on SIGTERM before SIGKILL
LOCKS = "/proc/locks"  # Linux: every lock held on this machine, with its process and its file


def locked(lock) -> bool:
    """Whether this process now holds `lock` (an open lock file); False if another does."""
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextlib.contextmanager
def sole_trainer(folder: Path):
    """Hold the experiment folder's lock while training, after stopping a trainer that holds
    it, so that one process trains the experiment; this one resumes from its last epoch."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK_FILE, "a+") as lock:
        if not locked(lock):
            _stop_holder(lock, folder)
        lock.seek(0)
        lock.truncate()
        lock.write(str(os.getpid()))  # for people and tests; never trusted (holder)
        lock.flush()
        yield


def holder(lock, table: str) -> int | None:
    """The process of this machine that holds `lock` (an open file), from the kernel's table
    of locks (`table`, the text of /proc/locks). None where no process here holds it: the
    holder is on another machine sharing the folder (NFS), in another container, or has just
    ended. The lock file's text names a pid too, but anything may have written it, and a pid
    left there by a trainer long gone may now be another program's: it is never signalled."""
    status = os.fstat(lock.fileno())
    device = f"{os.major(status.st_dev):02x}:{os.minor(status.st_dev):02x}"
    exact, same_inode = set(), set()
    for line in table.splitlines():
        # "1: FLOCK  ADVISORY  WRITE 2479 fe:00:1444912 0 EOF"; "1: -> FLOCK ..." waits for it
        fields = line.split()
        if len(fields) < 6 or "->" in fields or not fields[4].isdigit():
            continue  # a waiter, or a lock of no process (an open file description's: pid -1)
        pid, (*where, inode) = int(fields[4]), fields[5].split(":")
        if inode != str(status.st_ino) or pid in (0, os.getpid()):
            continue
        (exact if ":".join(where) == device else same_inode).add(pid)
    # an overlay filesystem (a container's) reports its own device for the file it locks
    found = exact or same_inode
    return found.pop() if len(found) == 1 else None


def _table() -> str | None:
    try:
        with open(LOCKS) as locks:
            return locks.read()
    except OSError:
        return None


def _stop_holder(lock, folder: Path) -> None:
    """Stop the trainer of this machine holding `lock` (SIGTERM, then SIGKILL) and take the
    lock; RuntimeError where it will not stop, or where no process here holds it."""
    table = _table()
    pid = holder(lock, table) if table is not None else None
    if pid is None:
        if locked(lock):  # it ended meanwhile
            return
        which = (
            "no process of this machine (another machine shares the folder, or another container)"
            if table is not None
            else f"a process {LOCKS} cannot be read to name"
        )
        raise RuntimeError(
            f"another training of {folder} holds {LOCK_FILE}, {which}: this job will not train "
            "beside it, nor signal a process it cannot identify. Let that training finish (or "
            "stop it where it runs), then rerun"
        )
    print(f"another training of {folder} is running (pid {pid}); stopping it", flush=True)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass  # it ended meanwhile
        except PermissionError:
            raise RuntimeError(
                f"another training of {folder} holds {LOCK_FILE} in a process of another user "
                f"(pid {pid}): this job cannot stop it, nor will it train beside it. Ask its "
                "owner, or train into an outputs folder of your own"
            ) from None
        deadline = time.monotonic() + STOP_WAIT_S
        while time.monotonic() < deadline:
            if locked(lock):
                return
            time.sleep(0.1)
    raise RuntimeError(f"the training holding {folder / LOCK_FILE} (pid {pid}) did not stop")
