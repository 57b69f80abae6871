"""The `netspec` command: check specs, show what a spec compiles to, list a sweep's points, start
a new variant; a study's leaderboard and the state of its runs."""

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
from netspec.spec.hardware import precision_note
from netspec.spec.inference import table
from netspec.spec.loading import resolve
from netspec.spec.resources import estimate_mem_mb, training_flops
from netspec.spec.study import compile_all
from netspec.spec.validation import with_defaults


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


def spec_path(text: str) -> Path:
    """A spec named as a path, or by its id alone (`cnn_dropout` -> specs/cnn_dropout.json)."""
    path = Path(text)
    if path.suffix != ".json" and not path.exists():
        for candidate in (Path("specs") / f"{text}.json", Path(f"{text}.json")):
            if candidate.is_file():
                return candidate
        raise argparse.ArgumentTypeError(
            f"no spec {text!r}: expected a spec file such as specs/{path.name}.json"
        )
    return path


def show(args: argparse.Namespace) -> int:
    if is_base(args.spec):
        return _show_base(args.spec)
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
    note = precision_note(first.spec["training"]["precision"])
    if note:
        print(f"precision {first.spec['training']['precision']}: {note}")
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


def _show_base(path: Path) -> int:
    """A base is not an experiment (nothing trains it): its resolved content, and whether what
    it says is valid."""
    from netspec.spec.discovery import check_base

    print(f"# {path}: a base (its name starts with '_'): specs extend it; it is not trained")
    print(json.dumps(resolve(path).data, indent=2))
    problems = check_base(path)
    for problem in problems:
        print(problem, file=sys.stderr)
    print("what it says is valid" if not problems else f"{plural(len(problems), 'problem')}")
    return 1 if problems else 0


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
        "$schema": os.path.relpath(_schema_path(), folder),
        "description": args.description or f"Variant of {parent.stem}",
        "extends": os.path.relpath(parent, folder),
    }
    folder.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(body, indent=2) + "\n")
    print(f"wrote {target}; add the fields that differ from {parent}")
    return 0


def results(args: argparse.Namespace) -> int:
    from netspec.results.leaderboard import finished_runs, leaderboard, render

    if not Path(args.outputs).is_dir():
        print(f"netspec: no outputs folder {args.outputs} (run snakemake first)", file=sys.stderr)
        return 1
    runs = finished_runs(args.outputs)
    if not runs:
        print(f"netspec: no finished runs in {args.outputs} yet", file=sys.stderr)
        return 1
    sys.stdout.write(render(leaderboard(runs, args.by, args.sort), args.format))
    return 0


def status(args: argparse.Namespace) -> int:
    from netspec.spec.study import load_study
    from netspec.status import study_status

    specs = args.specs
    if specs is None:  # the outputs' own study: its sibling specs folder, else ./specs
        sibling = Path(args.outputs).resolve().parent / "specs"
        specs = sibling if sibling.is_dir() else "specs"
    found = study_status(load_study(specs), args.outputs)
    if args.format == "json":
        rows = [{"run": s.run, "state": s.state, "changes": s.changes} for s in found]
        print(json.dumps(rows, indent=2))
        return 0
    width = max((len(s.run) for s in found), default=0)
    counts: dict[str, int] = {}
    for entry in found:
        counts[entry.state] = counts.get(entry.state, 0) + 1
        if entry.state != "done" or args.all:
            detail = f"  {'; '.join(entry.changes)}" if entry.changes else ""
            print(f"{entry.state:<8} {entry.run:<{width}}{detail}".rstrip())
    order = ("done", "stale", "new", "failed", "running", "removed")
    summary = ", ".join(f"{counts[s]} {s}" for s in order if s in counts)
    print(f"{plural(len(found), 'run')}: {summary or 'none'}")
    return 0


def schema(args: argparse.Namespace) -> int:
    from netspec.spec.schema import schema_text

    sys.stdout.write(schema_text())
    return 0


def _schema_path() -> Path:
    from importlib import resources

    return Path(str(resources.files("netspec").joinpath("schemas/spec.schema.json"))).resolve()


def parser() -> argparse.ArgumentParser:
    from netspec import __version__

    root = argparse.ArgumentParser(prog="netspec", description=__doc__)
    root.add_argument("--version", action="version", version=f"netspec {__version__}")
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = commands.add_parser("validate", help="check spec files or folders; list every problem")
    p.add_argument(
        "paths", nargs="*", default=["specs"], type=Path, help="spec files or folders (specs)"
    )
    p.set_defaults(run=validate)
    p = commands.add_parser("show", help="a spec resolved: its layers, size, cost and runs")
    p.add_argument("spec", type=spec_path, help="a spec file, or a spec's id in specs/")
    p.set_defaults(run=show)
    p = commands.add_parser(
        "expand", help="the variants a spec makes (a sweep's points) and what each sets"
    )
    p.add_argument("spec", type=spec_path, help="a spec file, or a spec's id in specs/")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output (text)")
    p.set_defaults(run=expand_command)
    p = commands.add_parser("new", help="write a new spec that extends another")
    p.add_argument("name", help="experiment id: the new file's stem")
    p.add_argument(
        "--from",
        dest="from_spec",
        required=True,
        type=spec_path,
        help="the spec to extend: a file, or a spec's id in specs/",
    )
    p.add_argument("--dir", help="folder for the new spec (default: the parent's folder)")
    p.add_argument("--description", help="what the new variant changes")
    p.set_defaults(run=new)
    p = commands.add_parser(
        "results", help="the leaderboard of a study's finished runs (works mid-study)"
    )
    p.add_argument("outputs", nargs="?", default="outputs", help="the outputs folder (outputs)")
    p.add_argument(
        "--format", choices=("table", "markdown", "csv", "json"), default="table", help="(table)"
    )
    p.add_argument(
        "--by",
        choices=("auto", "variant", "run"),
        default="auto",
        help="a row per variant (mean ± sd over its seeds) or per run; auto: per variant when "
        "some variant ran several seeds",
    )
    p.add_argument(
        "--sort",
        choices=("validation", "test", "name"),
        default="validation",
        help="rank by selected validation accuracy (how the study picks its winner), by test "
        "accuracy, or by name",
    )
    p.set_defaults(run=results)
    p = commands.add_parser(
        "status", help="every run as done, stale (and what changed), new, running or failed"
    )
    p.add_argument("outputs", nargs="?", default="outputs", help="the outputs folder (outputs)")
    p.add_argument(
        "--specs", help="the specs folder (default: the one beside OUTPUTS, else ./specs)"
    )
    p.add_argument("--all", action="store_true", help="list the done runs too")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output (text)")
    p.set_defaults(run=status)
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
    except BrokenPipeError:  # `netspec ... | head`: the reader has all it wanted
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the exit's own flush finds nowhere to fail
        return 0


if __name__ == "__main__":
    sys.exit(main())
