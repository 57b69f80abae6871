"""The study report: one self-contained HTML page (leaderboard, differences, plots, provenance)
and results.csv. Pure Python and matplotlib-free: it embeds the PNGs the plot stage made, and
renders templates/report.html.j2 (autoescaped) from a view of the study's results object."""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime
from pathlib import Path

from markupsafe import Markup

from netspec import layout
from netspec.errors import plural
from netspec.halving import spent
from netspec.results import answer
from netspec.results.comparison import accuracy_interval
from netspec.results.page import SCRIPT, STYLE, colour, palette, template
from netspec.results.scores import extra
from netspec.results.study import StudyResults
from netspec.results.table import write_csv
from netspec.results.verdict import study_verdict
from netspec.spec.sweep import of_point

# Past this many experiments the page links the rest of the curves instead of embedding them:
# each embedded curve is tens of kB of base64, and a page of thousands would not open.
EMBEDDED_CURVES = 50


def write_report(study: StudyResults, html_path: str | Path, csv_path: str | Path) -> None:
    """Assemble index.html and results.csv from the study's results object."""
    page = template("report.html.j2").render(p=_view(study, html_path))
    Path(html_path).parent.mkdir(parents=True, exist_ok=True)
    Path(html_path).write_text(page, encoding="utf-8")
    write_csv(csv_path, study)


def _view(study: StudyResults, html_path: str | Path) -> dict:
    """What the page shows, each part computed from the results object once."""
    found, figures = study.verdict, study.figures
    selected = {m.get("selected_by", "val_accuracy") for m in study.metrics.values()}
    selection = "validation loss" if selected == {"val_loss"} else "validation accuracy"
    return {
        "title": study.title,
        "style": Markup(STYLE),
        "script": Markup(SCRIPT),
        "counts": f"{plural(len(study.order), 'run')} of {plural(len(study.scores), 'variant')}",
        "written": datetime.now(UTC).isoformat(timespec="seconds"),
        "group": found.group,
        "headline": Markup(answer.headline(found, selection)),
        "verdict": Markup(answer.verdict_section(found)),
        "metrics": study.metrics,
        "optimistic": sum(m.get("validation") == "test" for m in study.metrics.values()),
        "repeated": study.repeated,
        "scores": study.scores,
        "status": study.status,
        "sweeps": _sweeps(study),
        "extra": extra(),
        "rows": _rows(study, found.alone),
        "bars": _image(figures.bars, "best validation accuracy per experiment"),
        "comparison": _image(figures.comparison, "validation curves of every experiment"),
        "experiments": [
            {
                "name": name,
                "info": study.infos[name],
                "metrics": study.metrics[name],
                "record": study.records[name],
                "curves": _curves(study, name, position < EMBEDDED_CURVES, html_path),
            }
            for position, name in enumerate(study.order)
        ],
    }


def _image(path: str | Path, alt: str) -> Markup:
    data = base64.b64encode(Path(path).read_bytes()).decode()
    return Markup('<img alt="{}" src="data:image/png;base64,{}">').format(alt, data)


def _rows(study: StudyResults, winner: str | None) -> list[dict]:
    """The leaderboard's runs, ranked; highlighted (`wins`): the winning variant's runs, or the
    first run when every variant ran once."""
    metrics, infos, order = study.metrics, study.infos, study.order
    best = metrics[order[0]].get("selected_val_accuracy") if order else None
    colours = palette(info.get("variant", name) for name, info in infos.items())
    rows = []
    for position, name in enumerate(order, 1):
        accuracy = metrics[name].get("selected_val_accuracy")
        variant = infos[name].get("variant")
        rows.append(
            {
                "name": name,
                "metrics": metrics[name],
                "info": infos[name],
                "record": study.records[name],
                "delta": accuracy - best if best is not None and accuracy is not None else None,
                "colour": colour(name, variant, colours),
                "wins": position == 1 if winner is None else (variant or name) == winner,
            }
        )
    return rows


def _curves(study: StudyResults, name: str, embed: bool, page: str | Path) -> dict:
    curves = study.figures.curve(study.by_id[name])
    if embed:
        return {"embedded": True, "image": _image(curves, name + " learning curves")}
    link = os.path.relpath(curves, Path(page).parent)
    return {"embedded": False, "link": link, "limit": EMBEDDED_CURVES}


def _sweeps(study: StudyResults) -> list[dict]:
    """Each sweep's figures, its best point on mean validation accuracy over seeds (optimistic:
    the best of many on validation) with its test accuracy's interval, and the sweep's own top
    group by the study's verdict; its halving search, where it had one."""
    folder = study.figures.sweeps
    points_of: dict[str, set] = {}
    for info in study.infos.values():
        if info.get("sweep"):
            points_of.setdefault(info["sweep"], set()).add(info["variant"])
    found = []
    for name, points in points_of.items():
        images = [(Path(folder) / f"{name}.png", f"sweep {name}")] if folder is not None else []
        halving = None
        if name in spent(study.decisions):
            done, grid = spent(study.decisions)[name]
            gone = [run for run in study.left if any(of_point(run, p) for p in points)]
            halving = {
                "pruned": len(study.pruned_in(points)),
                "done": done,
                "grid": grid,
                "gone": gone,
                "gone_words": plural(len(gone), "run"),
            }
            if folder is not None:
                rungs = Path(folder) / layout.RUNGS_FIGURE.format(sweep=name)
                images.append((rungs, f"rungs of {name}"))
        found.append(
            {
                "name": name,
                "points": len(points),
                "halving": halving,
                "best": _best_point(study, points),
                "figures": Markup("").join(_image(p, alt) for p, alt in images if p.exists()),
            }
        )
    return found


def _best_point(study: StudyResults, points: set) -> dict | None:
    ranked = [s for s in study.scores if s.variant in points and s.validation is not None]
    if not ranked:
        return None
    top, runs = ranked[0], study.evidence
    mine = {r.seed: r.correct for r in runs if r.variant == top.variant}
    missing = any(correct is None for correct in mine.values())
    group = study_verdict([r for r in runs if r.variant in points]).group
    info = study.infos[top.runs[0]]
    return {
        "variant": top.variant,
        "point": info["point"],
        "validation": top.validation,
        "confirmation": bool(info.get("confirmation")),
        "interval": None if missing else accuracy_interval(mine),
        "group": answer.group_words(group) if group else None,
    }
