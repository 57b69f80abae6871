"""`netspec results`: the study's leaderboard in the terminal, from the runs' own files (no
report needed, so it works mid-study): variants over their seeds, or runs."""

from __future__ import annotations

import csv
import io
import json
import textwrap
from pathlib import Path

from netspec import layout
from netspec.halving import decisions_in, pruned
from netspec.results.answer import terminal_line
from netspec.results.scores import SCORES as DECLARED
from netspec.results.scores import extra
from netspec.results.study import Run, StudyResults
from netspec.results.table import status, varying_fields
from netspec.spec.diff import flatten
from netspec.text import aligned

SORTS = ("validation", "test", "name")


def finished_study(
    outputs: str | Path, keep: set[str] | None = None, verdict: dict | None = None
) -> StudyResults:
    """The study's results object from every run folder under `outputs` that has both
    metrics.json and run.json (only the runs in `keep`, when given)."""
    found = [
        Run(folder.name, folder)
        for folder in sorted(Path(outputs).iterdir())
        if folder.is_dir()
        and (folder / layout.METRICS).is_file()
        and (folder / layout.RUN).is_file()
        and (keep is None or folder.name in keep)
    ]
    # a halving run at the last rung the decisions take its point to (the earlier rungs are
    # the way there; later ones, trained before the search changed, have left it), and the
    # confirmation runs of the points that were not pruned
    decisions = tuple(decisions_in(outputs))
    cut = pruned(decisions)
    furthest: dict[str, Run] = {}
    for run in found:
        lineage, rung, point = run.info["run"], run.info["rung"] or 0, run.info["variant"]
        if point in cut and (run.info["confirmation"] or rung > cut[point]):
            continue
        if lineage not in furthest or rung > (furthest[lineage].info["rung"] or 0):
            furthest[lineage] = run
    runs = tuple(sorted(furthest.values(), key=lambda run: run.id))
    return StudyResults("", runs, verdict_settings=verdict or {}, decisions=decisions)


def _number(value, digits: int = 4) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def leaderboard(study: StudyResults, by: str = "auto", sort: str = "validation") -> list[dict]:
    """Rows (column -> text or number) best first: one per variant when some variant ran
    several seeds (`by` "auto" or "variant"), else one per run; each with the spec fields that
    vary across the study."""
    metrics, infos = study.metrics, study.infos
    specs = {name: info["spec"] for name, info in infos.items()}
    fields = varying_fields(list(specs.values()))
    flat = {name: flatten(spec) for name, spec in specs.items()}
    scores = study.scores
    if by == "variant" or (by == "auto" and study.repeated):
        rows = []
        for score in scores:
            first = score.runs[0]
            rows.append(
                {
                    "variant": score.variant,
                    "n": score.validation.n if score.validation else 0,
                    "left_out": study.status(score.runs[0]) or len(score.failed),
                    "val_accuracy": score.validation.mean if score.validation else None,
                    "val_sd": score.validation.sd if score.validation else None,
                    "test_accuracy": score.test.mean if score.test else None,
                    "test_sd": score.test.sd if score.test else None,
                    **{s.name: score.means.get(s.name) for s in extra()},
                    **{field: flat[first].get(field) for field in fields},
                }
            )
        name = "variant"
    else:
        rows = [
            {
                "run": run,
                "variant": infos[run]["variant"],
                "seed": infos[run]["seed"],
                "epoch": metrics[run].get("selected_epoch"),
                "val_accuracy": metrics[run].get("selected_val_accuracy"),
                "test_accuracy": metrics[run].get("test_accuracy"),
                **{s.name: metrics[run].get(s.name) for s in extra()},
                "status": study.status(run) or status(metrics[run]),
                **{field: flat[run].get(field) for field in fields},
            }
            for run in study.order
        ]
        name = "run"
    if sort == "test":
        rows.sort(key=lambda row: (row["test_accuracy"] is None, -(row["test_accuracy"] or 0)))
    elif sort == "name":
        rows.sort(key=lambda row: row[name])
    for position, row in enumerate(rows, 1):
        row["rank"] = position
    return [{"rank": row.pop("rank"), **row} for row in rows]


