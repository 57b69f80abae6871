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
        per = "per point" if runs[0].rung is None else "per point: its seeds at each rung"
        print(
            f"\nsweep: {plural(len(variants), 'point')}, {plural(len(runs), 'run')} "
            f"({len(runs) // len(variants)} {per}); {params[0]:,} to {params[-1]:,} "
            f"parameters per point; memory up to {memory} MB per job"
        )
        _print_halving(runs)
    elif len(runs) > 1:
        shown = ", ".join(f"{run.id} (digest {run.digest[:16]})" for run in runs)
        print(f"{len(runs)} runs, one per seed: {shown}")
    else:
        print(f"digest {first.digest[:16]}")
    if runs[0].halving:
        print(f"estimated training cost: {_halving_flops(runs)}")
        return 0
    flops = sum(training_flops(run) for run in runs)
    print(
        f"estimated training cost: {_flops(flops)} in all, {_flops(flops / len(runs))} per run "
        "(3 x forward FLOPs x training samples x epochs; early stopping can only cut it)"
    )
    return 0


def _halving_flops(runs) -> str:
    """A halving search's cost: at most its most epochs (and its confirmation's), each at the
    cost of an epoch of its largest point."""
    from netspec.halving import searches
    from netspec.spec.sweep import promoted as _promoted

    (search,) = searches({run.id: run for run in runs}).values()
    per_epoch = max(training_flops(run) / run.spec["training"]["epochs"] for run in runs)
    epochs = search.most_epochs()
    if search.confirm:
        last = len(search.points)
        for _ in search.epochs[1:]:
            last = _promoted(last, search.eta)
        epochs += last * len(next(iter(search.confirm.values()))) * search.epochs[-1]
    return (
        f"at most {_flops(per_epoch * epochs)} ({epochs:,} epochs at most, each at most "
        f"{_flops(per_epoch)}: the largest point's; 3 x forward FLOPs x training samples)"
    )


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
    _print_halving([run for variant in variants for run in expand(variant)])


def _print_halving(runs) -> None:
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


def init(args: argparse.Namespace) -> int:
    from netspec.init import init_study

    try:
        written = init_study(args.dir, args.title)
    except FileExistsError as error:
        print(f"netspec: {error}", file=sys.stderr)
        return 1
    print(
        f"wrote a study in {args.dir}/ ({plural(len(written), 'file')}): specs/, config/, profiles/"
    )
    print(f"run it:  cd {args.dir} && snakemake --cores 4")
    print("then:    netspec results   (and outputs/report/index.html)")
    return 0


def results(args: argparse.Namespace) -> int:
    from netspec.layout import read_study_record
    from netspec.results.leaderboard import finished_study, leaderboard, render

    if not Path(args.outputs).is_dir():
        print(f"netspec: no outputs folder {args.outputs} (run snakemake first)", file=sys.stderr)
        return 1
    record = read_study_record(args.outputs) or {}
    # the study's runs now, as on its page (not runs of removed specs)
    study = finished_study(
        args.outputs, _current_runs(args.outputs), record.get("config", {}).get("verdict", {})
    )
    if not study.runs:
        print(f"netspec: no finished runs in {args.outputs} yet", file=sys.stderr)
        return 1
    sys.stdout.write(render(leaderboard(study, args.by, args.sort), args.format, args.wide))
    if args.format == "table":
        print(_verdict_lines(study))
    return 0


def _verdict_lines(study) -> str:
    """The study page's verdict in two lines: its top group, and the seeds a difference needs."""
    import textwrap

    from netspec.results.answer import terminal_line
    from netspec.results.leaderboard import WIDTH

    found = study.verdict
    text = terminal_line(found.group, len(found.ranking))
    smallest = 100 * found.smallest
    size = f"{smallest:g} point{'' if smallest == 1 else 's'}"
    if found.against_best and found.seeds_needed is not None:
        text += f" (To find {size}: about {found.seeds_needed} seeds per variant.)"
    elif found.against_best and all(c.seeds >= 2 for c in found.against_best):
        text += f" (To find a difference of {size}: more test images than this study has.)"
    return "\n".join(textwrap.wrap(text, WIDTH))


def _current_runs(outputs: str) -> set[str] | None:
    """The runs the specs of the study that wrote `outputs` make now, or None when the folder
    records no study (an older netspec) or its specs do not compile today."""
    from netspec.layout import recorded_specs
    from netspec.spec.study import load_study

    specs = recorded_specs(outputs)
    if specs is None:
        return None
    try:
        return set(load_study(specs))
    except SpecError as error:
        print(
            f"netspec: {specs} does not compile now ({error.problems[0]}); showing every "
            f"finished run in {outputs}",
            file=sys.stderr,
        )
        return None


