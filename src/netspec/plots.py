"""The seed's plots, from history and metrics files (matplotlib only, no TensorFlow):
per-experiment learning curves, the study's overlaid validation curves, a leaderboard bar chart."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

DEFAULTS = {"dpi": 100, "width": 10.0, "height": 4.0}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only: no display on a cluster node
    import matplotlib.pyplot as plt

    return plt


def _figure(settings: dict, panels: int = 2):
    plt = _pyplot()
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
    fig.suptitle(title)
    _save(plt, fig, path, settings)


def comparison_plot(histories: dict[str, dict], path: str | Path, settings: dict | None = None):
    """The seed's comparison_plot for a whole study: validation curves overlaid per experiment."""
    plt, fig, (acc, loss), settings = _figure(settings)
    for name, history in histories.items():
        acc.plot(*_curve(history, "val_accuracy"), label=name)
        loss.plot(*_curve(history, "val_loss"), label=name)
    for axis, metric in ((acc, "validation accuracy"), (loss, "validation loss")):
        axis.set_xlabel("epoch")
        axis.set_ylabel(metric)
        axis.grid(alpha=0.3)
    acc.legend(fontsize="small")
    fig.suptitle("Validation curves across the study")
    _save(plt, fig, path, settings)


def accuracy_bars(metrics: dict[str, dict], path: str | Path, settings: dict | None = None):
    """Best validation accuracy per experiment, best on top."""
    plt, fig, (axis,), settings = _figure(settings, panels=1)
    ranked = sorted(metrics.items(), key=lambda item: item[1]["best_val_accuracy"] or 0)
    names = [name for name, _ in ranked]
    values = [m["best_val_accuracy"] or 0 for _, m in ranked]
    bars = axis.barh(names, values, color="tab:blue")
    for bar, value in zip(bars, values, strict=True):
        axis.text(value, bar.get_y() + bar.get_height() / 2, f" {value:.4f}", va="center")
    low = min(values, default=0)
    axis.set_xlim(max(0.0, low - (1 - low) * 0.5 - 0.01), 1.0)
    axis.set_xlabel("best validation accuracy")
    axis.set_title("Leaderboard")
    _save(plt, fig, path, settings)


def _read(paths) -> list[dict]:
    return [json.loads(Path(p).read_text()) for p in paths]


def curve_key(history_text: str, title: str, settings: dict) -> str:
    """What a curves PNG is a function of: the history, the title, the settings, the code."""
    import matplotlib

    from netspec import __version__

    identity = json.dumps([history_text, title, settings, __version__, matplotlib.__version__])
    return hashlib.sha256(identity.encode()).hexdigest()[:32]


def draw_curves(
    names: list[str],
    titles: list[str],
    histories: list[str],
    folder: str | Path,
    settings: dict,
    cache: str | Path | None = None,
) -> tuple[int, int]:
    """Write folder/{name}.png for every experiment; (drawn, reused from the cache).

    The cache holds one PNG per content key; after the run it holds exactly this study's curves,
    so it never grows beyond the study.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    cache = Path(cache) if cache else None
    if cache:
        cache.mkdir(parents=True, exist_ok=True)
    drawn, kept = 0, set()
    for name, title, history_file in zip(names, titles, histories, strict=True):
        text = Path(history_file).read_text()
        target = folder / f"{name}.png"
        if cache is None:
            plot_history(json.loads(text), title, target, settings)
            drawn += 1
            continue
        cached = cache / f"{curve_key(text, title, settings)}.png"
        kept.add(cached.name)
        if not cached.exists():
            partial = cached.with_suffix(".partial.png")
            plot_history(json.loads(text), title, partial, settings)
            partial.replace(cached)  # atomic: a killed job leaves no half-written entry
            drawn += 1
        shutil.copyfile(cached, target)
    if cache:
        for stale in cache.iterdir():
            if stale.name not in kept:
                stale.unlink()
    return drawn, len(names) - drawn


def plots_job(
    names: list[str],
    titles: list[str],
    histories: list[str],
    metrics: list[str],
    curves: str,
    comparison: str,
    bars: str,
    settings: dict,
    cache: str | None = None,
) -> None:
    """The workflow's plots step: every experiment's curves, then the study's two figures."""
    drawn, reused = draw_curves(names, titles, histories, curves, settings, cache)
    print(f"curves: {drawn} drawn, {reused} unchanged (from the cache)", flush=True)
    comparison_plot(dict(zip(names, _read(histories), strict=True)), comparison, settings)
    accuracy_bars(dict(zip(names, _read(metrics), strict=True)), bars, settings)
    print(f"study plots: {comparison}, {bars}", flush=True)
