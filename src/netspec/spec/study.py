"""A study: every experiment in a specs folder, compiled at once, and what the report says of each."""

from __future__ import annotations

import json
from pathlib import Path

from netspec.errors import SpecError
from netspec.spec.compile import Experiment, compile_all, spec_files
from netspec.spec.diff import MISSING, differences
from netspec.spec.loading import resolve
from netspec.spec.validation import with_defaults


def load_study(
    folder: str | Path, ids: list[str] | None = None, cache: str | Path | None = None
) -> dict[str, Experiment]:
    """Compile every experiment in `folder` (or just `ids`); one SpecError lists every problem.

    `cache`: see compile_all.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise SpecError.one(str(folder), None, "expected a folder of spec files; none found")
    paths = spec_files([folder]) if ids is None else [folder / f"{i}.json" for i in ids]
    experiments, problems = compile_all(paths, cache)
    if problems:
        raise SpecError(problems)
    return {experiment.id: experiment for experiment in experiments}


def describe(experiment: Experiment) -> dict:
    """What the report shows about one experiment before it trains (JSON-serialisable)."""
    parent = experiment.chain[1] if len(experiment.chain) > 1 else None
    changes = []
    if parent is not None:
        base = with_defaults(resolve(parent).data)
        for field, old, new in differences(base, experiment.spec):
            change = {"field": field}
            if old is not MISSING:
                change["base"] = old
            if new is not MISSING:
                change["variant"] = new
            changes.append(change)
    return {
        "id": experiment.id,
        "file": str(experiment.file),
        "description": experiment.spec.get("description", ""),
        "base": str(parent) if parent else None,
        "changes": changes,
        "dataset": experiment.dataset.name,
        "params": experiment.summary.params,
        "flops_per_sample": experiment.summary.flops,
        "digest": experiment.digest,
        "spec": json.loads(json.dumps(experiment.spec)),
    }


def shown(experiment: Experiment) -> list:
    """What the report prints of a spec beyond its trained meaning (digest): a change to any of
    these re-renders the report, and nothing else."""
    return [
        experiment.digest,
        experiment.spec.get("description", ""),
        experiment.spec.get("resources", {}),
        [str(p) for p in experiment.chain],
    ]
