"""Reading spec files: JSON with line/column errors, then the `extends` chain deep-merged."""

from __future__ import annotations

import json
import math
import os
import stat
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from netspec.errors import Problem, SpecError

# Keys that describe a file rather than the experiment: never inherited from a parent.
PROSE = ("$schema", "description", "extends")
# Bounds that keep a hostile or mistaken file from exhausting memory or the stack: a real spec is
# a few hundred bytes, a few levels deep, with a short extends chain.
MAX_SPEC_BYTES = 1 << 20
MAX_DEPTH = 32
MAX_CHAIN = 64


def display(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when inside it."""
    return _display(os.fspath(path), os.getcwd())


def _identity(path: Path) -> tuple[int, int] | None:
    """The file itself (device, inode), whatever the path's spelling, links included: one stat,
    where resolving the path costs one per directory above it."""
    try:
        stat = os.stat(path)
    except (OSError, ValueError):  # missing, or a NUL in the path
        return None
    return stat.st_dev, stat.st_ino


@lru_cache(maxsize=8192)
def _display(path: str, cwd: str) -> str:
    try:
        shown = os.path.relpath(path, cwd)
    except ValueError:  # another drive
        shown = path
    # A name is shown, never interpreted by the terminal: control characters as escapes.
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in shown)


def read_json(path: Path) -> object:
    """Parse one JSON file; syntax errors and duplicate keys become SpecErrors with line:column.

    A base shared by a thousand variants is parsed once: results are cached by the file's path,
    size and mtime, and treated as read-only by everything downstream.
    """
    try:
        stat = path.stat()
    except (OSError, ValueError):  # missing, or a NUL in the path
        stat = None
    if stat is None:
        return _parse(path)
    return _parse_cached(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=256)
def _parse_cached(path: Path, mtime_ns: int, size: int) -> object:
    return _parse(path)


def read_bytes(path: Path) -> bytes:
    """A spec file's bytes: a regular file of at most MAX_SPEC_BYTES, never a device, a pipe
    or a socket (which could block forever or never end)."""
    name = display(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise SpecError.one(name, None, "no such file") from None
    except OSError as error:
        raise SpecError.one(name, None, f"cannot read the file ({error.strerror})") from None
    except ValueError as error:  # a NUL byte in the path
        raise SpecError.one(name, None, f"cannot read the file ({error})") from None
    if not stat.S_ISREG(info.st_mode):
        raise SpecError.one(name, None, f"expected a regular file, received {_file_kind(info)}")
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_SPEC_BYTES + 1)
    except OSError as error:
        raise SpecError.one(name, None, f"cannot read the file ({error.strerror})") from None
    if len(data) > MAX_SPEC_BYTES:
        raise SpecError.one(
            name,
            None,
            f"expected a spec file of at most {MAX_SPEC_BYTES // 1024} KiB, received "
            f"{max(info.st_size, len(data)) // 1024} KiB or more",
        )
    return data


def _file_kind(info: os.stat_result) -> str:
    for test, kind in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a named pipe"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(info.st_mode):
            return kind
    return "a special file"


def _parse(path: Path) -> object:
    name = display(path)
    try:
        text = read_bytes(path).decode("utf-8")
    except UnicodeDecodeError as error:
        raise SpecError.one(
            name, None, f"expected UTF-8 text, received {error.reason} at byte {error.start}"
        ) from None
    try:
        data = json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_constant=NonFinite,
            parse_float=_float,
        )
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
    except RecursionError:
        raise SpecError.one(
            name, None, f"expected JSON nested at most {MAX_DEPTH} levels deep, received deeper"
        ) from None
    except ValueError:  # an integer of more digits than Python converts
        limit = sys.get_int_max_str_digits()
        raise SpecError.one(
            name, None, f"invalid JSON: expected numbers of at most {limit} digits, received more"
        ) from None
    problems = [Problem(name, path, message) for path, message in _unusual_values(data)]
    if problems:
        raise SpecError(problems)
    return data


class NonFinite(str):
    """NaN, Infinity or a number too large for a float, as written: JSON Schema's bounds never
    fail on NaN, so these are refused while parsing."""


def _float(text: str) -> float | NonFinite:
    value = float(text)
    return value if math.isfinite(value) else NonFinite(text)


def _unusual_values(data: object) -> list[tuple[tuple, str]]:
    """(path, message) for each non-finite number, and for nesting past MAX_DEPTH."""
    found, stack = [], [((), data)]
    while stack:
        path, node = stack.pop()
        if len(path) > MAX_DEPTH:
            return [
                (
                    path[:MAX_DEPTH],
                    f"expected JSON nested at most {MAX_DEPTH} levels deep, received deeper",
                )
            ]
        if isinstance(node, NonFinite):
            found.append((path, f"expected a finite number, received {node}"))
        elif isinstance(node, dict):
            stack.extend(((*path, key), value) for key, value in node.items())
        elif isinstance(node, list):
            stack.extend(((*path, index), value) for index, value in enumerate(node))
    return sorted(found, key=lambda item: str(item[0]))


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
    try:
        info = os.stat(parent_path)
    except (OSError, ValueError):  # missing, or a NUL in the path
        info = None
    if info is None or not stat.S_ISREG(info.st_mode):
        found = (
            f"({display(parent_path)} not found)"
            if info is None
            else (f"which is {_file_kind(info)}")
        )
        raise SpecError.one(
            name, ("extends",), f"expected an existing spec file, received {parent_ref!r} {found}"
        )
    seen = (*_seen, (_identity(path), path))
    if len(seen) >= MAX_CHAIN:
        first = seen[0][1]  # the spec the chain starts from: the one the user asked for
        raise SpecError.one(
            display(first),
            ("extends",),
            f"expected an extends chain of at most {MAX_CHAIN} files, received longer "
            f"(it reaches {name} and goes on)",
        )
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
