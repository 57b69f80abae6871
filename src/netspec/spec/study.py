"""A study: every experiment in a specs folder, compiled at once, and what the report says of each."""

from __future__ import annotations

import json
from pathlib import Path

from netspec.errors import Problem, SpecError
from netspec.spec import compile as compiler
from netspec.spec.budget import DEFAULT_BUDGET, Budget
from netspec.spec.defaults import with_defaults
from netspec.spec.diff import MISSING, differences
from netspec.spec.discovery import check_base, spec_files
from netspec.spec.experiment import Experiment, expand, is_base
from netspec.spec.loading import display, resolve
from netspec.spec.speccache import SpecCache


def compile_all(
    paths: list[Path | str], cache: str | Path | None = None, budget: Budget = DEFAULT_BUDGET
) -> tuple[list[Experiment], list[Problem]]:
    """Every experiment under `paths` within `budget`, and every problem of those that failed.

    `cache` names a file of compiled specs keyed by content (netspec.spec.speccache): a spec whose
    files are unchanged since the last call is not compiled again. The budget is checked on
    every experiment, cached or not, so a tighter budget applies at once.
    """
    store = SpecCache(cache)
    files, problems = spec_files(paths)
    experiments = []
    for path in files:
        if is_base(path):  # named explicitly: checked, but not an experiment
            problems += check_base(path)
            continue
        key, variants = store.get(path)
        if variants is None:
            try:
                variants = compiler.compile_variants(path)
            except SpecError as error:
                problems += error.problems
                continue
            store.put(key, variants)
        for variant in variants:
            over = budget.problems(variant)
            if over:
                problems += over
            else:
                experiments += expand(variant)
    store.save()
    unique = list(dict.fromkeys(problems))  # a base's mistake, met once through each child
    return experiments, unique + _collisions(experiments)


def _collisions(experiments: list[Experiment]) -> list[Problem]:
    """Two runs may not share an id (a spec `a-s0` and the seed-0 run of spec `a`, or a sweep
    point `a-units-64` and the spec `a-units-64.json`)."""
    first, problems = {}, []
    for experiment in experiments:
        other = first.setdefault(experiment.id, experiment)
        if other is experiment:
            continue
        if other.file == experiment.file:
            found = "which another of its sweep's points also makes (values that read alike)"
            where = ("sweep",)
        else:
            found = f"which {display(other.file)} also makes; rename one of the specs"
            where = ("sweep",) if experiment.point else None
        problems.append(
            Problem(
                display(experiment.file),
                where,
                f"expected run ids of its own, received {experiment.id!r}, {found}",
            )
        )
    return problems


def load_study(
    folder: str | Path,
    ids: list[str] | None = None,
    cache: str | Path | None = None,
    budget: Budget = DEFAULT_BUDGET,
) -> dict[str, Experiment]:
    """Compile every experiment in `folder` (or just `ids`); one SpecError lists every problem.

    `cache` and `budget`: see compile_all.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise SpecError.one(str(folder), None, "expected a folder of spec files; none found")
    experiments, problems = compile_all([folder], cache, budget)
    if problems:
        raise SpecError(problems)
    runs = {experiment.id: experiment for experiment in experiments}
    if ids is None:
        return runs
    missing = [i for i in ids if i not in runs]
    if missing:
        raise SpecError.one(str(folder), None, f"no spec makes the runs {', '.join(missing)}")
    return {i: runs[i] for i in ids}


def what_differs(experiment: Experiment) -> dict:
    """What the page shows of a run beside its spec, recorded in run.json when it trains: the
    spec it extends, the fields it changes from it (as they were then), and its sweep."""
    parent = experiment.chain[1] if len(experiment.chain) > 1 else None
    changes = []
    if parent is not None:
        base = with_defaults(resolve(parent).data)
        for field, old, new in differences(base, experiment.spec):
            if experiment.variant and field in ("training.seed", "training.seeds"):
                continue  # one run of several seeds: its seed is its name, not a change
            if field.startswith("sweep"):
                continue  # the sweep's declaration; the point's own values are changes
            change = {"field": field}
            if old is not MISSING:
                change["base"] = old
            if new is not MISSING:
                change["variant"] = new
            changes.append(change)
    return {
        "sweep": experiment.spec_id if experiment.point else None,
        "base": str(parent) if parent else None,
        "changes": json.loads(json.dumps(changes)),
    }


def shown(experiment: Experiment) -> dict:
    """What the report prints of a spec beyond its trained meaning (digest): a change to any of
    these re-renders the report, and nothing else."""
    return {
        "digest": experiment.digest,
        "description": experiment.spec.get("description", ""),
        "resources": experiment.spec.get("resources", {}),
        "chain": [str(p) for p in experiment.chain],
    }
