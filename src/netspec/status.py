"""`netspec status`: each run of the study as done, stale, new, running, failed or pruned, and for a
stale one the fields that changed since it trained (like `dvc status`; Snakemake says only
"params changed")."""

from __future__ import annotations

import contextlib
import fcntl
import json
from dataclasses import dataclass, field
from pathlib import Path

from netspec import layout
from netspec.spec.diff import MISSING, differences
from netspec.spec.experiment import Experiment
from netspec.train.lock import LOCK_FILE  # held while a run trains (numpy, no TensorFlow)


@dataclass(frozen=True)
class RunStatus:
    run: str
    state: str  # done, stale, new, running, failed, pruned (a halving rung its point did not
    # reach) or removed (outputs of no current run)
    changes: list[str] = field(default_factory=list)  # "optimizer.learning_rate 0.01 -> 0.001"


def _training(folder: Path) -> bool:
    """Whether a process holds the run's training lock now."""
    try:
        with open(folder / LOCK_FILE) as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(lock, fcntl.LOCK_UN)
    except OSError:
        return False
    return False


def _shown(value: object) -> str:
    return "(unset)" if value is MISSING else json.dumps(value)


def changes(trained: dict, now: dict) -> list[str]:
    """The spec fields that differ between the spec a run trained (its run.json) and now."""
    return [
        f"{name} {_shown(old)} -> {_shown(new)}"
        for name, old, new in differences(trained, now)
        if name not in ("description", "resources") and not name.startswith("resources.")
    ]


def _read(path: Path) -> dict | None:
    with contextlib.suppress(OSError, ValueError):
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else None
    return None


def run_status(experiment: Experiment, folder: Path) -> RunStatus:
    if _training(folder):
        return RunStatus(experiment.id, "running")
    metrics, record = _read(folder / layout.METRICS), _read(folder / layout.RUN)
    if metrics is None or record is None:
        return RunStatus(experiment.id, "new")
    if record.get("digest") != experiment.digest:
        found = changes(record.get("spec", {}), experiment.spec)
        return RunStatus(
            experiment.id,
            "stale",
            found or ["the same spec, compiled differently by this netspec version"],
        )
    if metrics.get("failed"):
        return RunStatus(experiment.id, "failed", [metrics["failed"]])
    return RunStatus(experiment.id, "done")


def study_status(experiments: dict[str, Experiment], outputs: str | Path) -> list[RunStatus]:
    """Every run of the study in order, then run folders under `outputs` no spec makes now."""
    from netspec.halving import decisions_in, pruned

    outputs = Path(outputs)
    cut = pruned(decisions_in(outputs))  # point -> the rung that did not promote it
    found = [
        RunStatus(name, "pruned", [f"pruned at rung {cut[e.variant_id]}: not trained further"])
        if e.variant_id in cut
        and (e.confirms or (e.rung is not None and e.rung > cut[e.variant_id]))
        else run_status(e, outputs / name)
        for name, e in experiments.items()
    ]
    if outputs.is_dir():
        for folder in sorted(outputs.iterdir()):
            known = folder.name in experiments or folder.name in layout.STUDY_FOLDERS
            if not known and folder.is_dir() and (folder / layout.RUN).is_file():
                found.append(RunStatus(folder.name, "removed", ["no spec makes this run now"]))
    return found
