"""Compiling a spec, pure and TF-free: load -> resolve -> validate -> lower -> infer.

`compile_spec(path)` returns an `Experiment` (everything known about one variant before training)
or raises one SpecError listing every problem found.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from netspec.data.kinds import DatasetInfo, DataSource
from netspec.errors import Problem, SpecError
from netspec.spec.checks import CHECKS, Context, output_matches
from netspec.spec.inference import Summary, infer
from netspec.spec.loading import PROSE, Resolved, display, resolve
from netspec.spec.optimizers import optimizer_args
from netspec.spec.speccache import SpecCache
from netspec.spec.templates import lower
from netspec.spec.validation import schema_problems, with_defaults

ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]*")
# Bump when the meaning of a canonical form changes (it is part of every training's identity).
CANONICAL_VERSION = 1


@dataclass(frozen=True)
class Experiment:
    """One validated variant: its resolved spec, its IR, its data and its inferred shapes."""

    id: str
    file: Path
    spec: dict
    layers: list[dict]
    dataset: DatasetInfo
    summary: Summary
    chain: list[Path] = field(default_factory=list)  # the spec file, then its parents

    @cached_property
    def canonical(self) -> dict:
        """What is trained, and nothing else: no prose, no resources, keys sorted when dumped."""
        return {
            "version": CANONICAL_VERSION,
            "data": self.spec["data"],
            "layers": self.layers,
            "optimizer": {
                "name": self.spec["optimizer"]["name"],
                **optimizer_args(self.spec["optimizer"]),
            },
            "training": self.spec["training"],
        }

    @cached_property
    def digest(self) -> str:
        text = json.dumps(self.canonical, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def source(self) -> DataSource:
        return DataSource.of(self.spec["data"]["dataset"])

    @property
    def dataset_key(self) -> str:
        """File-name-safe name of the prepared data this experiment reads."""
        return self.source.key


def experiment_id(path: Path) -> str:
    return Path(path).stem


def is_base(path: Path) -> bool:
    """Files whose name starts with '_' are parents for `extends`, not experiments."""
    return Path(path).name.startswith("_")


def compile_spec(path: Path | str) -> Experiment:
    """Load, resolve, validate, lower and shape-check one spec file."""
    path = Path(path)
    name = display(path)
    problems = []
    if not ID_PATTERN.fullmatch(experiment_id(path)):
        problems.append(
            Problem(
                name,
                None,
                (
                    f"expected a file name (the experiment id) matching {ID_PATTERN.pattern}, "
                    f"received {experiment_id(path)!r}"
                ),
            )
        )
    resolved = resolve(path)
    schema = schema_problems(resolved.data, resolved.origin)
    problems += schema
    # Sections with schema problems are not checked further; the others still are.
    bad = {p.path[0] if p.path else "*" for p in schema}
    spec = _anchor_paths(with_defaults(resolved.data), resolved) if "data" not in bad else None
    dataset = None
    if spec is not None and not bad & {"*"}:
        try:
            dataset = _dataset_info(spec, resolved)
        except SpecError as error:
            problems += error.problems
    if dataset is None:
        raise SpecError(problems)
    context = Context(spec, dataset, resolved.origin)
    for run_check, reads in CHECKS:
        if not reads & bad:
            problems += run_check(context)
    if "model" in bad:
        raise SpecError(problems)
    layers = lower(spec["model"], dataset.num_classes)
    model_path = ("model", "layers") if "layers" in spec["model"] else ("model",)
    summary, shape_problems = infer(
        layers,
        dataset.input_shape,
        dataset.name,
        resolved.origin(model_path),
        lambda index: (*model_path, index) if len(model_path) == 2 else model_path,
    )
    problems += shape_problems
    if summary is not None and "layers" in spec["model"]:
        problems += output_matches(context, summary, layers, resolved.origin(model_path))
    if problems:
        raise SpecError(problems)
    spec = {k: v for k, v in spec.items() if k not in PROSE or k == "description"}
    return Experiment(experiment_id(path), path, spec, layers, dataset, summary, resolved.chain)


def _anchor_paths(spec: dict, resolved: Resolved) -> dict:
    """An npz path is relative to the spec that wrote it; store it relative to the working dir."""
    source = DataSource.of(spec["data"]["dataset"])
    if source.npz is not None:
        writer = Path(resolved.origin(("data", "dataset", "npz")))
        anchored = os.path.normpath(os.path.join(writer.parent, source.npz))
        dataset = {**spec["data"]["dataset"], "npz": anchored}
        spec = {**spec, "data": {**spec["data"], "dataset": dataset}}
    return spec


def _dataset_info(spec: dict, resolved: Resolved) -> DatasetInfo:
    where = ("data", "dataset", "npz")
    return DataSource.of(spec["data"]["dataset"]).info(resolved.origin(where), where)


def spec_files(paths: list[Path | str]) -> list[Path]:
    """The experiment files named by `paths`: files as given, folders' *.json minus bases."""
    found = []
    for path in map(Path, paths):
        if path.is_dir():
            found += sorted(p for p in path.glob("*.json") if not is_base(p))
        else:
            found.append(path)
    return found


def compile_all(
    paths: list[Path | str], cache: str | Path | None = None
) -> tuple[list[Experiment], list[Problem]]:
    """Every experiment under `paths`, and every problem of those that failed.

    `cache` names a file of compiled specs keyed by content (netspec.spec.speccache): a spec whose
    files are unchanged since the last call is not compiled again.
    """
    store = SpecCache(cache)
    experiments, problems = [], []
    for path in spec_files(paths):
        key, experiment = store.get(path)
        if experiment is None:
            try:
                experiment = compile_spec(path)
            except SpecError as error:
                problems += error.problems
                continue
            store.put(key, experiment)
        experiments.append(experiment)
    store.save()
    return experiments, problems
