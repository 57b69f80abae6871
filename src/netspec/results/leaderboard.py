"""`netspec results`: the study's leaderboard in the terminal, from the runs' own files (no
report needed, so it works mid-study): variants over their seeds, or runs."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from netspec.results.report import rank
from netspec.results.study import read_result
from netspec.results.table import status, varying_fields
from netspec.results.variants import repeated, variant_scores
from netspec.spec.diff import flatten

SORTS = ("validation", "test", "name")


def finished_runs(outputs: str | Path) -> dict[str, dict]:
    """Run id -> {"metrics", "record"} for every run folder under `outputs` that has both."""
    found = {}
    for folder in sorted(Path(outputs).iterdir()):
        metrics, record = folder / "metrics.json", folder / "run.json"
        if folder.is_dir() and metrics.is_file() and record.is_file():
            found[folder.name] = {"metrics": read_result(metrics), "record": read_result(record)}
    return found


def _variant(record: dict) -> str:
    """The run's variant; runs recorded before run.json named it: its id less `-sSEED`."""
    if record.get("variant"):
        return record["variant"]
    suffix = f"-s{record.get('seed')}"
    name = record["experiment"]
    return name[: -len(suffix)] if name.endswith(suffix) else name


def _number(value, digits: int = 4) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def leaderboard(runs: dict[str, dict], by: str = "auto", sort: str = "validation") -> list[dict]:
    """Rows (column -> text or number) best first: one per variant when some variant ran
    several seeds (`by` "auto" or "variant"), else one per run; each with the spec fields that
    vary across the study."""
    metrics = {name: run["metrics"] for name, run in runs.items()}
    infos = {
        name: {"variant": _variant(run["record"]), "seed": run["record"].get("seed")}
        for name, run in runs.items()
    }
    specs = {name: run["record"].get("spec", {}) for name, run in runs.items()}
    fields = varying_fields(list(specs.values()))
    flat = {name: flatten(spec) for name, spec in specs.items()}
    scores = variant_scores(metrics, infos)
    if by == "variant" or (by == "auto" and repeated(scores)):
        rows = []
        for score in scores:
            first = score.runs[0]
            rows.append(
                {
                    "variant": score.variant,
                    "n": score.validation.n if score.validation else 0,
                    "left_out": len(score.failed),
                    "val_accuracy": score.validation.mean if score.validation else None,
                    "val_sd": score.validation.sd if score.validation else None,
                    "test_accuracy": score.test.mean if score.test else None,
                    "test_sd": score.test.sd if score.test else None,
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
                "epoch": metrics[run].get("best_epoch"),
                "val_accuracy": metrics[run].get("best_val_accuracy"),
                "test_accuracy": metrics[run].get("test_accuracy"),
                "status": status(metrics[run]),
                **{field: flat[run].get(field) for field in fields},
            }
            for run in rank(metrics)
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
    if key in SCORES:
        return _number(value)
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
                value += f" ± {_number(spread)}"
            line.append(value)
        cells.append(line)
    return columns, cells


def render(rows: list[dict], form: str = "table") -> str:
    """The rows as an aligned table, markdown, CSV or JSON."""
    if form == "json":
        return json.dumps(rows, indent=2) + "\n"
    if not rows:
        return ""
    if form == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(  # scores at full precision: data, not a display
            {k: v if k in SCORES else _cell(k, v) for k, v in row.items()} for row in rows
        )
        return buffer.getvalue()
    columns, cells = _text_rows(rows)
    if form == "markdown":
        lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in line) + " |" for line in cells]
        return "\n".join(lines) + "\n"
    widths = [max(len(c) for c in column) for column in zip(columns, *cells, strict=True)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in [columns, *cells]
    ]
    return "\n".join(lines) + "\n"


def closing_line(outputs: str | Path) -> str:
    """What the terminal says when a study has run: its winner and where to look."""
    page = Path(outputs) / "report" / "index.html"
    try:
        with open(Path(outputs) / "report" / "results.csv", encoding="utf-8") as handle:
            first = next(csv.DictReader(handle))
        winner = first["variant"] if first["kind"] == "variant" else first["experiment"]
        said = f"The winner on validation: {winner}. "
    except (OSError, StopIteration, KeyError):
        said = ""
    return f"{said}The study's page: {page} (the leaderboard in the terminal: netspec results)"
