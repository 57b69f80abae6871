"""A worker's kind: what a process sets once (threads, determinism) and the code it runs. A
worker serves runs of its own kind only; a pack worker takes its first run's."""

from __future__ import annotations

import argparse
import functools
import hashlib
import os
import re
import sys
from pathlib import Path


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


def key_of(args: argparse.Namespace) -> str:
    """The kind of worker a run needs: what a process can set only once, and its code. The
    client reads the run's determinism from its spec without compiling it (the one compile of
    the job is the worker's, which refuses a run of another kind: `server._serve_one`)."""
    from netspec.spec.compile import declared

    deterministic = declared(args.spec, args.run, ("training", "deterministic"), False)
    return f"t{args.threads}-d{int(deterministic is True)}-{identity()}"


KEY = re.compile(r"t[1-9][0-9]{0,3}-d[01]-[0-9a-f]{12}")  # as key_of spells it


def deterministic(key: str) -> bool:
    """Whether the worker of `key` (as `key_of` spells it) trains deterministically."""
    return key.split("-")[1] == "d1"


def kind_of(request: dict, key: str | None) -> str | None:
    """The kind a worker serves `request` as: its own (`key`), or, for a pack worker that has
    served nothing yet, the request's where it is a kind of this worker's code; None if the
    request needs another kind."""
    asked = request.get("key")
    if key is None and isinstance(asked, str) and KEY.fullmatch(asked):
        return asked if asked.endswith(f"-{identity()}") else None
    return key if asked in (None, key) else None
