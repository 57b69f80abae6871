"""Compiling a spec, pure and TF-free: load -> resolve -> validate -> lower -> infer.

`compile_variants(path)` returns the `Experiment`s a spec file declares (itself, or each point of
its sweep), `compile_spec(path)` the one of a plain spec, `compile_run(path, run)` one run
(compiling only its own sweep point); each raises one SpecError listing every problem found.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import os
from pathlib import Path

from netspec.data.kinds import DatasetInfo, DataSource
from netspec.errors import Problem, SpecError
from netspec.spec import sweep
from netspec.spec.axes import SweepErrors
from netspec.spec.blame import sweep_problems
from netspec.spec.checks import CHECKS, Context, output_matches
from netspec.spec.defaults import defaults_of, with_defaults
from netspec.spec.experiment import ID_PATTERN, Experiment, expand, experiment_id
from netspec.spec.inference import infer
from netspec.spec.loading import PROSE, Resolved, display, resolve
from netspec.spec.templates import lower
from netspec.spec.validation import schema_problems, section_problems


def compile_spec(path: Path | str, base: bool = False) -> Experiment:
    """Load, resolve, validate, lower and shape-check one spec file (`base`: a parent spec,
    whose name need not be an experiment id). A sweep's file is many variants: compile_variants."""
    variants = compile_variants(path, base)
    if len(variants) != 1 or variants[0].point:
        raise SpecError.one(
            display(Path(path)),
            ("sweep",),
            f"is a sweep of {len(variants)} points, not one experiment (netspec expand lists them)",
        )
    return variants[0]


def compile_variants(path: Path | str, base: bool = False) -> list[Experiment]:
    """The variants a spec file declares, each validated like a spec of its own: the spec itself,
    or each point of its sweep. One SpecError lists every problem of every point."""
    path = Path(path)
    problems = [] if base else _name_problems(path)
    resolved = resolve(path)
    if "sweep" not in resolved.data:
        return [_compile(path, resolved, problems)]
    found, declared_problems = _sweep_points(path, resolved)
    experiments, failures = [], []
    for point in found:  # with mistakes in the declaration too: every problem is said at once
        try:
            experiments.append(_compile_point(path, resolved, point, problems))
        except SpecError as error:
            failures.append((point, error.problems))
    if failures or declared_problems:
        declared = resolved.data["sweep"]
        found_problems = sweep_problems(path, declared, failures, len(found))
        raise SpecError(problems + declared_problems + found_problems)
    return experiments


def plan_sweep(path: Path, resolved: Resolved) -> list[sweep.Point]:
    """A sweep's points, cheap (nothing compiled); SpecError for mistakes in the sweep itself."""
    found, problems = _sweep_points(path, resolved)
    if problems:
        raise SpecError(problems)
    return found


def _sweep_points(path: Path, resolved: Resolved) -> tuple[list[sweep.Point], list[Problem]]:
    """The points, and the mistakes of the sweep's declaration; with mistakes, the points over
    its sound entries (or none, where its structure is wrong)."""
    declared = resolved.data["sweep"]
    problems = section_problems("sweep", declared, resolved.origin)
    if isinstance(declared, dict):  # one round: with the sweep's other mistakes
        problems += _reused_seeds(path, resolved.data, declared.get("halving") or {})
    if problems:
        return [], problems
    try:
        return sweep.points(experiment_id(path), declared), []
    except SweepErrors as error:
        blamed = [Problem(display(path), p.where, p.message) for p in error.problems]
        return error.partial, blamed


def _compile_point(path: Path, resolved: Resolved, point: sweep.Point, problems=()) -> Experiment:
    data, wrong_paths = sweep.apply(resolved.data, point)
    swept = Resolved(resolved.file, data, resolved.sources)
    blamed = [Problem(display(path), p.where, p.message) for p in wrong_paths]
    halving = resolved.data["sweep"].get("halving") or {}
    experiment = _compile(path, swept, list(problems) + blamed)  # raises with `blamed` too
    if blamed:
        raise SpecError(blamed)
    return dataclasses.replace(experiment, id=point.id, point=point.values, halving=halving)


def _reused_seeds(path: Path, data: dict, halving: dict) -> list[Problem]:
    """A confirmation seed (sweep.halving.confirm) that is also a training seed: the problem."""
    training = data.get("training") if isinstance(data.get("training"), dict) else {}
    seeds = training.get("seeds") or [training.get("seed", 0)]
    confirm = halving.get("confirm") if isinstance(halving, dict) else None
    if not isinstance(seeds, list) or not isinstance(confirm, list):
        return []
    again = sorted(
        {s for s in confirm if isinstance(s, int)} & {s for s in seeds if isinstance(s, int)}
    )
    if not again:
        return []
    return [
        Problem(
            display(path),
            ("sweep", "halving", "confirm"),
            f"expected fresh seeds, none of training.seeds {seeds}; received {again} again",
        )
    ]


def _name_problems(path: Path) -> list[Problem]:
    if ID_PATTERN.fullmatch(experiment_id(path)):
        return []
    return [
        Problem(
            display(path),
            None,
            f"expected a file name (the experiment id) matching {ID_PATTERN.pattern}, "
            f"received {experiment_id(path)!r}",
        )
    ]