SCORES = ("val_accuracy", "val_sd", "test_accuracy", "test_sd")


def _cell(key: str, value: object) -> str:
    """A score to 4 decimals; a spec field as the spec writes it (true, 0.1, "same" as same)."""
    if value is None:
        return ""
    if key in SCORES or key in DECLARED:
        return _number(value, DECLARED[key].digits if key in DECLARED else 4)
    return value if isinstance(value, str) else json.dumps(value)


def _text_rows(rows: list[dict]) -> tuple[list[str], list[list[str]]]:
    """Columns and cells, `val_accuracy` and `val_sd` shown together as mean ± sd."""
    columns, cells = [], []
    for key in rows[0]:
        if key in ("val_sd", "test_sd"):
            continue
        columns.append(key)
    for row in rows:
        line = []
        for key in columns:
            value = _cell(key, row[key])
            spread = row.get(key.replace("accuracy", "sd")) if key.endswith("accuracy") else None
            if value and spread is not None:
                value += f" ±{_number(spread)}"
            line.append(value)
        cells.append(line)
    return columns, cells


# the leaderboard's own columns; every other column is a spec field that varies in the study
OWN_COLUMNS = {"rank", "variant", "n", "left_out", "run", "seed", "epoch", "status", *SCORES}
KINDS = ("model.template", "optimizer.name")  # fields that decide which other fields apply
WIDTH = 100  # `netspec results` fits a terminal this wide unless --wide


def _own(column: str) -> bool:
    """A column of the leaderboard's own or a declared score: not a spec field."""
    return column in OWN_COLUMNS or column in DECLARED


def kind_only_fields(rows: list[dict]) -> list[str]:
    """Spec fields that vary only because a kind does: set for some model templates (or
    optimizers) and not others, with one value wherever set (an MLP has no pool_size, Adam no
    momentum). A field set in some variants of one kind and not others (dropout) is a real
    difference and stays."""
    if not rows:
        return []
    kinds = [kind for kind in KINDS if kind in rows[0]]
    folded = []
    for key in rows[0]:
        if _own(key) or key in kinds:
            continue
        values = {json.dumps(row[key]) for row in rows if row[key] is not None}
        if len(values) != 1 or all(row[key] is not None for row in rows):
            continue
        for kind in kinds:
            present: dict[str, set[bool]] = {}
            for row in rows:
                present.setdefault(json.dumps(row[kind]), set()).add(row[key] is not None)
            if all(len(found) == 1 for found in present.values()):
                folded.append(key)
                break
    return folded


def _same_columns(rows: list[dict], folded: list[str]) -> dict[str, str]:
    """Spec columns equal to an earlier one in every row (l2.kernel beside l2.bias): shown once."""
    fields = [k for k in rows[0] if not _own(k) and k not in KINDS and k not in folded]
    same: dict[str, str] = {}
    for i, key in enumerate(fields):
        for twin in fields[:i]:
            if twin not in same and all(row[key] == row[twin] for row in rows):
                same[key] = twin
                break
    return same


def _short_names(columns: list[str]) -> list[str]:
    """`model.dropout` as `dropout`, `model.l2.bias` as `l2.bias`: the section left out where
    no other column then reads the same."""
    named = {"rank": "#", "model.template": "model", "optimizer.name": "optimizer"}
    short = [named.get(column) or column.split(".", 1)[-1] for column in columns]
    return [
        name if short.count(name) == 1 and (not _own(column) or column in named) else column
        for column, name in zip(columns, short, strict=True)
    ]


def _fitted(columns: list[str], cells: list[list[str]], width: int) -> tuple[list, list, int]:
    """Spec-field columns dropped from the right until the table fits `width`."""
    dropped = 0
    while True:
        text = aligned(columns, cells)
        fields = [i for i, column in enumerate(columns) if not _own(column)]
        if max(map(len, text.splitlines())) <= width or not fields:
            return columns, cells, dropped
        last = fields[-1]
        columns = columns[:last] + columns[last + 1 :]
        cells = [line[:last] + line[last + 1 :] for line in cells]
        dropped += 1


