"""A finished study as the plots and report jobs read it: each run's files, and the figures."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from netspec import layout
from netspec.errors import SpecError
from netspec.halving import pruned
from netspec.results.scores import facts
from netspec.results.variants import VariantScore, rank, repeated, variant_scores
from netspec.results.verdict import Evidence, Verdict, runs_evidence, study_verdict_of


@dataclass(frozen=True)
class Run:
    """One experiment's finished training: its output folder (history.json, metrics.json,
    run.json). What the page shows of its spec is what run.json recorded when it trained;
    `description` is the spec's description now (prose: it changes without retraining), and
    `given` what a job that reads no run.json is told instead (the plots job: variant, sweep,
    point)."""

    id: str
    folder: Path
    description: str | None = None
    given: dict | None = field(default=None, compare=False)

    @property
    def title(self) -> str:
        return f"{self.id}: {self.info['description']}"

    @property
    def history_file(self) -> Path:
        return Path(self.folder) / layout.HISTORY

    @cached_property
    def history(self) -> dict:
        return read_result(self.history_file)

    @cached_property
    def metrics(self) -> dict:
        """metrics.json as the results read it: every declared score (netspec.results.scores),
        and the number of validation images the run was scored on (from run.json)."""
        found = facts(read_result(Path(self.folder) / layout.METRICS))
        samples = self.record.get("samples", {}).get("validation")
        return {**found, "validation_samples": samples} if samples is not None else found

    @cached_property
    def record(self) -> dict:
        """run.json: provenance."""
        return read_result(Path(self.folder) / layout.RUN)

    @cached_property
    def info(self) -> dict:
        """What the results show of the run's spec: `given`, else run.json's record of it."""
        if self.given is not None:
            return {"id": self.id, "description": self.description or "", **self.given}
        record = self.record
        chain = record.get("chain") or []
        point = record.get("point") or {}
        return {
            "id": self.id,
            "variant": variant_of(record, self.id),
            # runs recorded before run.json named their sweep: the spec file's id
            "sweep": record.get("sweep", Path(record.get("spec_file", "")).stem if point else None),
            "point": point,
            "rung": record.get("rung"),
            "run": record.get("run") or self.id,  # the run across its rungs
            "confirmation": bool(record.get("confirmation")),  # on a fresh seed: halving.confirm
            "seed": record.get("seed"),
            "description": (
                record.get("description", "") if self.description is None else self.description
            ),
            "base": record.get("base", chain[1] if len(chain) > 1 else None),
            "changes": record.get("changes"),  # None: trained before netspec recorded them
            "params": record.get("params"),
            "spec": record.get("spec", {}),
        }


def variant_of(record: dict, run_id: str) -> str:
    """The run's variant; runs recorded before run.json named it: its id less `-sSEED`."""
    if record.get("variant"):
        return record["variant"]
    suffix = f"-s{record.get('seed')}"
    name = record.get("experiment", run_id)
    return name[: -len(suffix)] if name.endswith(suffix) else name


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
    """The study's results, the one object the page, results.csv and `netspec results` read:
    its runs (each from its declared files), and what is computed from them once (the runs'
    ranking, the variants' scores over seeds, the verdict)."""

    title: str
    runs: tuple[Run, ...]
    figures: Figures | None = None
    verdict_settings: dict = field(default_factory=dict)  # config `verdict`
    decisions: tuple[dict, ...] = ()  # halving sweeps' rung decisions (netspec.halving)
    left: tuple[str, ...] = ()  # halving rung runs trained earlier that left the search since

    @cached_property
    def pruned(self) -> dict[str, int]:
        """Halving points pruned, by the rung they were pruned at: shown, never in a verdict."""
        return pruned(self.decisions)

    def pruned_in(self, points) -> list[str]:
        """Those of `points` (variants) that a halving rung pruned."""
        return [point for point in points if point in self.pruned]

    @cached_property
    def selection(self) -> set[str]:
        """The rung runs of the points a confirmation trained again on fresh seeds
        (sweep.halving.confirm): they chose those points, so they are optimistic and shown
        apart, never in a verdict or a variant's scores; the confirmation runs are."""
        confirmed = {run.info["variant"] for run in self.runs if run.info["confirmation"]}
        return {
            run.id
            for run in self.runs
            if run.info["rung"] is not None and run.info["variant"] in confirmed
        }

    @cached_property
    def in_verdict(self) -> list[str]:
        """The runs the verdict compares: every run but those of pruned points, and but the
        selection runs of confirmed ones."""
        return [
            run.id
            for run in self.runs
            if run.info["variant"] not in self.pruned and run.id not in self.selection
        ]

    @cached_property
    def by_id(self) -> dict[str, Run]:
        return {run.id: run for run in self.runs}

    @cached_property
    def metrics(self) -> dict[str, dict]:
        return {run.id: run.metrics for run in self.runs}

    @cached_property
    def records(self) -> dict[str, dict]:
        return {run.id: run.record for run in self.runs}

    @cached_property
    def infos(self) -> dict[str, dict]:
        return {run.id: run.info for run in self.runs}

    @cached_property
    def order(self) -> list[str]:
        """Run ids, best first (netspec.results.variants.rank); pruned halving points after the
        rest, the latest pruned first (their scores are of fewer epochs)."""
        kept = set(self.in_verdict)
        ranked = rank({n: m for n, m in self.metrics.items() if n in kept})
        cut = [n for n in rank(self.metrics) if n not in kept and n not in self.selection]
        chose = [n for n in rank(self.metrics) if n in self.selection]
        return ranked + chose + sorted(cut, key=lambda n: -self.pruned[self.infos[n]["variant"]])

    @cached_property
    def scores(self) -> list[VariantScore]:
        """The variants over their seeds, best first; pruned halving points last, as in order."""
        found = variant_scores(
            {n: m for n, m in self.metrics.items() if n not in self.selection}, self.infos
        )
        return [s for s in found if s.variant not in self.pruned] + sorted(
            (s for s in found if s.variant in self.pruned), key=lambda s: -self.pruned[s.variant]
        )

    @property
    def repeated(self) -> bool:
        """Whether some variant ran several seeds (then results are shown per variant)."""
        return repeated(self.scores)

    @cached_property
    def verdict(self) -> Verdict:
        kept = self.in_verdict
        return study_verdict_of(
            {n: self.metrics[n] for n in kept},
            {n: self.records[n] for n in kept},
            self.verdict_settings,
        )

    @cached_property
    def evidence(self) -> list[Evidence]:
        kept = self.in_verdict
        return runs_evidence({n: self.metrics[n] for n in kept}, self.records)

    def status(self, name: str) -> str | None:
        """A run's standing beside its scores: pruned at a rung of its halving sweep, or None."""
        variant = self.infos[name]["variant"]
        if variant in self.pruned:
            return f"pruned at rung {self.pruned[variant]}"
        if name in self.selection:
            return "selection run (optimistic): confirmed on fresh seeds"
        return None


def study_at(
    outputs: str | Path,
    ids: list[str],
    title: str = "",
    verdict: dict | None = None,
    decisions: tuple[dict, ...] = (),
) -> StudyResults:
    """The study laid out as the workflow lays it out: runs in OUTPUTS/{id}/, figures in
    OUTPUTS/plots/."""
    outputs = Path(outputs)
    runs = tuple(Run(i, outputs / i) for i in ids)
    plots = outputs / "plots"
    figures = Figures(
        plots / "curves", plots / "comparison.png", plots / "accuracy.png", plots / "sweeps"
    )
    return StudyResults(title, runs, figures, verdict or {}, tuple(decisions))
