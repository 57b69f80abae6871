"""Sweeps: one spec file declares many variants, a grid or a seeded random search over fields
named by dotted paths (`optimizer.learning_rate`, `model.layers.2.units`).

Pure and cheap: a sweep's axes are checked (netspec.spec.axes), then its points (their ids and
what each sets) are known without compiling any of them, so a training job compiles only its
own point. Each point is then compiled like a
spec of its own (netspec.spec.compile), and its problems are blamed on the sweep entry that
set the faulty value.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
import re
from dataclasses import dataclass

from netspec.spec.axes import Axis, SweepErrors, SweepProblem, axes, entry, parse_path

MAX_POINTS = 10_000  # per spec: a sweep is planned whole, before any job starts
RUNG_SUFFIX = ".r"  # a halving run's id: RUN.rRUNG (netspec.halving; a spec's file name has no dot)


def of_point(run: str, point_id: str) -> bool:
    """Whether the run id `run` is one of the point `point_id`'s: the point itself, a seed of it
    (POINT-sS) or a rung of either (POINT.rR, POINT-sS.rR)."""
    return run == point_id or run.startswith((f"{point_id}-", f"{point_id}{RUNG_SUFFIX}"))


MAX_ID_LENGTH = 150  # a run id is a folder name; longer ids are shortened to a digest
# Keys that select an object's kind: a point that changes one starts that object afresh, as
# `extends` does (adam's beta_1 means nothing to sgd).
KIND_KEYS = ("name", "template", "type")


@dataclass(frozen=True)
class Point:
    """One variant of a sweep: its id and the value each axis takes."""

    id: str
    values: dict  # dotted path -> value, in the sweep's order
    where: dict  # dotted path -> the JSON path of the value in the sweep


def rungs(halving: dict, epochs: int) -> list[int]:
    """A halving sweep's rungs, as epochs: min_epochs * eta**r while below max_epochs (by
    default the spec's training.epochs), then max_epochs: (2, 3, 20) gives 2, 6, 18, 20."""
    eta, low = halving.get("eta", 3), halving["min_epochs"]
    high = halving.get("max_epochs", epochs)
    found, current = [], low
    while current < high:
        found.append(current)
        current *= eta
    return [*found, high]


def promoted(points: int, eta: int) -> int:
    """How many of a rung's points go on to the next: ceil(points / eta), at least 1."""
    return max(1, math.ceil(points / eta))


def points(spec_id: str, sweep: dict) -> list[Point]:
    """Every point of a schema-valid sweep, in order (a grid's in row-major order of its
    entries); SweepErrors lists every mistake in the sweep's own declaration, and holds the
    points over the entries without one (`partial`: their values may have mistakes too)."""
    kinds = [kind for kind in ("grid", "random") if kind in sweep]
    if len(kinds) != 1:
        received = " and ".join(kinds) if kinds else "neither"
        raise SweepErrors(
            [
                SweepProblem(
                    ("sweep",), f"expected exactly one of grid or random, received {received}"
                )
            ]
        )
    halving = sweep.get("halving")
    if halving and halving.get("max_epochs", halving["min_epochs"]) < halving["min_epochs"]:
        raise SweepErrors(
            [
                SweepProblem(
                    ("sweep", "halving", "max_epochs"),
                    f"expected at least min_epochs ({halving['min_epochs']}), received "
                    f"{halving['max_epochs']}",
                )
            ]
        )
    found, problems = axes(sweep)
    if problems:
        raise SweepErrors(problems, _points(spec_id, sweep, found) if found else [])
    return _points(spec_id, sweep, found)


def _points(spec_id: str, sweep: dict, found: list[Axis]) -> list[Point]:
    if "grid" in sweep:
        size = math.prod(len(axis.values) for axis in found)
        if size > MAX_POINTS:
            sizes = " x ".join(str(len(axis.values)) for axis in found)
            raise SweepErrors(
                [
                    SweepProblem(
                        ("sweep", "grid"),
                        f"expected a grid of at most {MAX_POINTS:,} points, received "
                        f"{sizes} = {size:,}",
                    )
                ]
            )
        combos = [
            [(axis, index, value) for axis, (index, value) in zip(found, chosen, strict=True)]
            for chosen in itertools.product(*(list(enumerate(axis.values)) for axis in found))
        ]
        wheres = [{axis.path: (*axis.where, index) for axis, index, _ in combo} for combo in combos]
        valuess = [{axis.path: value for axis, _, value in combo} for combo in combos]
    else:
        random = sweep["random"]
        valuess = [
            {axis.path: _draw(axis, random.get("seed", 0), sample) for axis in found}
            for sample in range(random["samples"])
        ]
        wheres = [{axis.path: axis.where for axis in found}] * len(valuess)
    names = _names(found)
    result, seen = [], set()
    for values, where in zip(valuess, wheres, strict=True):
        point = Point(point_id(spec_id, values, names), values, where)
        if point.id not in seen:  # a random search may draw the same point twice: kept once
            seen.add(point.id)
            result.append(point)
    return result


