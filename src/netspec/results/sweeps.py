"""A sweep's answer as figures: the selected validation accuracy against each swept field, with
its spread over seeds, and a heatmap of the means for a sweep over two fields."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from netspec import layout
from netspec.results.canvas import DEFAULTS, plain, pyplot
from netspec.results.metrics import selected_val_accuracy
from netspec.results.study import Run

LINES = 8  # past this many combinations of the other fields, a panel shows the marginal only


def sweeps_of(runs: tuple[Run, ...]) -> dict[str, list[Run]]:
    """The runs of each sweep (a spec file with `sweep`), by the sweep's id, in study order."""
    found: dict[str, list[Run]] = {}
    for run in runs:
        if run.info.get("point"):
            found.setdefault(run.info["sweep"], []).append(run)
    return found


def _score(run: Run) -> float | None:
    history = run.history
    if history.get("diverged"):
        return None
    return selected_val_accuracy(history)


def _key(value: object) -> str:
    return json.dumps(value, sort_keys=True)


def _order(keys: tuple) -> list:
    """Sort JSON texts by their values: numbers by size (4 before 25 before 100), then others."""
    values = [json.loads(key) for key in keys]
    return [
        (0, v, "") if isinstance(v, int | float) and not isinstance(v, bool) else (1, 0, str(v))
        for v in values
    ]


def _axis_values(values: list) -> tuple[list, bool]:
    """The distinct values of a field in plotting order, and whether the axis is numeric (then
    log-scaled where the values are positive and span more than a factor of 20)."""
    distinct = list({_key(v): v for v in values}.values())
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in distinct)
    return (sorted(distinct) if numeric else distinct), numeric


def _means(runs: list[Run], fields: list[str]) -> dict[tuple, list[float]]:
    """Scores of the scored runs, grouped by the values of `fields` (seeds pooled)."""
    grouped: dict[tuple, list[float]] = {}
    for run in runs:
        score = _score(run)
        if score is not None:
            key = tuple(_key(run.info["point"][f]) for f in fields)
            grouped.setdefault(key, []).append(score)
    return grouped


def sweep_figure(name: str, runs: list[Run], path: str | Path, settings: dict | None = None):
    """One figure per sweep: a panel per swept field (mean +/- sd over the seeds of each point,
    a line per combination of the other fields), then a heatmap for a sweep of two fields."""
    settings = {**DEFAULTS, **(settings or {})}
    fields = list(runs[0].info["point"])
    panels = len(fields) + (len(fields) == 2)
    plt = pyplot()
    fig, axes = plt.subplots(
        1,
        panels,
        figsize=(max(settings["width"], 4.2 * panels), settings["height"]),
        squeeze=False,
    )
    for axis, field in zip(axes[0], fields, strict=False):
        _field_panel(axis, runs, field, [f for f in fields if f != field])
    if len(fields) == 2:
        _heatmap(fig, axes[0][-1], runs, fields)
    scored = sum(_score(run) is not None for run in runs)
    left = f"; {len(runs) - scored} failed or diverged runs left out" if scored < len(runs) else ""
    fig.suptitle(plain(f"Sweep {name}: {len(runs)} runs, mean ± sd over seeds{left}"))
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=settings["dpi"])
    plt.close(fig)


def _field_panel(axis, runs: list[Run], field: str, others: list[str]) -> None:
    values, numeric = _axis_values([run.info["point"][field] for run in runs])
    position = {_key(v): (v if numeric else i) for i, v in enumerate(values)}
    groups = _means(runs, [field, *others])
    combos = sorted({key[1:] for key in groups}, key=_order)
    if len(combos) > LINES:  # too many lines to tell apart: the field's marginal over the rest
        groups = _means(runs, [field])
        combos = [()]
    for combo in combos:
        xs, means, sds = [], [], []
        for value in values:
            scores = groups.get((_key(value), *combo))
            if scores:
                xs.append(position[_key(value)])
                means.append(float(np.mean(scores)))
                sds.append(float(np.std(scores, ddof=1)) if len(scores) > 1 else 0.0)
        label = ""
        if combo:  # one line per combination of the other fields' values
            label = ", ".join(
                f"{o.rsplit('.', 1)[-1]}={v}" for o, v in zip(others, combo, strict=True)
            )
        axis.errorbar(xs, means, yerr=sds, marker="o", capsize=3, label=plain(label) or None)
    if numeric and min(values) > 0 and max(values) / min(values) >= 10:  # a decade: log
        axis.set_xscale("log")
    if not numeric:
        axis.set_xticks(range(len(values)), [plain(str(v)) for v in values])
    axis.set_xlabel(plain(field))
    axis.set_ylabel("validation accuracy (selected epoch)")
    axis.grid(alpha=0.3)
    if combos != [()]:
        axis.legend(fontsize="small")
    elif others:
        axis.set_title("mean over the other fields' values", fontsize="small")


