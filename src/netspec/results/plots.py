"""The seed's plots, from history files alone (matplotlib only, no TensorFlow): per-experiment
learning curves, the study's overlaid validation curves, a leaderboard bar chart."""

from __future__ import annotations

import contextlib
import hashlib
import json
import multiprocessing
import os
import shutil
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from netspec.results.canvas import DEFAULTS, TOP, leaderboard_height, plain, pyplot
from netspec.results.metrics import selected_epoch, selected_val_accuracy
from netspec.results.page import colour, palette
from netspec.results.study import Figures, Run, StudyResults
from netspec.results.sweeps import sweep_plots
from netspec.results.variants import rank_key, selects_on_loss

COLOURS = 10  # the comparison figure colours at most this many (matplotlib's default palette)


def _figure(settings: dict, panels: int = 2):
    plt = pyplot()
    settings = {**DEFAULTS, **(settings or {})}
    fig, axes = plt.subplots(
        1, panels, figsize=(settings["width"], settings["height"]), squeeze=False
    )
    return plt, fig, list(axes[0]), settings


def _save(plt, fig, path: str | Path, settings: dict) -> None:
    from matplotlib.ticker import MaxNLocator

    for axis in fig.axes:
        if axis.get_xlabel() == "epoch":
            axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=settings["dpi"])
    plt.close(fig)


def _curve(history: dict, key: str) -> tuple[list[int], list[float]]:
    pairs = [
        (e, v)
        for e, v in zip(history["epochs"], history["metrics"].get(key, []), strict=False)
        if v is not None
    ]
    return [e for e, _ in pairs], [v for _, v in pairs]


def plot_history(history: dict, title: str, path: str | Path, settings: dict | None = None):
    """The seed's plot_history: accuracy and loss, training vs validation, per epoch."""
    plt, fig, (acc, loss), settings = _figure(settings)
    for axis, metric in ((acc, "accuracy"), (loss, "loss")):
        for key, label in ((metric, "training"), (f"val_{metric}", "validation")):
            axis.plot(*_curve(history, key), marker=".", label=label)
        axis.set_xlabel("epoch")
        axis.set_ylabel(metric)
        axis.grid(alpha=0.3)
        axis.legend()
    if history.get("diverged"):
        title += " (diverged: loss became NaN)"
    fig.suptitle(plain(title))
    _save(plt, fig, path, settings)


def _selected(history: dict) -> tuple[float | None, float | None]:
    """(validation accuracy, validation loss) at the selected epoch; Nones without one, or for
    a run that diverged, which the report leaves out of its variant's means too."""
    best = selected_epoch(history)
    if not best or history.get("diverged"):
        return None, None
    return selected_val_accuracy(history), (history["metrics"].get("val_loss") or [None] * best)[
        best - 1
    ]


def _best(history: dict) -> float:
    score = selected_val_accuracy(history)
    return float("-inf") if score is None else score


def comparison_plot(
    histories: dict[str, dict],
    path: str | Path,
    settings: dict | None = None,
    variants: dict[str, str] | None = None,
):
    """The seed's comparison_plot for a whole study: validation curves overlaid per experiment.

    Past COLOURS experiments (matplotlib's palette), the COLOURS best by best validation accuracy
    are drawn in colour and named, the others as thin grey lines: a study of hundreds stays
    readable.
    """
    plt, fig, (acc, loss), settings = _figure(settings)
    ranked = sorted(histories, key=lambda name: _best(histories[name]), reverse=True)
    shown, rest = ranked[:COLOURS], ranked[COLOURS:]
    for index, name in enumerate(rest):
        label = f"{len(rest)} others" if index == 0 else None
        style = {"color": "0.6", "linewidth": 0.6, "alpha": 0.5, "zorder": 1}
        acc.plot(*_curve(histories[name], "val_accuracy"), label=label, **style)
        loss.plot(*_curve(histories[name], "val_loss"), **style)
    colours = palette((variants or {}).get(name, name) for name in histories)  # as the page's
    for name in (name for name in histories if name in shown):
        style = {"color": colour(name, (variants or {}).get(name), colours), "zorder": 2}
        acc.plot(*_curve(histories[name], "val_accuracy"), label=name, **style)
        loss.plot(*_curve(histories[name], "val_loss"), **style)
    for axis, metric in ((acc, "validation accuracy"), (loss, "validation loss")):
        axis.set_xlabel("epoch")
        axis.set_ylabel(metric)
        axis.grid(alpha=0.3)
    if rest:  # eleven names and more go beside the plots, not over the curves
        loss.legend(
            *acc.get_legend_handles_labels(),
            fontsize="small",
            loc="upper left",
            bbox_to_anchor=(1.02, 1.0),
        )
    else:
        acc.legend(fontsize="small")
    title = "Validation curves across the study"
    fig.suptitle(title + (f" (the best {COLOURS} of {len(ranked)} in colour)" if rest else ""))
    _save(plt, fig, path, settings)


