"""Whose fault a sweep point's problem is: a value's own is said at its sweep entry, any other
once, with the points it spoils, so a sweep of a thousand points reads like one spec."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from netspec.errors import Problem, json_path
from netspec.spec import axes, sweep
from netspec.spec.loading import display


def sweep_problems(path: Path, declared: dict, failures: list, total: int) -> list[Problem]:
    """Each failing point's problems, said once: a value's own at its sweep entry (every value
    of an entry failing alike: at the entry), any other once, with the points it spoils."""
    name = display(path)
    at_values: dict[tuple, set] = {}  # (entry, message) -> the value paths it was said for
    elsewhere: dict[Problem, list[str]] = {}
    for point, found in failures:
        for problem in found:
            where, swept = _blame(problem, point)
            if where is not None:
                message = problem.message
                if problem.path[: len(swept)] == swept and len(problem.path) > len(swept):
                    message += f" (at {json_path(problem.path)})"
                wrong_path = problem.message.startswith("unknown key")
                if wrong_path or problem.path[: len(swept)] != swept:  # the path, not a value
                    where = axes.entry(where)
                at_values.setdefault((axes.entry(where), message), set()).add(where)
            else:
                elsewhere.setdefault(problem, []).append(point.id)
    result = []
    for (entry, message), wheres in at_values.items():
        values = len(declared["grid"][entry[2]]) if entry[1] == "grid" else 1
        if wheres == {entry} or (len(wheres) > 1 and len(wheres) == values):
            result.append(Problem(name, entry, message))
        else:
            result += [Problem(name, where, message) for where in wheres]
    for problem, ids in elsewhere.items():
        if len(ids) == total:
            result.append(problem)
        else:
            more = f" and {len(ids) - 1} more" if len(ids) > 1 else ""
            result.append(
                dataclasses.replace(
                    problem, message=f"{problem.message} (in sweep point {ids[0]}{more})"
                )
            )
    return result


def _blame(problem: Problem, point: sweep.Point) -> tuple:
    """(the JSON path of the sweep value `problem` is about, the swept path), or (None, None):
    the problem is at or under a swept path, or on the way to one."""
    if problem.path is None:
        return None, None
    for path, where in point.where.items():
        parts = axes.parse_path(path)
        at_or_under = problem.path[: len(parts)] == parts
        # a problem on the way to a swept field (not at a section's root, which shape
        # inference blames as a whole): the path leads through something it cannot
        prefix = parts[: len(problem.path)] == problem.path
        on_the_way = prefix and ("unknown key" in problem.message or len(problem.path) >= 2)
        if at_or_under or on_the_way:
            return where, parts
    return None, None