def render(rows: list[dict], form: str = "table", wide: bool = False) -> str:
    """The rows as an aligned table, markdown, CSV or JSON. The table fits WIDTH columns unless
    `wide`: fields that vary only with the model kind are folded into the model template's
    column, names lose their section, and what still does not fit is named, not shown."""
    if form == "json":
        return json.dumps(rows, indent=2) + "\n"
    if not rows:
        return ""
    if form == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(  # scores at full precision: data, not a display
            {k: v if k in SCORES or k in DECLARED else _cell(k, v) for k, v in row.items()}
            for row in rows
        )
        return buffer.getvalue()
    from tabulate import tabulate

    if form == "markdown":
        columns, cells = _text_rows(rows)
        cells = [[cell.replace("|", "\\|") for cell in line] for line in cells]
        return tabulate(cells, columns, tablefmt="github", disable_numparse=True) + "\n"
    folded = [] if wide else kind_only_fields(rows)
    more = [] if wide else [s.name for s in extra() if s.name in rows[0]]
    folded += more
    same = {} if wide else _same_columns(rows, folded)
    folded += list(same)
    if not wide and all(not row.get("left_out") for row in rows):
        folded.append("left_out")  # no run left out: a column of zeros says nothing
    seeds = {row["n"] for row in rows} if "n" in rows[0] else set()
    if not wide and len(seeds) == 1:
        folded.append("n")  # said once, under the table
    kinds = [key for key in KINDS if key in rows[0]]  # the kinds first: the last to be dropped
    order = [k for k in rows[0] if _own(k)] + kinds
    order += [k for k in rows[0] if k not in order]
    columns, cells = _text_rows([{k: row[k] for k in order if k not in folded} for row in rows])
    folded = [key for key in folded if key not in ("left_out", "n", *more)]
    notes = [f"n = {seeds.pop()} runs per variant"] if not wide and len(seeds) == 1 else []
    folded = [key for key in folded if key not in same]
    if folded:
        notes.append(f"{', '.join(folded)}: set by the model or optimizer kind alone")
    notes += [f"{key} as {twin}" for key, twin in same.items()]
    if more:
        notes.append(f"also scored: {', '.join(more)}")
    if not wide:
        columns, cells, dropped = _fitted(_short_names(columns), cells, WIDTH)
        if dropped:
            notes.append(f"{dropped} more varying field{'s' if dropped != 1 else ''} not shown")
    text = aligned(columns, cells)
    if notes:
        note = f"({'; '.join(notes)}: netspec results --wide shows every column)"
        text += "\n" + "\n".join(textwrap.wrap(note, WIDTH))
    return text + "\n"


def closing_line(outputs: str | Path) -> str:
    """What the terminal says when a study has run: its top group and where to look."""
    page = Path(outputs) / layout.REPORT_PAGE
    try:
        with open(Path(outputs) / layout.RESULTS_CSV, encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        kind = "variant" if any(row["kind"] == "variant" for row in rows) else "run"
        name = "variant" if kind == "variant" else "experiment"
        group = [row[name] for row in rows if row["kind"] == kind and row["top_group"] == "true"]
        ranked = (  # the variants in the verdict: not those a halving rung pruned
            sum(row["kind"] == kind and not row["status"].startswith("pruned") for row in rows)
            if kind == "variant"
            else None
        )
        ranked = ranked or len({row["variant"] for row in rows if row["kind"] == "run"})
        said = f"{terminal_line(group, ranked)} " if group else ""
    except (OSError, KeyError):
        said = ""
    command = "netspec results" + ("" if Path(outputs) == Path("outputs") else f" {outputs}")
    return f"{said}The study's page: {page} (the leaderboard in the terminal: {command})"