def accuracy_bars(
    scores: dict[str, list[tuple[float | None, float | None]]],
    path: str | Path,
    settings: dict | None = None,
    by_loss: bool = False,
):
    """The leaderboard as a figure: per variant ({variant: its runs' (selected validation
    accuracy, its validation loss)}), the mean accuracy over its scored runs as a dot with the sd
    over seeds as an error bar, ranked as the report ranks (mean accuracy, then mean validation
    loss), the winner on top; the TOP best past TOP variants. Dots, not bars: a bar's length
    would exaggerate gaps on an axis that does not start at 0, and at 0 no gap would show."""
    means = {}
    for name, values in scores.items():
        accuracies = [a for a, _ in values if a is not None]
        losses = [loss for a, loss in values if a is not None and loss is not None]
        spread = float(np.std(accuracies, ddof=1)) if len(accuracies) > 1 else 0.0
        mean = float(np.mean(accuracies)) if accuracies else None
        loss = float(np.mean(losses)) if losses else None
        means[name] = (mean, spread, len(accuracies), loss)

    ranked = sorted(
        means.items(), key=lambda item: rank_key(item[1][0], item[1][3], item[0], by_loss)
    )
    shown = [item for item in ranked[:TOP] if item[1][0] is not None][::-1]  # winner on top
    settings = {**DEFAULTS, **(settings or {})}
    settings["height"] = max(settings["height"], leaderboard_height(len(shown)))
    plt, fig, (axis,), settings = _figure(settings, panels=1)
    names = [name for name, _ in shown]
    colours = palette(scores)  # the variants, as the page and the curves colour them
    for row, (name, (mean, sd, count, _)) in enumerate(shown):
        axis.errorbar(mean, row, xerr=sd, fmt="o", capsize=4, color=colours[name], markersize=7)
        label = f"{mean:.4f}" + (f" ± {sd:.4f} (n={count})" if count > 1 else "")
        axis.annotate(
            label,
            (mean, row),
            xytext=(0, 7),
            textcoords="offset points",
            ha="center",
            fontsize="small",
        )
    axis.set_yticks(range(len(names)), [plain(name) for name in names])
    axis.set_ylim(-0.6, len(names) - 0.2)
    if shown:
        low = min(mean - sd for _, (mean, sd, _, _) in shown)
        high = max(mean + sd for _, (mean, sd, _, _) in shown)
        margin = max(0.005, (high - low) * 0.15)
        axis.set_xlim(max(0.0, low - margin), min(1.0, high + margin) + margin / 2)
    repeated = any(count > 1 for _, (_, _, count, _) in shown)
    axis.set_xlabel(
        "selected validation accuracy"
        + (", mean ± sd over seeds" if repeated else "")
        + " (the axis spans only the scores' range)"
    )
    axis.grid(axis="x", alpha=0.3)
    notes = []
    if len(ranked) > TOP:
        notes.append(f"the best {TOP} of {len(ranked)}; all in the report's table")
    if len(shown) > 1 and round(shown[-1][1][0], 12) == round(shown[-2][1][0], 12):
        notes.append("the top two tie on accuracy: a tie, listed by name")
    axis.set_title("Leaderboard" + (f" ({'; '.join(notes)})" if notes else ""))
    _save(plt, fig, path, settings)


