"""Reading spec files: JSON with line/column errors, then the `extends` chain deep-merged."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from netspec.errors import SpecError

# Keys that describe a file rather than the experiment: never inherited from a parent.
PROSE = ("$schema", "description", "extends")


def display(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when inside it."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive
        return str(path)


def read_json(path: Path) -> object:
    """Parse one JSON file; syntax errors and duplicate keys become SpecErrors with line:column."""
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
    """A spec with its parents merged in, and for every JSON path the file that set it."""

    file: Path
    data: dict
    origins: dict[tuple, str] = field(default_factory=dict)
    chain: list[Path] = field(default_factory=list)

    def origin(self, path: tuple) -> str:
        """The file that wrote `path` (its deepest written prefix); the spec itself by default."""
        for end in range(len(path), 0, -1):
            if path[:end] in self.origins:
                return self.origins[path[:end]]
        return display(self.file)


def resolve(path: Path, _seen: tuple[Path, ...] = ()) -> Resolved:
    """Load `path` and merge its `extends` chain: objects deep-merge (child wins), lists replace."""
    path = Path(path)
    real = path.resolve()
    name = display(path)
    if real in _seen:
        cycle = " -> ".join(display(p) for p in (*_seen, real))
        raise SpecError.one(name, ("extends",), f"extends forms a cycle: {cycle}")
    data = read_json(path)
    if not isinstance(data, dict):
        raise SpecError.one(
            name, None, f"expected a JSON object at the top, received {type(data).__name__}"
        )
    own = Resolved(path, data, {p: name for p in _paths(data)}, [path])
    parent_ref = data.get("extends")
    if parent_ref is None:
        return own
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
    parent = resolve(parent_path, (*_seen, real))
    inherited = {k: v for k, v in parent.data.items() if k not in PROSE}
    merged = merge(inherited, {k: v for k, v in data.items() if k != "extends"})
    origins = {p: f for p, f in parent.origins.items() if p and p[0] not in PROSE}
    origins.update(own.origins)
    return Resolved(path, merged, origins, [path, *parent.chain])


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


def _paths(value: object, prefix: tuple = ()):
    """Every JSON path written in a document (objects and lists), so errors can name its file."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))