def _compile(path: Path, resolved: Resolved, problems: list[Problem]) -> Experiment:
    """Validate, lower and shape-check a resolved spec; SpecError lists `problems` and its own."""
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
    if "model" in bad:  # its shape problems are said too, where its layers can still be read
        problems += _shape_without(resolved, schema, dataset)
        raise SpecError(problems)
    layers, summary, shape_problems = _shape(spec, dataset, resolved)
    problems += shape_problems
    model_path = ("model", "layers") if "layers" in spec["model"] else ("model",)
    if summary is not None and "layers" in spec["model"]:
        problems += output_matches(context, summary, layers, resolved.origin(model_path))
    if problems:
        raise SpecError(problems)
    spec = {k: v for k, v in spec.items() if k not in PROSE or k == "description"}
    return Experiment(experiment_id(path), path, spec, layers, dataset, summary, resolved.chain)


def _shape(spec: dict, dataset: DatasetInfo, resolved: Resolved):
    """(layers, summary, problems): the model lowered to layers and its shapes inferred."""
    layers = [complete(layer) for layer in lower(spec["model"], dataset.num_classes)]
    model_path = ("model", "layers") if "layers" in spec["model"] else ("model",)
    summary, problems = infer(
        layers,
        dataset.input_shape,
        dataset.name,
        resolved.origin(model_path),
        lambda index: (*model_path, index) if len(model_path) == 2 else model_path,
    )
    return layers, summary, problems


def _shape_without(resolved: Resolved, schema: list[Problem], dataset: DatasetInfo) -> list:
    """The shape problems of the model with the values the schema refused left out (so at their
    defaults): one round of errors says both. None where the model is still invalid then (a
    wrong type of the whole section, a refused value that nothing can replace)."""
    model = resolved.data.get("model")
    refused = [p.path[1:] for p in schema if p.path and p.path[0] == "model"]
    if not isinstance(model, dict) or not refused or any(not path for path in refused):
        return []
    model = copy.deepcopy(model)
    for path in refused:
        holder = model
        for part in path[:-1]:
            holder = holder[part] if isinstance(holder, dict | list) else None
        with contextlib.suppress(KeyError, IndexError, TypeError):
            del holder[path[-1]]
    data = {**resolved.data, "model": model}
    if any(p.path and p.path[0] == "model" for p in schema_problems(data, resolved.origin)):
        return []
    stripped = Resolved(resolved.file, data, resolved.sources)
    spec = with_defaults(data)
    found = _shape(spec, dataset, stripped)[2]
    note = " (checked without the values the schema refused)"
    return [dataclasses.replace(p, message=p.message + note) for p in found]


def complete(layer: dict) -> dict:
    """An IR layer with its type's declared defaults under what it sets."""
    return {"type": layer["type"], **defaults_of(layer["type"]), **layer}


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
    source = DataSource.of(spec["data"]["dataset"])
    if source.name is not None:
        return source.kind.info
    from netspec.data.readers import npz_info  # numpy, for a user's npz file only

    return npz_info(source.npz, source.num_classes, resolved.origin(where), where)


def compile_run(path: Path | str, run: str | None = None) -> Experiment:
    """One run of a spec file, compiling only its own sweep point (a training job's view of a
    sweep of thousands); `run` may be left out for a spec of one run."""
    path = Path(path)
    name = display(path)
    resolved = resolve(path)
    if "sweep" in resolved.data:
        found = plan_sweep(path, resolved)
        chosen = [p for p in found if run is not None and sweep.of_point(run, p.id)]
        variants = [_compile_point(path, resolved, point) for point in chosen]
        if not variants:
            raise SpecError.one(
                name, None, f"makes no run {run!r}; `netspec expand {name}` lists its points"
            )
    else:
        variants = [_compile(path, resolved, _name_problems(path))]
    runs = {candidate.id: candidate for variant in variants for candidate in expand(variant)}
    if run is None and len(runs) > 1:
        raise SpecError.one(name, None, f"name the run to train with --run: {', '.join(runs)}")
    experiment = runs.get(run) if run is not None else next(iter(runs.values()))
    if experiment is None:
        raise SpecError.one(name, None, f"makes no run {run!r}; it makes {', '.join(runs)}")
    return experiment


def declared(path: Path | str, run: str | None, field: tuple[str, ...], default=None):
    """What `run` of the spec at `path` declares at `field` (its `extends` chain and its sweep
    point applied), read without validating or compiling anything: a hint, where a whole
    compile would cost more than the answer is worth (a thin client choosing its shared
    worker). `default` where the spec does not say, or cannot be read that far; the run's
    compile is the truth, and whoever acts on the hint checks it there."""
    try:
        data = resolve(Path(path)).data
        if "sweep" in data and run is not None:
            chosen = [
                point
                for point in sweep.points(experiment_id(Path(path)), data["sweep"])
                if sweep.of_point(run, point.id)
            ]
            if chosen:
                data, _ = sweep.apply(data, chosen[0])
        for key in field:
            data = data[key]
    except (SpecError, SweepErrors, OSError, LookupError, TypeError, ValueError):
        return default
    return data
