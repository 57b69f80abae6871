"""results.csv: a row per run and, when variants repeat over seeds, a row per variant with its
mean, sd, n and 95% interval; a column per spec field that varies across the study."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import TYPE_CHECKING

from netspec.results.scores import SCORES as DECLARED
from netspec.spec.diff import flatten

if TYPE_CHECKING:
    from netspec.results.study import StudyResults

SPREADS = ("val_accuracy", "test_accuracy")
_SPREAD_MEANS = ("selected_val_accuracy", "selected_val_loss", "test_accuracy")


def score_columns() -> list[str]:
    """Every declared score (netspec.results.scores), the selected epoch after the validation
    scores."""
    names = list(DECLARED)
    names.insert(names.index("selected_val_loss") + 1, "selected_epoch")
    return names


def columns() -> list[str]:
    """results.csv's columns before the spec fields: the scores as declared now."""
    return [
        "kind",  # run, or variant: the mean over its runs
        "rank",
        "experiment",
        "variant",
        "top_group",  # true for the variants of the verdict's top group
        "seed",
        "status",  # ok, or why the run is left out of its variant's means
        "n",
        *score_columns(),
        *(f"{name}_{part}" for name in SPREADS for part in ("sd", "ci_low", "ci_high")),
        "params",
        "wall_time_s",
        "description",
    ]


# Fields that differ between runs without being a variant's difference.
NOT_VARYING = ("description", "training.seed", "training.seeds")


def varying_fields(specs: list[dict]) -> list[str]:
    """The dotted paths whose value is not the same in every spec (missing counts as a value)."""
    flat = [flatten(spec) for spec in specs]
    paths = sorted({path for spec in flat for path in spec})
    missing = object()
    return [
        path
        for path in paths
        if path not in NOT_VARYING
        and len({json.dumps(spec.get(path, missing), default=str) for spec in flat}) > 1
    ]


def status(metrics: dict) -> str:
    if metrics.get("failed"):
        return f"failed: {metrics['failed']}"
    if metrics.get("diverged"):
        return "diverged: the loss became NaN or infinite"
    if metrics.get("selected_val_accuracy") is None or metrics.get("test_accuracy") is None:
        return "unscored: no validation or test score"
    return "ok"


def write_csv(path: str | Path, study: StudyResults) -> None:
    """results.csv of the study's results object: a row per variant (only when some variant has
    several runs), then a row per run, both ranked; the verdict's top group marked on every row
    of its variants."""
    order, infos, metrics_by = study.order, study.infos, study.metrics
    scores = study.scores if study.repeated else []
    group = study.verdict.group
    fields = varying_fields([infos[name]["spec"] for name in order])
    flat = {name: flatten(infos[name]["spec"]) for name in order}
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, columns() + fields)
        writer.writeheader()
        for position, score in enumerate(scores, 1):
            first = score.runs[0]
            row = {
                "kind": "variant",
                "rank": position,
                "variant": score.variant,
                "top_group": _cell(score.variant in group),
                "status": study.status(score.runs[0])
                or (
                    f"{len(score.failed)} of {len(score.runs)} runs left out"
                    if score.failed
                    else "ok"
                ),
                "n": score.validation.n if score.validation else 0,
                "selected_val_accuracy": score.validation.mean if score.validation else None,
                "selected_val_loss": score.mean_val_loss,
                "test_accuracy": score.test.mean if score.test else None,
                **{name: score.means.get(name) for name in DECLARED if name not in _SPREAD_MEANS},
                "params": infos[first]["params"],
                "description": safe(infos[first]["description"]),
            }
            for name, spread in (("val_accuracy", score.validation), ("test_accuracy", score.test)):
                if spread is not None:
                    row.update(
                        {
                            f"{name}_sd": spread.sd,
                            # an accuracy's interval shown within [0, 1], as in the report
                            f"{name}_ci_low": None if spread.low is None else max(0.0, spread.low),
                            f"{name}_ci_high": None
                            if spread.high is None
                            else min(1.0, spread.high),
                        }
                    )
            row.update({f: _cell(flat[first].get(f)) for f in fields})
            writer.writerow(row)
        for position, name in enumerate(order, 1):
            metrics, info = metrics_by[name], infos[name]
            writer.writerow(
                {
                    "kind": "run",
                    "rank": position,
                    "experiment": name,
                    "variant": info.get("variant", name),
                    "top_group": _cell(info.get("variant", name) in group),
                    "seed": info.get("seed"),
                    "status": study.status(name) or status(metrics),
                    **{key: metrics.get(key) for key in score_columns()},
                    "params": info["params"],
                    "wall_time_s": study.records[name]["wall_time_s"],
                    "description": safe(info["description"]),
                    **{f: _cell(flat[name].get(f)) for f in fields},
                }
            )


def _cell(value: object) -> object:
    """A spec value as the spec writes it: true, not Python's True; objects and lists as JSON;
    text a spreadsheet would run as a formula made plain text (`safe`)."""
    return safe(json.dumps(value) if isinstance(value, dict | list | bool) else value)


FORMULA = ("=", "+", "-", "@", "\t", "\r")  # what starts a formula in Excel, Sheets, Calc


def safe(value: object) -> object:
    """Text that a spreadsheet would run as a formula, with a leading `'` (OWASP's advice for
    CSV injection); numbers untouched."""
    return f"'{value}" if isinstance(value, str) and value.startswith(FORMULA) else value
