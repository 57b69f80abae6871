"""Successive halving over a sweep (`sweep.halving`): which points each rung trains, and which
go on, decided from the rung's files alone.

Rung r trains every point that entered it, with all its seeds, to the rung's epochs (a run
`RUN.rR`, continuing from the state `RUN.r(R-1)` kept: no epoch is trained twice). Its decision
ranks those points by the mean over their seeds of `training.select`'s value at the selected
epoch (the best so far), best first; ties (equal to 12 places) and unscored points (a failed or
diverged seed) go by the sweep's own order of points, unscored last. The first
ceil(n / eta) (at least 1) go on to the next rung; the last rung promotes none. A point that
early stopping ended keeps its score and trains no further (its next rung copies its state).

Pure Python and TF-free: the workflow's checkpoint runs it at planning, and the report reads the
decisions it wrote. The decision depends on the metrics files only, never on the order jobs
finished in, so `--cores 1`, `--cores 4`, shared workers or SLURM decide alike.
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from netspec.results.scores import facts
from netspec.spec.sweep import RUNG_SUFFIX, promoted


@dataclass(frozen=True)
class Search:
    """One halving sweep of the study."""

    sweep: str  # the spec file's id
    points: tuple[str, ...]  # the points' ids, in the sweep's order
    runs: dict[str, tuple[str, ...]]  # point -> its runs (one per seed), without a rung
    epochs: tuple[int, ...]  # each rung's epochs
    eta: int
    select: str  # training.select: the metric a rung ranks by
    # point -> its confirmation runs (sweep.halving.confirm): trained once it enters the last rung
    confirm: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def last(self) -> int:
        return len(self.epochs) - 1

    def run_at(self, run: str, rung: int) -> str:
        return f"{run}{RUNG_SUFFIX}{rung}"

    def runs_at(self, points: list[str], rung: int) -> list[str]:
        """The rung runs of `points` at `rung`, point by point, seed by seed."""
        return [self.run_at(run, rung) for point in points for run in self.runs[point]]

    def epochs_spent(self, entered: list[list[str]]) -> int:
        """Epochs the search trains, given the points that entered each rung: each run trains a
        rung's epochs less the previous rung's (it continues from there)."""
        spent, before = 0, 0
        for rung, points in enumerate(entered):
            spent += sum(len(self.runs[p]) for p in points) * (self.epochs[rung] - before)
            before = self.epochs[rung]
        return spent

    def grid_epochs(self) -> int:
        """Epochs the full grid would train: every run to the last rung's epochs."""
        return sum(len(runs) for runs in self.runs.values()) * self.epochs[-1]

    def most_epochs(self) -> int:
        """The most epochs the search can spend: ceil(n / eta) points entering each rung."""
        entering, entered = len(self.points), []
        for _ in self.epochs:
            entered.append(self.points[:entering])
            entering = promoted(entering, self.eta)
        return self.epochs_spent(entered)


def plan_text(search: Search) -> str:
    """What a search will do, for `netspec show` and `netspec expand`: its rungs, how many
    points enter each at most, and the most epochs it can spend against the full grid's."""
    entering, counts = len(search.points), []
    for _ in search.epochs:
        counts.append(entering)
        entering = promoted(entering, search.eta)
    seeds = sorted({len(runs) for runs in search.runs.values()})
    most, grid = search.most_epochs(), search.grid_epochs()
    rungs = ", ".join(
        f"{epochs} ({count} {'point' if count == 1 else 'points'})"
        for epochs, count in zip(search.epochs, counts, strict=True)
    )
    text = (
        f"successive halving (eta {search.eta}): rungs at {rungs} epochs, each point with all "
        f"its {'/'.join(map(str, seeds))} seed(s); after a rung the best ceil(n / {search.eta}) "
        f"by the mean over seeds of selected {search.select} go on (ties by the sweep's order). "
        f"At most {most:,} epochs in all, against {grid:,} for the full grid "
        f"({grid / max(most, 1):.1f}x fewer); a point stopped early trains no further."
    )
    if search.confirm:
        seeds = len(next(iter(search.confirm.values())))
        text += (
            f" Then the last rung's {counts[-1]} point(s) train again on {seeds} fresh seed(s) to "
            f"{search.epochs[-1]} epochs ({counts[-1] * seeds * search.epochs[-1]:,} epochs "
            "more): the verdict uses only those runs."
        )
    if len(search.epochs) == 1:
        text += " With one rung (min_epochs reaches max_epochs) nothing is pruned: a plain grid."
    return textwrap.fill(text, 100)


