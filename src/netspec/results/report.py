"""The study report: one self-contained HTML page (leaderboard, differences, plots, provenance)
and results.csv. Pure Python and matplotlib-free: it embeds the PNGs the plot stage made."""

from __future__ import annotations

import base64
import json
import os
from datetime import UTC, datetime
from html import escape
from pathlib import Path

from netspec import layout
from netspec.errors import plural
from netspec.halving import spent
from netspec.results import answer
from netspec.results.comparison import accuracy_interval
from netspec.results.page import SCRIPT, STYLE, colour, palette, shade
from netspec.results.scores import extra
from netspec.results.study import StudyResults
from netspec.results.table import write_csv
from netspec.results.variants import standing, variants_table
from netspec.results.verdict import study_verdict
from netspec.spec.sweep import of_point

# Past this many experiments the page links the rest of the curves instead of embedding them:
# each embedded curve is tens of kB of base64, and a page of thousands would not open.
EMBEDDED_CURVES = 50


OPTIMISTIC_MARK = "<sup>†</sup>"


def _optimism(metrics: dict[str, dict]) -> str:
    """Said plainly wherever it applies: selecting epochs on the test set inflates test scores."""
    optimistic = sorted(name for name, m in metrics.items() if m.get("validation") == "test")
    if not optimistic:
        return (
            "<p class='muted'>Epochs were selected on a validation set held out of the training "
            "set; each test score was measured once, on the selected epoch's weights.</p>"
        )
    return (
        f"<p class='warning'>{OPTIMISTIC_MARK} {len(optimistic)} of {len(metrics)} experiments "
        "select their epoch on the test set (<code>&quot;validation&quot;: &quot;test&quot;</code>, "
        "the seed "
        "notebook's habit): their validation and test scores are the same set, so their test "
        "scores are optimistic. Hold out a fraction of the training set "
        "(<code>&quot;validation&quot;: 0.2</code>) for an honest estimate.</p>"
    )


def _image(path: str | Path, alt: str) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode()
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{data}">'


def _value(change: dict, side: str) -> str:
    return (
        f"<code>{escape(json.dumps(change[side]))}</code>"
        if side in change
        else '<span class="muted">unset</span>'
    )


def _number(value, digits: int = 4) -> str:
    return (
        "—"
        if value is None
        else (f"{value:.{digits}f}" if isinstance(value, float) else f"{value:,}")
    )


