"""The `netspec` command: check specs, show what a spec compiles to, list a sweep's points, start
a new variant; a study's leaderboard and the state of its runs."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from netspec.cli.show import show
from netspec.cli.specs import expand_command, new, schema, validate
from netspec.cli.study import init, results, status, tensorboard
from netspec.errors import SpecError


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
