"""The `netspec` command: validate specs, show what a spec compiles to, start a new variant."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from netspec.errors import SpecError
from netspec.spec.compile import ID_PATTERN, compile_spec, expand, is_base, spec_files
from netspec.spec.inference import table
from netspec.spec.loading import resolve
from netspec.spec.resources import estimate_mem_mb
from netspec.spec.study import compile_all


def validate(args: argparse.Namespace) -> int:
    files, _ = spec_files(args.paths)
    experiments, problems = compile_all(args.paths)
    if not files and not problems:
        print(f"netspec: no spec files under {' '.join(map(str, args.paths))}", file=sys.stderr)
        return 1
    for problem in problems:
        print(problem, file=sys.stderr)
    valid = len({experiment.variant_id for experiment in experiments})
    valid += sum(1 for path in files if is_base(path)) if not problems else 0
    if problems:
        print(
            f"{valid} valid, {len(files) - valid} invalid ({len(problems)} problems)",
            file=sys.stderr,
        )
        return 1
    print(f"{len(files)} specs valid")
    return 0


def show(args: argparse.Namespace) -> int:
    experiment = compile_spec(args.spec)
    print(f"# {experiment.id}  ({' <- '.join(map(str, experiment.chain))})")
    print(json.dumps(experiment.spec, indent=2))
    print(
        f"\ndataset {experiment.dataset.name}: input {experiment.dataset.input_shape}, "
        f"{experiment.dataset.num_classes} classes"
    )
    print(table(experiment.summary))
    own = experiment.spec.get("resources", {})
    print(
        f"resources: {json.dumps(own) if own else 'config defaults'}; estimated memory "
        f"{estimate_mem_mb(experiment)} MB (the default mem_mb of its training job)"
    )
    runs = expand(experiment)
    if len(runs) > 1:
        shown = ", ".join(f"{run.id} (digest {run.digest[:16]})" for run in runs)
        print(f"{len(runs)} runs, one per seed: {shown}")
    else:
        print(f"digest {experiment.digest[:16]}")
    return 0


def new(args: argparse.Namespace) -> int:
    parent = Path(args.from_spec)
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
        "$schema": os.path.relpath(_schema_path(), folder),
        "description": args.description or f"Variant of {parent.stem}",
        "extends": os.path.relpath(parent, folder),
    }
    folder.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(body, indent=2) + "\n")
    print(f"wrote {target}; add the fields that differ from {parent}")
    return 0


def schema(args: argparse.Namespace) -> int:
    from netspec.spec.schema import schema_text

    sys.stdout.write(schema_text())
    return 0


def _schema_path() -> Path:
    from importlib import resources

    return Path(str(resources.files("netspec").joinpath("schemas/spec.schema.json"))).resolve()


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="netspec", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    p = commands.add_parser("validate", help="check spec files or folders; list every problem")
    p.add_argument("paths", nargs="*", default=["specs"], type=Path)
    p.set_defaults(run=validate)
    p = commands.add_parser("show", help="the resolved spec and its layer table")
    p.add_argument("spec", type=Path)
    p.set_defaults(run=show)
    p = commands.add_parser("new", help="write a new spec that extends another")
    p.add_argument("name", help="experiment id: the new file's stem")
    p.add_argument("--from", dest="from_spec", required=True, help="the spec to extend")
    p.add_argument("--dir", help="folder for the new spec (default: the parent's folder)")
    p.add_argument("--description", help="what the new variant changes")
    p.set_defaults(run=new)
    p = commands.add_parser(
        "schema",
        help="print the spec JSON Schema generated from netspec's declarations "
        "(netspec schema > schemas/spec.schema.json)",
    )
    p.set_defaults(run=schema)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except SpecError as error:
        print(error, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
