"""`netspec validate`, `expand`, `new` and `schema`: the commands on spec files."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from netspec.errors import SpecError, plural
from netspec.spec.compile import compile_variants
from netspec.spec.discovery import spec_files
from netspec.spec.experiment import ID_PATTERN, expand, is_base
from netspec.spec.loading import resolve
from netspec.spec.study import compile_all
from netspec.text import aligned


def validate(args: argparse.Namespace) -> int:
    files, _ = spec_files(args.paths)
    experiments, problems = compile_all(args.paths)
    if not files and not problems:
        print(f"netspec: no spec files under {' '.join(map(str, args.paths))}", file=sys.stderr)
        return 1
    for problem in problems:
        print(problem, file=sys.stderr)
    valid = len({experiment.file for experiment in experiments})
    valid += sum(1 for path in files if is_base(path)) if not problems else 0
    if problems:
        print(
            f"{valid:,} valid, {len(files) - valid:,} invalid ({plural(len(problems), 'problem')})",
            file=sys.stderr,
        )
        return 1
    variants = len({experiment.variant_id for experiment in experiments})
    counts = f"{plural(len(files), 'spec')} valid"
    if len(experiments) != len(files):
        counts += f": {plural(variants, 'variant')}, {plural(len(experiments), 'run')}"
    print(counts)
    return 0


def expand_command(args: argparse.Namespace) -> int:
    """Each spec's variants; every file is compiled first, so one round lists every problem."""
    compiled, problems = {}, []
    for path in args.spec:
        try:
            compiled[path] = compile_variants(path)
        except SpecError as error:
            problems += error.problems
    if problems:
        raise SpecError(problems)
    if args.format == "json":
        rows = [
            {"spec": str(path), "id": v.id, "sets": v.point, "runs": _runs(v), "digest": v.digest}
            for path, variants in compiled.items()
            for v in variants
        ]
        if len(args.spec) == 1:  # one spec: its rows as before, without the spec's name
            rows = [{k: v for k, v in row.items() if k != "spec"} for row in rows]
        print(json.dumps(rows, indent=2))
        return 0
    for number, (path, variants) in enumerate(compiled.items()):
        if len(compiled) > 1:
            print(f"{'' if number == 0 else chr(10)}# {path}")
        _print_variants(variants)
    return 0


def _runs(variant) -> list[str]:
    return [run.id for run in expand(variant)]


def _print_variants(variants) -> None:
    paths = list(variants[0].point)
    noun = "point" if paths else "variant"
    header = [noun, *paths, "runs"]
    rows = [[v.id, *(json.dumps(v.point[p]) for p in paths), str(len(_runs(v)))] for v in variants]
    print(aligned(header, rows))
    total = sum(len(_runs(v)) for v in variants)
    print(f"{plural(len(variants), noun)}, {plural(total, 'run')}")
    print_halving([run for variant in variants for run in expand(variant)])


def print_halving(runs) -> None:
    """A halving sweep's rungs and the most epochs it can spend (nothing for other sweeps)."""
    from netspec.halving import plan_text, searches

    for search in searches({run.id: run for run in runs}).values():
        print(plan_text(search))


def new(args: argparse.Namespace) -> int:
    parent = args.from_spec
    resolve(parent)  # the parent must exist and parse; a base may be incomplete on its own
    folder = Path(args.dir) if args.dir else parent.parent
    target = folder / f"{args.name}.json"
    if not ID_PATTERN.fullmatch(args.name):
        print(
            f"netspec: expected a name matching {ID_PATTERN.pattern}, received {args.name!r}",
            file=sys.stderr,
        )
        return 1
    if target.exists():
        print(f"netspec: {target} already exists; choose another name", file=sys.stderr)
        return 1

    body = {
        "$schema": os.path.relpath(_study_schema(folder) or _schema_path(), folder),
        "description": args.description or f"Variant of {parent.stem}",
        "extends": os.path.relpath(parent, folder),
    }
    folder.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(body, indent=2) + "\n")
    print(f"wrote {target}; add the fields that differ from {parent}")
    return 0


def schema(args: argparse.Namespace) -> int:
    from netspec.spec.schema import schema_text
    from netspec.spec.validation import checked_schema

    checked_schema()  # a keyword validation cannot explain is refused here too
    sys.stdout.write(schema_text())
    return 0


def _study_schema(folder: Path) -> Path | None:
    """The study's own copy of the spec schema (schemas/spec.schema.json, which netspec init
    writes), in the folder or one above it: a path that survives a clone, unlike the package's."""
    for parent in [folder.resolve(), *folder.resolve().parents][:3]:
        candidate = parent / "schemas" / "spec.schema.json"
        if candidate.is_file():
            return candidate
    return None


def _schema_path() -> Path:
    from importlib import resources

    return Path(str(resources.files("netspec").joinpath("schemas/spec.schema.json"))).resolve()
