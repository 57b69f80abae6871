"""Compiling a spec, pure and TF-free: load -> resolve -> validate -> lower -> infer.

`compile_spec(path)` returns an `Experiment` (everything known about one variant before training)
or raises one SpecError listing every problem found.
"""

from __future__ import annotations

import dataclasses
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
from netspec.spec.inference import LayerSummary, Summary, infer
from netspec.spec.loading import PROSE, Resolved, display, resolve
from netspec.spec.optimizers import optimizer_args
from netspec.spec.templates import lower
from netspec.spec.validation import schema_problems, with_defaults

ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]*")
# Bump when the meaning of a canonical form changes (it is part of every training's identity).
CANONICAL_VERSION = 1


@dataclass(frozen=True)
class Experiment:
    """One validated run: its resolved spec, its IR, its data and its inferred shapes. A spec
    with `training.seeds` is a variant of several runs (`expand`), one per seed."""

    id: str
    file: Path
    spec: dict
    layers: list[dict]
    dataset: DatasetInfo
    summary: Summary
    chain: list[Path] = field(default_factory=list)  # the spec file, then its parents
    variant: str = ""  # the spec's id; runs of one variant differ only by their seed

    @property
    def variant_id(self) -> str:
        return self.variant or self.id

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
            # a run's own seed is its identity; the list of its siblings' seeds is not
            "training": {k: v for k, v in self.spec["training"].items() if k != "seeds"},
        }

    @cached_property
    def digest(self) -> str:
        text = json.dumps(self.canonical, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def to_json(self) -> dict:
        """Everything known about the experiment as plain JSON data (for the spec cache)."""
        return {
            "id": self.id,
            "file": str(self.file),
            "spec": self.spec,
            "layers": self.layers,
            "dataset": dataclasses.asdict(self.dataset),
            "summary": {
                "input_shape": list(self.summary.input_shape),
                "layers": [dataclasses.asdict(layer) for layer in self.summary.layers],
            },
            "chain": [str(path) for path in self.chain],
            "variant": self.variant,
            "digest": self.digest,
        }

    @classmethod
    def from_json(cls, data: dict) -> Experiment:
        info = data["dataset"]
        summary = data["summary"]
        experiment = cls(
            data["id"],
            Path(data["file"]),
            data["spec"],
            data["layers"],
            DatasetInfo(**{**info, "input_shape": tuple(info["input_shape"])}),
            Summary(
                tuple(summary["input_shape"]),
                tuple(
                    LayerSummary(**{**row, "output_shape": tuple(row["output_shape"])})
                    for row in summary["layers"]
                ),
            ),
            [Path(path) for path in data["chain"]],
            data["variant"],
        )
        experiment.__dict__["digest"] = data["digest"]  # the cached_property's own slot
        return experiment

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


def compile_spec(path: Path | str, base: bool = False) -> Experiment:
    """Load, resolve, validate, lower and shape-check one spec file (`base`: a parent spec,
    whose name need not be an experiment id)."""
    path = Path(path)
    name = display(path)
    problems = []
    if not base and not ID_PATTERN.fullmatch(experiment_id(path)):
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


def discover(folder: Path) -> tuple[list[Path], list[Problem]]:
    """The experiment files in a folder (`*.json` but bases), and problems with names that
    look like specs but would be skipped (`cnn.JSON`): nothing in a specs folder is ignored
    silently. Entries that are not regular files are kept: compiling them says what they are."""
    found, problems = [], []
    for entry in sorted(Path(folder).iterdir()):
        suffix = entry.suffix
        if suffix == ".json":
            if not is_base(entry):
                found.append(entry)
        elif suffix.lower() == ".json":
            problems.append(
                Problem(
                    display(entry),
                    None,
                    f"expected the extension .json in lower case, received {suffix!r}: rename "
                    "it, or move it out of the specs folder",
                )
            )
    return found, problems


def spec_files(paths: list[Path | str]) -> tuple[list[Path], list[Problem]]:
    """The spec files named by `paths`: files as given (bases too), folders' experiments."""
    found, problems = [], []
    for path in map(Path, paths):
        if path.is_dir():
            files, wrong = discover(path)
            found += files
            problems += wrong
        else:
            found.append(path)
    return found, problems


def check_base(path: Path) -> list[Problem]:
    """A base spec checked as far as it goes: it may leave out whole sections its children
    fill in, but what it does say must be valid."""
    try:
        resolved = resolve(path)
    except SpecError as error:
        return error.problems
    if {"data", "model"} <= set(resolved.data):
        try:
            compile_spec(path, base=True)
        except SpecError as error:
            return error.problems
        return []
    return [
        problem
        for problem in schema_problems(resolved.data, resolved.origin)
        if not (len(problem.path or ()) == 1 and problem.message.startswith("missing required"))
    ]


def expand(experiment: Experiment) -> list[Experiment]:
    """The runs of a compiled spec: one per seed of `training.seeds` (ids `SPEC-sSEED`, each
    with its own seed and digest), else the spec itself as its only run."""
    seeds = experiment.spec["training"].get("seeds")
    if not seeds:
        return [experiment]
    runs = []
    for seed in seeds:
        training = {**experiment.spec["training"], "seed": seed}
        del training["seeds"]
        spec = {**experiment.spec, "training": training}
        runs.append(
            dataclasses.replace(
                experiment, id=f"{experiment.id}-s{seed}", spec=spec, variant=experiment.id
            )
        )
    return runs
