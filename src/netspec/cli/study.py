"""`netspec init`, `results`, `status` and `tensorboard`: the commands on a study and its
outputs."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from netspec.errors import SpecError, plural


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
