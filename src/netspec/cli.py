"""The `netspec` command: validate specs, show what a spec compiles to, list a sweep's points,
start a new variant."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from netspec.errors import SpecError
from netspec.spec.compile import compile_variants
from netspec.spec.discovery import spec_files
from netspec.spec.experiment import ID_PATTERN, expand, is_base
from netspec.spec.inference import table
from netspec.spec.loading import resolve
from netspec.spec.resources import estimate_mem_mb, training_flops
from netspec.spec.study import compile_all
from netspec.spec.validation import with_defaults


def plural(count: int, noun: str) -> str:
    """'1 spec', '2 specs', '1,000 runs'."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


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


def show(args: argparse.Namespace) -> int:
    variants = compile_variants(args.spec)
    first = variants[0]
    chain = " <- ".join(map(str, first.chain))
    if first.point:
        print(f"# {first.spec_id}: a sweep of {plural(len(variants), 'point')}  ({chain})")
        print(json.dumps(with_defaults(resolve(args.spec).data)["sweep"], indent=2))
        print(f"\n## its first point, {first.id}")
    else:
        print(f"# {first.id}  ({chain})")
    print(json.dumps(first.spec, indent=2))
    print(
        f"\ndataset {first.dataset.name}: input {first.dataset.input_shape}, "
        f"{first.dataset.num_classes} classes"
    )
    print(table(first.summary))
    own = first.spec.get("resources", {})
    print(
        f"resources: {json.dumps(own) if own else 'config defaults'}; estimated memory "
        f"{estimate_mem_mb(first)} MB (the default mem_mb of its training job)"
    )
    runs = [run for variant in variants for run in expand(variant)]
    if first.point:
        params = sorted(variant.summary.params for variant in variants)
        memory = max(estimate_mem_mb(variant) for variant in variants)
        print(
            f"\nsweep: {plural(len(variants), 'point')}, {plural(len(runs), 'run')} "
            f"({len(runs) // len(variants)} per point); {params[0]:,} to {params[-1]:,} "
            f"parameters per point; memory up to {memory} MB per job"
        )
    elif len(runs) > 1:
        shown = ", ".join(f"{run.id} (digest {run.digest[:16]})" for run in runs)
        print(f"{len(runs)} runs, one per seed: {shown}")
    else:
        print(f"digest {first.digest[:16]}")
    flops = sum(training_flops(run) for run in runs)
    print(
        f"estimated training cost: {_flops(flops)} in all, {_flops(flops / len(runs))} per run "
        "(3 x forward FLOPs x training samples x epochs; early stopping can only cut it)"
    )
    return 0


def _flops(value: float) -> str:
    for unit, scale in (("PFLOP", 1e15), ("TFLOP", 1e12), ("GFLOP", 1e9), ("MFLOP", 1e6)):
        if value >= scale:
            return f"{value / scale:.3g} {unit}"
    return f"{value:.3g} FLOP"


def expand_command(args: argparse.Namespace) -> int:
    variants = compile_variants(args.spec)
    runs = {variant.id: [run.id for run in expand(variant)] for variant in variants}
    if args.format == "json":
        rows = [
            {"id": v.id, "sets": v.point, "runs": runs[v.id], "digest": v.digest} for v in variants
        ]
        print(json.dumps(rows, indent=2))
        return 0
    paths = list(variants[0].point)
    noun = "point" if paths else "variant"
    header = [noun, *paths, "runs"]
    rows = [
        [v.id, *(json.dumps(v.point[p]) for p in paths), str(len(runs[v.id]))] for v in variants
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    total = sum(map(len, runs.values()))
    print(f"{plural(len(variants), noun)}, {plural(total, 'run')}")
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
    p = commands.add_parser(
        "expand", help="the variants a spec makes (a sweep's points) and what each sets"
    )
    p.add_argument("spec", type=Path)
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(run=expand_command)
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
