"""A finished study as the plots and report jobs read it: each run's files, and the figures."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from netspec import layout
from netspec.errors import SpecError
from netspec.results.scores import facts


@dataclass(frozen=True)
class Run:
    """One experiment's finished training: its output folder (history.json, metrics.json,
    run.json) and what the report shows of its spec (`info`, from netspec.spec.study.describe)."""

    id: str
    folder: Path
    description: str = ""
    info: dict = field(default_factory=dict, compare=False)

    @property
    def title(self) -> str:
        return f"{self.id}: {self.description}"

    @property
    def history_file(self) -> Path:
        return Path(self.folder) / layout.HISTORY

    @cached_property
    def history(self) -> dict:
        return read_result(self.history_file)

    @cached_property
    def metrics(self) -> dict:
        """metrics.json as the results read it: every declared score (netspec.results.scores)."""
        return facts(read_result(Path(self.folder) / layout.METRICS))

    @cached_property
    def record(self) -> dict:
        """run.json: provenance."""
        return read_result(Path(self.folder) / layout.RUN)


def read_result(path: str | Path) -> dict:
    """A JSON file a training wrote; a damaged one is a SpecError that names it and the way out."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecError.one(str(path), None, "missing; rerun snakemake to make it again") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SpecError.one(
            str(path),
            None,
            f"damaged ({error}); delete it and rerun snakemake, which retrains that experiment",
        ) from None
    if not isinstance(data, dict):
        raise SpecError.one(str(path), None, "damaged (not a JSON object); delete it and rerun")
    return data


@dataclass(frozen=True)
class Figures:
    """Where the study's figures go: one learning-curve PNG per run, and the study's two."""

    curves: Path  # a folder of {run id}.png
    comparison: Path
    bars: Path
    sweeps: Path | None = None  # a folder of {sweep id}.png (netspec.results.sweeps)

    def curve(self, run: Run) -> Path:
        return Path(self.curves) / f"{run.id}.png"


@dataclass(frozen=True)
class StudyResults:
    title: str
    runs: tuple[Run, ...]
    figures: Figures
    verdict: dict = field(default_factory=dict)  # config `verdict`: smallest_difference, baseline


def study_at(outputs: str | Path, infos: list[dict], title: str = "") -> StudyResults:
    """The study laid out as the workflow lays it out: runs in OUTPUTS/{id}/, figures in
    OUTPUTS/plots/. `infos` are netspec.spec.study.describe() of each experiment, in order."""
    outputs = Path(outputs)
    runs = tuple(Run(i["id"], outputs / i["id"], i["description"], i) for i in infos)
    plots = outputs / "plots"
    figures = Figures(
        plots / "curves", plots / "comparison.png", plots / "accuracy.png", plots / "sweeps"
    )
    return StudyResults(title, runs, figures)