def searches(experiments) -> dict[str, Search]:
    """The study's halving sweeps, from its compiled runs (netspec.spec.study.load_study)."""
    found: dict[str, dict] = {}
    confirming: dict[str, dict[str, list[str]]] = {}
    for experiment in experiments.values():
        if experiment.confirms:
            points = confirming.setdefault(experiment.spec_id, {})
            points.setdefault(experiment.variant_id, []).append(experiment.id)
        if experiment.rung is None:
            continue
        search = found.setdefault(
            experiment.spec_id,
            {"points": {}, "epochs": {}, "halving": experiment.halving, "spec": experiment.spec},
        )
        search["epochs"][experiment.rung] = experiment.spec["training"]["epochs"]
        runs = search["points"].setdefault(experiment.variant_id, [])
        if experiment.run_id not in runs:
            runs.append(experiment.run_id)
    return {
        sweep: Search(
            sweep,
            tuple(search["points"]),
            {point: tuple(runs) for point, runs in search["points"].items()},
            tuple(search["epochs"][rung] for rung in sorted(search["epochs"])),
            search["halving"].get("eta", 3),
            search["spec"]["training"]["select"],
            {point: tuple(runs) for point, runs in confirming.get(sweep, {}).items()},
        )
        for sweep, search in found.items()
    }


def decide(search: Search, rung: int, entering: list[str], metrics: dict[str, dict]) -> dict:
    """The decision after `rung`: each entering point's score (the mean over its seeds of the
    selection metric at the selected epoch; None when a seed has no score), the points ranked,
    and those promoted. `metrics`: rung run id -> its metrics.json."""
    key = f"selected_{search.select}"
    lower = search.select.endswith("loss")
    scores = {}
    for point in entering:
        values = [metrics[search.run_at(run, rung)].get(key) for run in search.runs[point]]
        scores[point] = None if any(v is None for v in values) else sum(values) / len(values)
    order = {point: index for index, point in enumerate(search.points)}

    def rank(point):
        score = scores[point]
        if score is None:
            return (True, 0.0, order[point])
        return (False, round(score if lower else -score, 12), order[point])

    ranking = sorted(entering, key=rank)
    going = [] if rung == search.last else ranking[: promoted(len(entering), search.eta)]
    return {
        "sweep": search.sweep,
        "rung": rung,
        "epochs": search.epochs[rung],
        "final": rung == search.last,  # the last rung: it promotes none
        "epochs_before": search.epochs[rung - 1] if rung else 0,
        "runs_per_point": {point: len(search.runs[point]) for point in entering},
        "grid_epochs": search.grid_epochs(),
        "ranked_by": f"mean over seeds of {key}, {'lower' if lower else 'higher'} first; "
        "ties and unscored points by the sweep's order, unscored last",
        "entering": list(entering),
        "scores": scores,
        "ranking": ranking,
        "promoted": [p for p in ranking if p in going],
    }


def write_decision(search: Search, rung: int, entering: list[str], inputs, output) -> dict:
    """The checkpoint's job: read the rung's metrics files (`inputs`), write the decision."""
    metrics = {Path(path).parent.name: facts(json.loads(Path(path).read_text())) for path in inputs}
    decision = decide(search, rung, entering, metrics)
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    partial = Path(f"{output}.partial")
    partial.write_text(json.dumps(decision, indent=1))
    partial.replace(output)
    return decision


def read_decision(path: str | Path) -> dict:
    return json.loads(Path(path).read_text())


def pruned(decisions) -> dict[str, int]:
    """Point -> the rung it was pruned at (not promoted by that rung's decision), over the
    decisions of every halving sweep of a study."""
    found = {}
    for decision in decisions:
        if not decision.get("final", not decision["promoted"]):
            found.update(
                (point, decision["rung"])
                for point in decision["entering"]
                if point not in decision["promoted"]
            )
    return found


def spent(decisions) -> dict[str, tuple[int, int]]:
    """Sweep -> (epochs its search trained, epochs its full grid would have)."""
    found: dict[str, tuple[int, int]] = {}
    for d in decisions:
        done, grid = found.get(d["sweep"], (0, d["grid_epochs"]))
        runs = sum(d["runs_per_point"].values())
        found[d["sweep"]] = (done + runs * (d["epochs"] - d["epochs_before"]), grid)
    return found


def decisions_in(outputs: str | Path) -> list[dict]:
    """Every decision an outputs folder holds (OUTPUTS/halving/SWEEP/rung-R.json), in order."""
    from netspec import layout

    folder = Path(outputs) / layout.HALVING
    files = sorted(
        folder.glob("*/rung-*.json"), key=lambda f: (f.parent.name, int(f.stem.split("-")[1]))
    )
    return [read_decision(f) for f in files]