def _leaderboard(order, metrics, infos, runs, winner: str | None = None, status=None) -> str:
    """The runs, ranked; highlighted: the winning variant's runs, or the first run when every
    variant ran once. `status(run)`: its standing (pruned, a selection run), shown by its name."""
    best = metrics[order[0]].get("selected_val_accuracy") if order else None
    colours = palette(info.get("variant", name) for name, info in infos.items())
    rows = []
    for position, name in enumerate(order, 1):
        m = metrics[name]
        delta = (
            (m["selected_val_accuracy"] - best)
            if best is not None and m.get("selected_val_accuracy") is not None
            else None
        )
        rows.append(
            f'<tr class="{"winner" if _wins(name, position, infos, winner) else ""}">'
            f'<td class="num">{position}</td>'
            f'<td><span class="swatch" style="background:'
            f'{colour(name, infos[name].get("variant"), colours)}"></span>'
            f'<a href="#{escape(name)}">{escape(name)}</a>{_trouble(m)}{_standing(name, status)}</td>'
            f'<td class="num">{_number(m.get("selected_val_accuracy"))}</td>'
            f'<td class="num">{_number(delta)}</td>'
            f'<td class="num">{_number(m.get("selected_epoch"))}</td>'
            f'<td class="num">{_number(m.get("test_accuracy"))}'
            f"{OPTIMISTIC_MARK if m.get('validation') == 'test' else ''}</td>"
            + "".join(f'<td class="num">{_number(m.get(s.name), s.digits)}</td>' for s in extra())
            + f'<td class="num">{infos[name]["params"]:,}</td>'
            f'<td class="num">{runs[name]["wall_time_s"]:.1f} s</td>'
            f"<td>{escape(infos[name]['description'])}</td></tr>"
        )
    return (
        "<table class='sortable'><thead><tr><th>#</th><th>experiment</th><th>selected val. accuracy"
        "</th><th>vs. best run</th><th>selected epoch</th><th>test accuracy</th>"
        + "".join(f"<th>{escape(s.words)}</th>" for s in extra())
        + "<th>params</th>"
        "<th>training time</th><th>description</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )


def _standing(name: str, status) -> str:
    return standing(status(name) if status is not None else None)


def _trouble(metrics: dict) -> str:
    """Why a run has no score, beside its name."""
    if metrics.get("failed"):
        return f" <span class='warning'>(failed: {escape(metrics['failed'])})</span>"
    return " (diverged)" if metrics.get("diverged") else ""


def _wins(name: str, position: int, infos: dict, winner: str | None) -> bool:
    return position == 1 if winner is None else infos[name].get("variant", name) == winner


def _curves(name: str, curves: str, embed: bool, page: str) -> str:
    if embed:
        return _image(curves, name + " learning curves")
    link = escape(os.path.relpath(curves, Path(page).parent))
    return (
        f"<p class='muted'>Learning curves: <a href='{link}'>{link}</a> (embedded for the "
        f"{EMBEDDED_CURVES} best only, to keep this page small)</p>"
    )


def _code(code: dict | None) -> str:
    """The git commit the run trained from, and whether the checkout had changes."""
    if not code:
        return "not a git checkout (or trained before netspec recorded it)"
    dirty = " with uncommitted changes" if code.get("dirty") else ", clean"
    return f"git <code>{escape(str(code.get('commit', ''))[:12])}</code>{dirty}"


def _scores(metric: dict) -> str:
    if metric.get("failed"):
        return (
            f"<p class='warning'>Failed: {escape(metric['failed'])}. Nothing was scored, and the "
            "run is left out of its variant's means; the next <code>snakemake</code> retries it "
            "(its log: <code>train.log</code> in its folder).</p>"
        )
    return (
        f"<p>Best validation accuracy {_number(metric.get('selected_val_accuracy'))} at epoch "
        f"{_number(metric.get('selected_epoch'))} of {metric['epochs_run']}; test accuracy "
        f"{_number(metric.get('test_accuracy'))}, test loss {_number(metric.get('test_loss'))}."
        "</p>"
    )


def _experiment_section(name, info, metric, run, curves) -> str:
    changes = "".join(
        f"<tr><td><code>{escape(c['field'])}</code></td><td>{_value(c, 'base')}</td>"
        f"<td>{_value(c, 'variant')}</td></tr>"
        for c in info["changes"] or ()
    )
    if info["base"] and info["changes"] is None:
        diff = (
            f"<p class='muted'>Extends <code>{escape(info['base'])}</code>; trained before "
            "netspec recorded a run's differences from its base (retrain to see them).</p>"
        )
    elif info["base"]:
        diff = (
            f"<p>Differences from <code>{escape(info['base'])}</code> when this run trained:</p>"
        ) + (
            f"<table><tr><th>field</th><th>base</th><th>this variant</th></tr>{changes}</table>"
            if changes
            else "<p class='muted'>none: same experiment as its base</p>"
        )
    else:
        diff = "<p class='muted'>A standalone spec (no <code>extends</code>).</p>"
    matrix = metric.get("confusion_matrix")
    confusion = ""
    if matrix:
        head = "".join(f"<th>{c}</th>" for c in range(len(matrix)))
        body = "".join(
            f"<tr><th>{i}</th>"
            + "".join(
                f'<td class="num" style="{shade(v / max(1, sum(row)), i == j)}">{v}</td>'
                for j, v in enumerate(row)
            )
            + "</tr>"
            for i, row in enumerate(matrix)
        )
        per_class = "".join(
            f'<tr><td>{p["class"]}</td><td class="num">{p["precision"]:.3f}</td>'
            f'<td class="num">{p["recall"]:.3f}</td><td class="num">{p["support"]}</td></tr>'
            for p in metric["per_class"]
        )
        confusion = (
            "<details><summary>Confusion matrix and per-class scores (test set)</summary>"
            "<p class='muted'>Each cell's shade is its share of the true class's images: blue "
            "where the prediction is right, red where it is wrong.</p>"
            f"<table><tr><th>true \\ predicted</th>{head}</tr>{body}</table>"
            f"<table><tr><th>class</th><th>precision</th><th>recall</th><th>support</th></tr>"
            f"{per_class}</table></details>"
        )
    versions = ", ".join(f"{k} {v}" for k, v in run["versions"].items())
    slurm = run.get("slurm")
    threads = f", {run['threads']} thread(s)" if run.get("threads") else ""
    where = f"{escape(run['host'])}{threads}" + (
        f", SLURM job {escape(str(slurm.get('job_id')))}" if slurm else ""
    )
    return (
        f'<section id="{escape(name)}"><h2>{escape(name)}</h2>'
        f"<p>{escape(info['description'])}</p>{diff}{curves}"
        f"{_scores(metric)}{confusion}"
        "<details><summary>Provenance</summary><table>"
        f"<tr><th>spec</th><td><code>{escape(' <- '.join(run['chain']))}</code></td></tr>"
        f"<tr><th>digest</th><td><code>{escape(run['digest'])}</code></td></tr>"
        f"<tr><th>seed</th><td>{run['seed']}</td></tr>"
        f"<tr><th>ran on</th><td>{where}</td></tr>"
        f"<tr><th>started</th><td>{escape(run['started'])}, {run['wall_time_s']:.1f} s</td></tr>"
        f"<tr><th>code</th><td>{_code(run.get('code'))}</td></tr>"
        f"<tr><th>versions</th><td>{escape(versions)}</td></tr></table>"
        f"<pre>{escape(json.dumps(info['spec'], indent=2))}</pre></details></section>"
    )


def write_report(study: StudyResults, html_path: str | Path, csv_path: str | Path) -> None:
    """Assemble index.html and results.csv from the study's results object."""
    metrics, infos, records, order = study.metrics, study.infos, study.records, study.order
    found = study.verdict
    headline = answer.headline(found, _selection_words(metrics))
    variants = (
        f"<h2>Variants, over their seeds</h2>{variants_table(study.scores, lambda s: study.status(s.runs[0]))}"
        if study.repeated
        else ""
    )
    figures = study.figures
    sections = "".join(
        _experiment_section(
            n,
            infos[n],
            metrics[n],
            records[n],
            _curves(n, figures.curve(study.by_id[n]), position < EMBEDDED_CURVES, html_path),
        )
        for position, n in enumerate(order)
    )
    title = study.title
    page = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{escape(title)}</h1>"
        f"<p class='muted'>{plural(len(order), 'run')} of "
        f"{plural(len(study.scores), 'variant')}, "
        "report written "
        f"{datetime.now(UTC).isoformat(timespec='seconds')}</p>"
        f"<p class='headline' data-top-group='{escape(' '.join(found.group))}'>{headline}</p>"
        f"{_optimism(metrics)}{answer.verdict_section(found)}{variants}"
        f"{_sweeps(study)}"
        f"<h2>Leaderboard</h2>"
        f"{_leaderboard(order, metrics, infos, records, found.alone, study.status)}"
        f"{_image(figures.bars, 'best validation accuracy per experiment')}"
        "<h2>Validation curves</h2>"
        f"{_image(figures.comparison, 'validation curves of every experiment')}"
        f"{sections}<script>{SCRIPT}</script></body></html>"
    )
    Path(html_path).parent.mkdir(parents=True, exist_ok=True)
    Path(html_path).write_text(page, encoding="utf-8")
    write_csv(csv_path, study)