def curve_key(history_text: str, title: str, settings: dict) -> str:
    """What a curves PNG is a function of: the history, the title, the settings, the code."""
    import matplotlib

    from netspec import __version__

    identity = json.dumps([history_text, title, settings, __version__, matplotlib.__version__])
    return hashlib.sha256(identity.encode()).hexdigest()[:32]


def _draw(job: tuple) -> None:
    """Draw one curve into the cache, atomically (a killed job leaves no half-written entry)."""
    text, title, cached, settings = job
    partial = cached.with_suffix(".partial.png")
    plot_history(json.loads(text), title, partial, settings)
    partial.replace(cached)


def draw_curves(
    runs: tuple[Run, ...], figures: Figures, settings: dict, cache: str | Path, workers: int = 1
) -> tuple[int, int]:
    """Write every run's learning curves into `figures.curves`; (drawn, reused from the cache).

    Curves are drawn into `cache` under a key of their content, `workers` processes at a time,
    then copied out. After the run the cache holds exactly this study's curves.
    """
    cache = Path(cache)
    Path(figures.curves).mkdir(parents=True, exist_ok=True)
    cache.mkdir(parents=True, exist_ok=True)
    todo, sources = {}, []
    for run in runs:
        run.history  # noqa: B018 - parsed here, so a damaged file is named before any drawing
        text = run.history_file.read_text()
        cached = cache / f"{curve_key(text, run.title, settings)}.png"
        if not cached.exists():
            todo[cached] = (text, run.title, cached, settings)
        sources.append(cached)
    workers = max(1, min(workers, len(todo), len(os.sched_getaffinity(0))))
    step = max(10, len(todo) // 10)  # a progress line per tenth of a long run
    with contextlib.ExitStack() as stack:
        if workers == 1:
            finished = map(_draw, todo.values())
        else:
            context = multiprocessing.get_context("fork")
            pool = stack.enter_context(ProcessPoolExecutor(workers, mp_context=context))
            finished = pool.map(_draw, todo.values(), chunksize=4)
        for done, _ in enumerate(finished, 1):
            if done % step == 0 and done < len(todo):
                print(f"curves: {done}/{len(todo)} drawn ({workers} processes)", flush=True)
    for run, cached in zip(runs, sources, strict=True):
        shutil.copyfile(cached, figures.curve(run))
    for stale in set(cache.iterdir()) - set(sources):
        stale.unlink()
    return len(todo), len(runs) - len(todo)


def plots_job(study: StudyResults, settings: dict, cache: str | Path, workers: int = 1) -> None:
    """The workflow's plots step: every run's curves, then the study's two figures.
    It reads the history files only: every figure, the leaderboard's ranking included, is a
    function of the histories (one input per experiment keeps the job graph small)."""
    drawn, reused = draw_curves(study.runs, study.figures, settings, cache, workers)
    print(f"curves: {drawn} drawn, {reused} unchanged (from the cache)", flush=True)
    histories = {run.id: run.history for run in study.runs}
    variants = {run.id: run.info.get("variant", run.id) for run in study.runs}
    comparison_plot(histories, study.figures.comparison, settings, variants)
    scores: dict[str, list] = {}
    for run in study.runs:  # by variant: the runs of one variant differ only by their seed
        variant = run.info.get("variant", run.id)
        scores.setdefault(variant, []).append(_selected(histories[run.id]))
    by_loss = selects_on_loss(histories.values())  # histories keep `selected_by` too
    accuracy_bars(scores, study.figures.bars, settings, by_loss)
    print(f"study plots: {study.figures.comparison}, {study.figures.bars}", flush=True)
    if study.figures.sweeps is not None:
        drawn = sweep_plots(study.runs, study.figures.sweeps, settings)
        if drawn:
            print(f"sweep plots: {', '.join(drawn)} in {study.figures.sweeps}", flush=True)