def study_specs(outputs: str, given: str | None) -> Path:
    """The specs folder of the study in `outputs`: as given, else the one its study record
    names (the workflow writes OUTPUTS/study.json), else ./specs."""
    from netspec.layout import STUDY_RECORD, recorded_specs

    if given is not None:
        return Path(given)
    recorded = recorded_specs(outputs)
    if recorded is not None:
        return recorded
    if Path(outputs, STUDY_RECORD).exists():
        raise SpecError.one(
            str(Path(outputs, STUDY_RECORD)),
            ["specs"],
            "expected the specs folder of the study that wrote these outputs; it is gone "
            "(name one with --specs)",
        )
    return Path("specs")


def tensorboard(args: argparse.Namespace) -> int:
    """TensorBoard on one study's runs: OUTPUTS/tensorboard/ holds a link to each run's event
    files (the runs OUTPUTS/study.json names), so a study whose outputs folder holds another's
    (outputs/ holds outputs/digits_sweep/) stays apart."""
    import shlex
    import shutil

    from netspec.layout import read_study_record

    outputs = Path(args.outputs)
    record = read_study_record(outputs)
    runs = (
        record["runs"] if record else sorted(p.parent.name for p in outputs.glob("*/tensorboard"))
    )
    board = outputs / "tensorboard"
    found = [run for run in runs if (outputs / run / "tensorboard").is_dir()]
    if not found:
        print(f"netspec: no run in {outputs} has TensorBoard files yet", file=sys.stderr)
        return 1
    if board.is_symlink() or (board.exists() and not board.is_dir()):
        print(f"netspec: {board} is not a folder netspec made; remove it", file=sys.stderr)
        return 1
    board.mkdir(exist_ok=True)
    for link in board.iterdir():  # only links netspec made: a run gone from the study leaves
        if link.is_symlink():
            link.unlink()
    for run in found:
        (board / run).symlink_to(Path("..") / run / "tensorboard", target_is_directory=True)
    command = ["tensorboard", "--logdir", str(board), *args.tensorboard_args]
    if args.print:
        print(shlex.join(command))
        return 0
    if shutil.which("tensorboard") is None:
        print("netspec: no tensorboard command on PATH (pip install tensorboard)", file=sys.stderr)
        return 1
    os.execvp(command[0], command)


def status(args: argparse.Namespace) -> int:
    from netspec.spec.study import load_study
    from netspec.status import study_status

    specs = study_specs(args.outputs, args.specs)
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
    order = ("done", "stale", "new", "failed", "running", "pruned", "removed")
    summary = ", ".join(f"{counts[s]} {s}" for s in order if s in counts)
    print(f"{plural(len(found), 'run')}: {summary or 'none'}")
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


def parser() -> argparse.ArgumentParser:
    from netspec import __version__

    root = argparse.ArgumentParser(prog="netspec", description=__doc__)
    root.add_argument("--version", action="version", version=f"netspec {__version__}")
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = commands.add_parser(
        "init", help="start a study in a new folder: specs, config, profiles, a Snakefile"
    )
    p.add_argument("dir", help="the new study's folder (absent or empty)")
    p.add_argument("--title", help="the study page's title (default: the folder's name)")
    p.set_defaults(run=init)
    p = commands.add_parser("validate", help="check spec files or folders; list every problem")
    p.add_argument(
        "paths", nargs="*", default=["specs"], type=Path, help="spec files or folders (specs)"
    )
    p.set_defaults(run=validate)
    p = commands.add_parser("show", help="a spec resolved: its layers, size, cost and runs")
    p.add_argument("spec", type=spec_path, help="a spec file, or a spec's id in specs/")
    p.set_defaults(run=show)
    p = commands.add_parser(
        "expand", help="the variants specs make (a sweep's points) and what each sets"
    )
    p.add_argument("spec", nargs="+", type=spec_path, help="spec files, or specs' ids in specs/")
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
    p.add_argument(
        "--wide",
        action="store_true",
        help="every varying spec field, however wide (default: fit 100 columns)",
    )
    p.set_defaults(run=results)
    p = commands.add_parser(
        "status", help="every run as done, stale (and what changed), new, running or failed"
    )
    p.add_argument("outputs", nargs="?", default="outputs", help="the outputs folder (outputs)")
    p.add_argument(
        "--specs", help="the specs folder (default: the one OUTPUTS/study.json names, else ./specs)"
    )
    p.add_argument("--all", action="store_true", help="list the done runs too")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output (text)")
    p.set_defaults(run=status)
    p = commands.add_parser(
        "tensorboard", help="TensorBoard on one study's runs (not every study under a folder)"
    )
    p.add_argument("outputs", nargs="?", default="outputs", help="the outputs folder (outputs)")
    p.add_argument("--print", action="store_true", help="print the command instead of running it")
    p.add_argument(
        "tensorboard_args",
        nargs="*",
        metavar="-- ARG",
        help="after --, passed on to tensorboard (netspec tensorboard -- --port 6007)",
    )
    p.set_defaults(run=tensorboard)
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
