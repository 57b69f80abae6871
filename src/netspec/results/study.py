"""A finished study as the plots and report jobs read it: each run's files, and the figures."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path


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
        return Path(self.folder) / "history.json"

    @cached_property
    def history(self) -> dict:
        return json.loads(self.history_file.read_text())

    @cached_property
    def metrics(self) -> dict:
        return json.loads((Path(self.folder) / "metrics.json").read_text())

    @cached_property
    def record(self) -> dict:
        """run.json: provenance."""
        return json.loads((Path(self.folder) / "run.json").read_text())


@dataclass(frozen=True)
class Figures:
    """Where the study's figures go: one learning-curve PNG per run, and the study's two."""

    curves: Path  # a folder of {run id}.png
    comparison: Path
    bars: Path

    def curve(self, run: Run) -> Path:
        return Path(self.curves) / f"{run.id}.png"


@dataclass(frozen=True)
class StudyResults:
    title: str
    runs: tuple[Run, ...]
    figures: Figures


def study_at(outputs: str | Path, infos: list[dict], title: str = "") -> StudyResults:
    """The study laid out as the workflow lays it out: runs in OUTPUTS/{id}/, figures in
    OUTPUTS/plots/. `infos` are netspec.spec.study.describe() of each experiment, in order."""
    outputs = Path(outputs)
    runs = tuple(Run(i["id"], outputs / i["id"], i["description"], i) for i in infos)
    plots = outputs / "plots"
    return StudyResults(
        title, runs, Figures(plots / "curves", plots / "comparison.png", plots / "accuracy.png")
    )
