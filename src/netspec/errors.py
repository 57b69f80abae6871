"""The one user-facing error type: every problem names its file, its JSON path and what was wrong."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

PathPart = str | int
_PLAIN_KEY = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")


def json_path(parts: Sequence[PathPart]) -> str:
    """Render a path as JSONPath: ("model", "layers", 2, "units") -> $.model.layers[2].units;
    a key that is not a plain name in brackets: $.sweep.grid['optimizer.learning_rate']."""
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.fullmatch(part):
            out += f".{part}"
        else:
            out += "['" + part.replace("\\", "\\\\").replace("'", "\\'") + "']"
    return out


def show(value: object, limit: int = 60) -> str:
    """A value as the user wrote it (JSON), shortened for one-line messages."""
    try:
        text = json.dumps(value, sort_keys=True)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def plural(count: int, noun: str) -> str:
    """'1 spec', '2 specs', '1,000 runs'."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def suggest(received: object, known: Iterable[str]) -> str:
    """' (did you mean 'x'?)' when a close known name exists, else ''."""
    if not isinstance(received, str):
        return ""
    match = difflib.get_close_matches(received, list(known), n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with one spec: where (file, JSON path) and what."""

    file: str
    path: tuple[PathPart, ...] | None  # None: about the file as a whole (syntax, name)
    message: str

    def __str__(self) -> str:
        if self.path is None:
            return f"{self.file}: {self.message}"
        return f"{self.file}: {json_path(self.path)}: {self.message}"


class SpecError(Exception):
    """Raised for anything wrong with a spec or its data; carries every problem found at once."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = sorted(set(problems), key=_sort_key)
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def one(cls, file: str, path: Sequence[PathPart] | None, message: str) -> SpecError:
        return cls([Problem(file, None if path is None else tuple(path), message)])


def _sort_key(problem: Problem) -> tuple:
    path = [(1, p) if isinstance(p, int) else (0, p) for p in problem.path or ()]
    return (problem.file, problem.path is not None, path, problem.message)