def _heatmap(fig, axis, runs: list[Run], fields: list[str]) -> None:
    """Mean selected validation accuracy over seeds for each pair of values; blank where no
    run of the pair was scored."""
    rows, _ = _axis_values([run.info["point"][fields[0]] for run in runs])
    cols, _ = _axis_values([run.info["point"][fields[1]] for run in runs])
    groups = _means(runs, fields)
    grid = np.full((len(rows), len(cols)), np.nan)
    for i, row in enumerate(rows):
        for j, col in enumerate(cols):
            scores = groups.get((_key(row), _key(col)))
            if scores:
                grid[i, j] = np.mean(scores)
    finite = grid[np.isfinite(grid)]
    # the colour scale spans the scored points only: a failed or diverged one is blank, "none"
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    image = axis.imshow(grid, cmap="viridis", aspect="auto", vmin=low, vmax=high)
    middle = (low + high) / 2
    for i, j in np.ndindex(grid.shape):
        if math.isfinite(grid[i, j]):
            colour = "black" if grid[i, j] > middle else "white"
            axis.text(j, i, f"{grid[i, j]:.3f}", ha="center", va="center", color=colour)
        else:
            axis.text(j, i, "none", ha="center", va="center", color="0.4", fontsize="small")
    axis.set_yticks(range(len(rows)), [plain(str(v)) for v in rows])
    axis.set_xticks(range(len(cols)), [plain(str(v)) for v in cols])
    axis.set_ylabel(plain(fields[0]))
    axis.set_xlabel(plain(fields[1]))
    axis.set_title("mean over seeds", fontsize="small")
    fig.colorbar(image, ax=axis)


def rung_figure(name: str, runs: list[Run], path: str | Path, settings: dict | None = None):
    """A halving sweep's rungs: each point's selection metric (training.select) against epochs,
    the mean over its seeds, from the history of the last rung it reached (it holds every epoch
    since the first); points pruned before the last rung in grey, the rungs' epochs dotted."""
    settings = {**DEFAULTS, **(settings or {})}
    runs = [run for run in runs if "rung" in run.info]  # not the confirmation runs
    select = runs[0].history.get("selected_by", "val_accuracy")
    epochs = runs[0].info["rung_epochs"]
    curves: dict[str, list[list[float]]] = {}
    reached: dict[str, int] = {}
    for run in runs:
        values = run.history.get("metrics", {}).get(select) or []
        curves.setdefault(run.info["variant"], []).append(values)
        reached[run.info["variant"]] = run.info["rung"]
    plt = pyplot()
    from matplotlib.ticker import MaxNLocator

    fig, axis = plt.subplots(figsize=(settings["width"], settings["height"]))
    for rung_epochs in epochs:
        axis.axvline(rung_epochs, color="#bbbbbb", linestyle=":", linewidth=1)
    finished = [p for p in curves if reached[p] == len(epochs) - 1]
    colours = plt.get_cmap("tab10")
    for point, seeds in sorted(curves.items(), key=lambda item: item[0] in finished):
        length = min(len(values) for values in seeds)
        if not length:
            continue
        mean = np.mean([values[:length] for values in seeds], axis=0)
        xs = list(range(1, length + 1))
        if point in finished:
            index = finished.index(point)
            axis.plot(xs, mean, color=colours(index % 10), linewidth=2, label=plain(point))
        else:
            axis.plot(xs, mean, color="#999999", linewidth=1, alpha=0.7, marker="o", markersize=3)
    axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    axis.set_xlabel("epoch (rungs dotted)")
    axis.set_ylabel(f"{select}, mean over seeds")
    if finished:
        axis.legend(fontsize="small", loc="best")
    pruned = len(curves) - len(finished)
    fig.suptitle(plain(f"Halving {name}: {pruned} of {len(curves)} points pruned (grey)"))
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=settings["dpi"])
    plt.close(fig)


def sweep_plots(runs: tuple[Run, ...], folder: str | Path, settings: dict | None = None) -> list:
    """Every sweep's figure into `folder` ({sweep}.png, and {sweep}-rungs.png for a halving
    sweep); the folder holds nothing else."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    sweeps = sweeps_of(runs)
    halving = {name for name, members in sweeps.items() if any("rung" in r.info for r in members)}
    wanted = {f"{name}.png" for name in sweeps}
    wanted |= {layout.RUNGS_FIGURE.format(sweep=name) for name in halving}
    for stale in folder.iterdir():
        if stale.name not in wanted:
            stale.unlink()
    for name, members in sweeps.items():
        # a confirmed point by its confirmation runs only: its selection runs are optimistic
        confirmed = {r.info["variant"] for r in members if name in halving and "rung" not in r.info}
        fair = [r for r in members if not ("rung" in r.info and r.info["variant"] in confirmed)]
        sweep_figure(name, fair, folder / f"{name}.png", settings)
        if name in halving:
            rung_figure(name, members, folder / layout.RUNGS_FIGURE.format(sweep=name), settings)
    return list(sweeps)