def _draw(axis: Axis, seed: int, sample: int) -> object:
    """The axis' value in sample `sample`: a function of (seed, sample, path) alone, so asking
    for more samples keeps the earlier ones, and adding an axis keeps the others' draws."""
    kind, bounds = axis.distribution
    text = f"{seed}\0{sample}\0{axis.path}".encode()
    u = int.from_bytes(hashlib.sha256(text).digest()[:8], "big") / 2**64  # in [0, 1)
    if kind == "choice":
        return bounds[min(int(u * len(bounds)), len(bounds) - 1)]
    low, high = bounds
    if kind == "integer":
        return min(low + int(u * (high - low + 1)), high)
    if kind == "log_uniform":
        value = math.exp(math.log(low) + u * (math.log(high) - math.log(low)))
    else:
        value = low + u * (high - low)
    # Three significant digits: readable ids, values a researcher can type, and a finer
    # resolution than a random search's few dozen samples can tell apart.
    return min(max(float(f"{value:.3g}"), low), high)


def _names(found: list[Axis]) -> dict[str, str]:
    """Each axis' name in point ids: the shortest tail of its path that no other axis shares
    and that starts with a key (units; layers_2_units where two layers' units are swept)."""
    names = {}
    for axis in found:
        for length in range(1, len(axis.parts) + 1):
            tail = axis.parts[-length:]
            if isinstance(tail[0], int):
                continue
            if all(other is axis or other.parts[-length:] != tail for other in found):
                break
        names[axis.path] = re.sub(r"[^a-z0-9_]", "_", "_".join(map(str, tail)).lower())
    return names


def value_text(value: object) -> str:
    """A value as it reads in a point id: 0.01, 1e-05, 64, true, adam; an object or a list as a
    digest of its JSON (what it is: `netspec expand`)."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return re.sub(r"[^a-z0-9._]", "_", value.lower()) or "_"
    text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    kind = next((value[k] for k in KIND_KEYS if isinstance(value, dict) and k in value), "v")
    return f"{value_text(kind)}.{hashlib.sha256(text.encode()).hexdigest()[:8]}"


def point_id(spec_id: str, values: dict, names: dict) -> str:
    """SPEC-NAME-VALUE-NAME-VALUE: readable, filesystem-safe, a function of what the point sets
    (so adding a value to a grid keeps every other point's id, outputs and digest)."""
    text = "-".join([spec_id, *(f"{names[path]}-{value_text(v)}" for path, v in values.items())])
    if len(text) <= MAX_ID_LENGTH:
        return text
    digest = hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:12]
    return f"{spec_id}-p{digest}"


def apply(data: dict, point: Point) -> tuple[dict, list[SweepProblem]]:
    """The spec `data` (its sweep removed) with the point's values set, and a SweepProblem at
    the entry of each path that leads through something that is not an object or a list (that
    value is left unset, so the others are still checked)."""
    result = {key: value for key, value in data.items() if key != "sweep"}
    problems = []
    # Kind keys first: a changed kind restarts its object, then the other values land in it.
    order = sorted(point.values, key=lambda path: parse_path(path)[-1] not in KIND_KEYS)
    for path in order:
        try:
            result = _set(result, parse_path(path), point.values[path], path, point.where[path])
        except SweepProblem as problem:
            problems.append(problem)
    return result, problems


def _set(node: object, parts: tuple, value: object, path: str, where: tuple) -> object:
    """`node` with `value` set at `parts` (copied on the way); `path` and `where` say it."""
    head, rest = parts[0], parts[1:]
    if isinstance(node, dict) and isinstance(head, str):
        copied = dict(node)
        if not rest:
            if head in KIND_KEYS and head in node and node[head] != value:
                copied = {}  # a new kind: its own fields only, as `extends` merges
            copied[head] = copy.deepcopy(value)
        else:
            copied[head] = _set(node.get(head, {}), rest, value, path, where)
        return copied
    if isinstance(node, list) and isinstance(head, int):
        if head >= len(node):
            raise SweepProblem(
                entry(where),
                f"expected a path into the spec, received {path!r}: the list there has "
                f"{len(node)} items, so index {head} is past its end",
            )
        copied = list(node)
        copied[head] = (
            copy.deepcopy(value) if not rest else _set(node[head], rest, value, path, where)
        )
        return copied
    segments = path.split(".")
    reached = ".".join(segments[: len(segments) - len(parts)]) or "the spec"
    if node == {}:  # made on the way: nothing the spec sets is there
        found = f"{reached} is not set in this spec (nothing to index)"
    elif isinstance(node, list):
        found = f"{reached} is a list (index it with a number)"
    else:
        found = f"{reached} is {json.dumps(node)}, not an object or a list"
    raise SweepProblem(entry(where), f"expected a path into the spec, received {path!r}: {found}")