def _selection_words(metrics: dict[str, dict]) -> str:
    selected = {m.get("selected_by", "val_accuracy") for m in metrics.values()}
    return "validation loss" if selected == {"val_loss"} else "validation accuracy"


def _sweeps(study: StudyResults) -> str:
    """Each sweep's figure, its best point on mean validation accuracy over seeds (optimistic:
    the best of many on validation) with its test accuracy's interval, and the sweep's own top
    group by the study's verdict."""
    folder = study.figures.sweeps
    infos, scores, runs = study.infos, study.scores, study.evidence
    sweeps: dict[str, set] = {}
    for info in infos.values():
        if info.get("sweep"):
            sweeps.setdefault(info["sweep"], set()).add(info["variant"])
    parts = []
    for name, points in sweeps.items():
        ranked = [s for s in scores if s.variant in points and s.validation is not None]
        best = ""
        if ranked:
            top = ranked[0]
            sets = ", ".join(
                f"{escape(path)} = {escape(json.dumps(value))}"
                for path, value in infos[top.runs[0]]["point"].items()
            )
            caveat = (
                "measured on the fresh seeds of its confirmation runs, not the runs that chose it"
                if infos[top.runs[0]].get("confirmation")
                else f"<b>optimistic</b>: the best of {len(points)} points on the same "
                "validation images"
            )
            best = (
                f" Best point on mean validation accuracy: <b>{escape(top.variant)}</b> "
                f"({sets}): {top.validation.mean:.4f} over {top.validation.n} "
                f"run{'s' if top.validation.n != 1 else ''}, {caveat}."
            )
            mine = {r.seed: r.correct for r in runs if r.variant == top.variant}
            missing = any(correct is None for correct in mine.values())
            interval = None if missing else accuracy_interval(mine)
            if interval is not None:
                best += (
                    f" Its test accuracy, measured once: {interval[0]:.2f}% "
                    f"[{interval[1]:.2f}, {interval[2]:.2f}] (95%, seeds and images resampled)."
                )
            found = study_verdict([r for r in runs if r.variant in points])
            if found.group:
                best += f" Top group within the sweep: {escape(answer.group_words(found.group))}."
        image = Path(folder) / f"{name}.png" if folder is not None else None
        figure = _image(image, f"sweep {name}") if image is not None and image.exists() else ""
        search = ""
        if name in spent(study.decisions):
            done, grid = spent(study.decisions)[name]
            search = (
                f" Successive halving: {len(study.pruned_in(points))} of {len(points)} points "
                f"pruned; the search trained {done:,} epochs, against {grid:,} for the full "
                f"grid ({grid / max(done, 1):.1f}x fewer). Pruned points are listed, never in "
                "a verdict."
            )
            gone = [run for run in study.left if any(of_point(run, p) for p in points)]
            if gone:
                search += (
                    f" {plural(len(gone), 'run')} trained earlier left the search (the decisions "
                    f"no longer take their points that far; their files are kept): "
                    f"{escape(', '.join(gone))}."
                )
            rungs = (
                None if folder is None else Path(folder) / layout.RUNGS_FIGURE.format(sweep=name)
            )
            if rungs is not None and rungs.exists():
                figure += _image(rungs, f"rungs of {name}")
        parts.append(
            f"<h3>Sweep {escape(name)}</h3><p>{len(points)} points.{search}{best}</p>{figure}"
        )
    return "<h2>Sweeps</h2>" + "".join(parts) if parts else ""
