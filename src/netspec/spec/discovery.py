"""Finding the spec files of a study: a folder's experiments, files named explicitly, and bases
checked as far as they go."""

from __future__ import annotations

from pathlib import Path

from netspec.errors import Problem, SpecError
from netspec.spec.compile import compile_variants
from netspec.spec.experiment import is_base
from netspec.spec.loading import display, resolve
from netspec.spec.validation import schema_problems


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
            compile_variants(path, base=True)
        except SpecError as error:
            return error.problems
        return []
    return [
        problem
        for problem in schema_problems(resolved.data, resolved.origin)
        if not (len(problem.path or ()) == 1 and problem.message.startswith("missing required"))
    ]
