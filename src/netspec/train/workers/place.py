"""The shared workers' folder and files, checked as a service on a shared machine checks them:
per user and per study, made by netspec, others can neither write nor swap them (`Unsafe`
otherwise, and the job trains in its own process)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tempfile
from pathlib import Path

from netspec.train.lock import locked

PACK_SOCKET = "pack.sock"  # an allocation's pack worker (server.pack_worker), in its folder


class Unsafe(Exception):
    """Something in the workers' folder is not as netspec made it: the job trains in its own
    process instead, and says why in one line."""


def private_folder(path: Path) -> Path:
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


def workers_folder(allocation: str | None = None) -> Path:
    """Where this study's workers listen: short (a socket path has ~100 characters at most),
    per user and per working directory, every level netspec makes checked (private_folder);
    inside a SLURM allocation, per allocation too (a worker serves its own allocation's runs
    only: another job's CPUs and memory are not its to use)."""
    where = os.getcwd() + (f"\0slurm-{allocation}" if allocation else "")
    study = hashlib.sha256(where.encode()).hexdigest()[:12]
    user = private_folder(_root() / f"netspec-{os.getuid()}")
    return private_folder(user / study)


def allocation() -> str | None:
    """This process's SLURM job id (its allocation), if it runs inside one."""
    job = os.environ.get("SLURM_JOB_ID", "")
    return job if job.isdigit() else None


def private_file(path: str | Path, flags: int = os.O_RDWR):
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


def claim(path: Path):
    """The lock file of the worker at `path`, locked, or None when another client holds it."""
    lock = private_file(f"{path}.lock")
    if not locked(lock):
        lock.close()
        return None
    return lock
