"""A sweep's axes: each swept field's dotted path (`optimizer.learning_rate`,
`model.layers.2.units`) parsed, and every mistake in the sweep's declaration said at its entry,
before any point is planned (netspec.spec.sweep)."""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass

from netspec.errors import PathPart

# Paths a sweep may not set, and why.
FIXED = {
    ("sweep",): "a sweep cannot sweep itself",
    ("extends",): "extends names a file; sweep a field instead",
    ("$schema",): "$schema is for editors; it changes nothing trained",
    ("description",): "description is prose; it changes nothing trained",
    ("training", "seed"): "seeds are repeats, not variants: list them in training.seeds",
    ("training", "seeds"): "seeds are repeats, not variants: list them in training.seeds",
}
_SEGMENT = re.compile(r"[A-Za-z_$][A-Za-z0-9_]*|[0-9]+")


@dataclass(frozen=True)
class Axis:
    """One swept field: its dotted path as written, its parts, and where the sweep declares it."""

    path: str
    parts: tuple[PathPart, ...]
    where: tuple[PathPart, ...]  # the JSON path of its entry: ("sweep", "grid", "model.units")
    values: tuple = ()  # a grid's values, in order
    distribution: tuple[str, list] | None = None  # a random search's ("log_uniform", [lo, hi])


class SweepProblem(Exception):
    """A mistake in the sweep itself, at `where` (a JSON path in the spec file)."""

    def __init__(self, where: tuple, message: str):
        super().__init__(message)
        self.where, self.message = where, message


class SweepErrors(Exception):
    """Every mistake in a sweep's declaration, and the points of its sound entries."""

    def __init__(self, problems: list[SweepProblem], partial: list | None = None):
        super().__init__("; ".join(p.message for p in problems))
        self.problems, self.partial = problems, partial or []


def entry(where: tuple) -> tuple:
    """The JSON path of a sweep entry, from that of one of its values (a grid's has an index)."""
    return where[:3] if where[1] == "grid" else where[:4]


def parse_path(text: str) -> tuple[PathPart, ...] | None:
    """'model.layers.2.units' -> ('model', 'layers', 2, 'units'); None when malformed."""
    segments = text.split(".")
    if not text or not all(_SEGMENT.fullmatch(s) for s in segments):
        return None
    if segments[0].isdigit():
        return None
    return tuple(int(s) if s.isdigit() else s for s in segments)


def axes(sweep: dict) -> tuple[list[Axis], list[SweepProblem]]:
    """The axes of a schema-valid `sweep` section, and the problems of their paths."""
    found, problems = [], []
    if "grid" in sweep:
        entries = [
            (path, ("sweep", "grid", path), values) for path, values in sweep["grid"].items()
        ]
    else:
        space = sweep["random"]["space"]
        entries = [(path, ("sweep", "random", "space", path), spec) for path, spec in space.items()]
    for path, where, declared in entries:
        parts = parse_path(path)
        if parts is None:
            problems.append(
                SweepProblem(
                    where,
                    "expected a dotted path to a spec field, like 'optimizer.learning_rate' or "
                    f"'model.layers.2.units', received {path!r}",
                )
            )
            continue
        fixed = next((why for key, why in FIXED.items() if parts[: len(key)] == key), None)
        if fixed:
            problems.append(SweepProblem(where, f"cannot sweep {path!r}: {fixed}"))
            continue
        if "grid" in sweep:
            found.append(Axis(path, parts, where, values=tuple(declared)))
        else:
            ((kind, bounds),) = declared.items()
            if kind != "choice" and not bounds[0] < bounds[1] and kind != "integer":
                problems.append(
                    SweepProblem(
                        where,
                        f"expected {kind} bounds [low, high] with low < high, "
                        f"received {json.dumps(bounds)}",
                    )
                )
                continue
            if kind == "integer" and bounds[0] > bounds[1]:
                problems.append(
                    SweepProblem(
                        where,
                        f"expected integer bounds [low, high] with low <= high, "
                        f"received {json.dumps(bounds)}",
                    )
                )
                continue
            found.append(Axis(path, parts, where, distribution=(kind, bounds)))
    for first, second in itertools.combinations(found, 2):
        shorter, longer = sorted((first.parts, second.parts), key=len)
        if longer[: len(shorter)] == shorter:
            problems.append(
                SweepProblem(
                    second.where,
                    f"expected paths that do not overlap, received {second.path!r} with "
                    f"{first.path!r}: one sets part of the other",
                )
            )
    return found, problems
