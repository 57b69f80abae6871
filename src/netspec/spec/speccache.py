"""A content-keyed cache of compiled specs, so re-planning a large study skips re-validation.

An entry is reused only when every byte that went into it is the same: the spec file and each
file of its `extends` chain (path and content), the npz file it reads (size and mtime), and
netspec itself (its version and the size and mtime of every module, so an edited
editable install never serves stale results). Specs with problems are never cached: their
errors are computed afresh each time. A cache that cannot be read is ignored, never an error.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path

import netspec
from netspec.errors import SpecError
from netspec.spec.experiment import Experiment
from netspec.spec.loading import MAX_CHAIN, read_bytes, read_json

FORMAT = 3  # JSON data: reading the cache runs no code, unlike a pickle
PACKAGE = Path(netspec.__file__).parent


def code_fingerprint() -> str:
    """netspec's version plus the size and mtime of every module (the schema is generated from
    them)."""
    digest = hashlib.sha256(f"{FORMAT}:{netspec.__version__}".encode())
    for path in sorted(PACKAGE.rglob("*.py")):
        stat = path.stat()
        digest.update(f"{path.relative_to(PACKAGE)}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return digest.hexdigest()


def content_key(path: Path, fingerprint: str, files: dict | None = None) -> str | None:
    """The spec's chain of files, by path and content; None when the chain cannot be followed
    (the compiler then runs and reports why). `files` memoises (bytes, parent) per path, so a
    base shared by a thousand variants is read once."""
    files = {} if files is None else files
    digest = hashlib.sha256(fingerprint.encode())
    current = os.path.normpath(path)
    for _ in range(MAX_CHAIN):
        if current not in files:
            try:
                raw = read_bytes(Path(current))
                # The compiler's own parse, memoised by path, size and mtime: a spec missing
                # the cache is then not parsed a second time when it is compiled.
                data = read_json(Path(current))
            except (OSError, SpecError):
                return None
            parent = data.get("extends") if isinstance(data, dict) else None
            files[current] = (raw, parent)
        raw, parent = files[current]
        digest.update(f"{current}\0{len(raw)}\0".encode() + raw)
        if parent is None:
            return digest.hexdigest()
        if not isinstance(parent, str):
            return None
        current = os.path.normpath(os.path.join(os.path.dirname(current), parent))
    return None  # a cycle, or absurdly deep: the compiler says which


def _file_stamps(experiment) -> list:
    """What an entry depends on beyond the spec chain: the files its data source reads."""
    stamps = []
    for path in experiment.source.files:
        stat = os.stat(path)
        stamps.append((path, stat.st_size, stat.st_mtime_ns))
    return stamps


def _still_valid(stamps: list) -> bool:
    try:
        return all(
            (os.stat(p).st_size, os.stat(p).st_mtime_ns) == (size, mtime)
            for p, size, mtime in stamps
        )
    except OSError:
        return False


class SpecCache:
    """Use as: cache = SpecCache(file); cache.get(path) or compile_variants; cache.put(...);
    cache.save()."""

    def __init__(self, file: str | Path | None):
        self.file = Path(file) if file else None
        self.fingerprint = code_fingerprint() if self.file is not None else ""
        self.entries: dict = {}
        self.used: set = set()
        self.changed = False
        self.files: dict = {}
        if self.file is not None:
            try:
                with open(self.file, encoding="utf-8") as handle:
                    stored = json.load(handle)
                if stored.get("fingerprint") == self.fingerprint:
                    self.entries = dict(stored["entries"])
            except Exception:  # noqa: BLE001 - a missing or unreadable cache is just empty
                self.entries = {}

    def get(self, path: Path) -> tuple[str | None, list[Experiment] | None]:
        """(the spec's content key, its compiled variants or None when not cached)."""
        if self.file is None:  # no cache asked for: nothing to key
            return None, None
        key = content_key(path, self.fingerprint, self.files)
        entry = self.entries.get(key) if key else None
        if entry is None or not _still_valid(entry[1]):
            return key, None
        try:
            variants = [Experiment.from_json(data) for data in entry[0]]
        except (KeyError, TypeError, ValueError):  # written by a different netspec: recompile
            return key, None
        self.used.add(key)
        return key, variants

    def put(self, key: str | None, variants: list[Experiment]) -> None:
        if key is None or self.file is None:
            return
        # every variant of a file reads the same data sources, but a sweep may vary them
        stamps = sorted({tuple(s) for v in variants for s in _file_stamps(v)})
        self.entries[key] = ([v.to_json() for v in variants], [list(s) for s in stamps])
        self.used.add(key)
        self.changed = True

    def save(self) -> None:
        """Keep exactly the entries this run used; write atomically, and only if they changed."""
        if self.file is None:
            return
        if set(self.entries) != self.used:
            self.entries = {k: v for k, v in self.entries.items() if k in self.used}
            self.changed = True
        if not self.changed:
            return
        partial = self.file.with_name(f"{self.file.name}.{os.getpid()}.partial")
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            # json.dumps, not json.dump: only the former uses the C encoder
            text = json.dumps({"fingerprint": self.fingerprint, "entries": self.entries})
            partial.write_text(text, encoding="utf-8")
            partial.replace(self.file)  # atomic: a concurrent reader sees the old or the new
        except OSError:  # read-only or full: the cache is an optimisation, never a failure
            with contextlib.suppress(OSError):
                partial.unlink()
