"""Reading spec files: JSON with line/column errors, then the `extends` chain deep-merged."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from netspec.errors import SpecError

# Keys that describe a file rather than the experiment: never inherited from a parent.
PROSE = ("$schema", "description", "extends")


def display(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when inside it."""
    return _display(os.fspath(path), os.getcwd())


def _identity(path: Path) -> tuple[int, int] | None:
    """The file itself (device, inode), whatever the path's spelling, links included: one stat,
    where resolving the path costs one per directory above it."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


@lru_cache(maxsize=8192)
def _display(path: str, cwd: str) -> str:
    try:
        return os.path.relpath(path, cwd)
    except ValueError:  # another drive
        return path


def read_json(path: Path) -> object:
    """Parse one JSON file; syntax errors and duplicate keys become SpecErrors with line:column.

    A base shared by a thousand variants is parsed once: results are cached by the file's path,
    size and mtime, and treated as read-only by everything downstream.
    """
    try:
        stat = path.stat()
    except OSError:
        stat = None
    if stat is None:
        return _parse(path)
    return _parse_cached(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=256)
def _parse_cached(path: Path, mtime_ns: int, size: int) -> object:
    return _parse(path)


def _parse(path: Path) -> object:
    name = display(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError.one(name, None, "no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise SpecError.one(name, None, f"cannot read the file ({error})") from None
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as error:
        raise SpecError.one(
            f"{name}:{error.lineno}:{error.colno}", None, f"invalid JSON: {error.msg}"
        ) from None
    except _DuplicateKey as error:
        raise SpecError.one(
            name,
            None,
            f"invalid JSON: key {error.args[0]!r} appears twice "
            "in one object (the second would silently win)",
        ) from None


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict:
    result = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


@dataclass
class Resolved:
    """A spec with its parents merged in; `sources` keeps each file's own text to blame errors on."""

    file: Path
    data: dict
    sources: list[tuple[Path, dict]] = field(default_factory=list)  # the spec first, then parents

    @property
    def chain(self) -> list[Path]:
        return [path for path, _ in self.sources]

    def origin(self, path: tuple) -> str:
        """The file that wrote `path`: the one that wrote its longest prefix, nearest child first."""
        best, best_depth = self.file, 0
        for index, (file, data) in enumerate(self.sources):
            depth = _written_depth(data if index == 0 else _inheritable(data), path)
            if depth > best_depth:
                best, best_depth = file, depth
        return display(best)


def _written_depth(data: object, path: tuple) -> int:
    depth = 0
    for part in path:
        in_object = isinstance(data, dict) and isinstance(part, str) and part in data
        in_list = isinstance(data, list) and isinstance(part, int) and part < len(data)
        if not (in_object or in_list):
            break
        data = data[part]
        depth += 1
    return depth


def _inheritable(data: dict) -> dict:
    return {k: v for k, v in data.items() if k not in PROSE}


def resolve(path: Path, _seen: tuple[tuple[tuple[int, int] | None, Path], ...] = ()) -> Resolved:
    """Load `path` and merge its `extends` chain: objects deep-merge (child wins), lists replace."""
    path = Path(path)
    name = display(path)
    data = read_json(path)
    if not isinstance(data, dict):
        raise SpecError.one(
            name, None, f"expected a JSON object at the top, received {type(data).__name__}"
        )
    parent_ref = data.get("extends")
    if parent_ref is None:
        return Resolved(path, data, [(path, data)])
    if not isinstance(parent_ref, str):
        raise SpecError.one(
            name,
            ("extends",),
            f"expected a string path to a parent spec, received {json.dumps(parent_ref)}",
        )
    parent_path = path.parent / parent_ref
    if not parent_path.is_file():
        raise SpecError.one(
            name,
            ("extends",),
            f"expected an existing spec file, received "
            f"{parent_ref!r} ({display(parent_path)} not found)",
        )
    seen = (*_seen, (_identity(path), path))
    if _identity(parent_path) in (identity for identity, _ in seen):
        cycle = " -> ".join(display(p) for p in (*(p for _, p in seen), parent_path))
        raise SpecError.one(name, ("extends",), f"extends forms a cycle: {cycle}")
    parent = resolve(parent_path, seen)
    merged = merge(_inheritable(parent.data), {k: v for k, v in data.items() if k != "extends"})
    return Resolved(path, merged, [(path, data), *parent.sources])


def merge(base: dict, override: dict) -> dict:
    """Deep merge: nested objects merge key by key, anything else in `override` replaces.

    An object that changes its kind (a model's template, an optimizer's name) replaces the
    parent's object whole: adam's beta_1 means nothing to sgd, a convnet's padding nothing to mlp.
    """
    result = dict(base)
    for key, value in override.items():
        parent = result.get(key)
        if isinstance(value, dict) and isinstance(parent, dict) and _same_kind(parent, value):
            result[key] = merge(parent, value)
        else:
            result[key] = value
    return result


def _kind(value: dict) -> object:
    for key in ("template", "name", "type"):
        if key in value:
            return value[key]
    return "layers" if "layers" in value else None


def _same_kind(parent: dict, child: dict) -> bool:
    return _kind(child) is None or _kind(child) == _kind(parent)
