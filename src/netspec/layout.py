"""Where a study's files live, spelled once: the workflow's rules, the training job and the
results side (report, `netspec results`, `netspec status`) all take their paths from here.

An outputs folder holds one folder per run (named by the run's id), the study's own folders
(STUDY_FOLDERS) and STUDY_RECORD, which names the study that wrote it (its specs, title, config).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

# A run's files, in the order the training job writes them: metrics.json, last, vouches for the
# others (a run whose metrics.json exists is complete).
MODEL = "model.keras"
HISTORY = "history.json"
PREDICTIONS = "predictions.npz"
RUN = "run.json"
METRICS = "metrics.json"
RUN_FILES = {"model": MODEL, "history": HISTORY, "predictions": PREDICTIONS}
RUN_FILES |= {"run": RUN, "metrics": METRICS}
TRAIN_LOG = "train.log"
LAST_FAILURE = "last_failure.json"
# A halving sweep's run keeps its state after its rung's last epoch here (its resume state, kept),
# so the next rung continues from it; RUNG_PROGRESS is the file the workflow tracks.
RUNG_STATE = "state"
RUNG_PROGRESS = f"{RUNG_STATE}/progress.json"
HALVING = "halving"  # OUTPUTS/halving/SWEEP/rung-R.json: each rung's decision

# The study's files under the outputs folder.
REPORT_PAGE = "report/index.html"
RESULTS_CSV = "report/results.csv"
CURVES = "plots/curves"
COMPARISON = "plots/comparison.png"
ACCURACY = "plots/accuracy.png"
SWEEPS = "plots/sweeps"
RUNGS_FIGURE = "{sweep}-rungs.png"  # a halving sweep's rung figure, beside {sweep}.png
STUDY_RECORD = "study.json"
STUDY_FOLDERS = {"data", "plots", "report", "logs", "benchmarks", "tensorboard"}


def data_file(dataset_key: str) -> str:
    return f"data/{dataset_key}.npz"


def run_file(outputs: str | Path, run: str, name: str) -> Path:
    return Path(outputs) / run / name


def study_record(specs: str, outputs: str, title: str, config: dict, runs: list[str]) -> dict:
    """What an outputs folder says of its study: the specs folder relative to the outputs (so a
    study moved whole still finds its specs) and absolute, its title, config and runs."""
    return {
        "specs": os.path.relpath(os.path.abspath(specs), os.path.abspath(outputs)),
        "specs_absolute": os.path.abspath(specs),
        "title": title,
        "config": config,
        "runs": runs,
    }


def mark_started(outputs: str, planned: list[str]) -> None:
    """Note in the study record which runs this invocation of the workflow trains, and when it
    started: the terminal's progress line counts them."""
    record = read_study_record(outputs)
    if record is not None:
        write_study_record(outputs, {**record, "planned": planned, "started": time.time()})


def write_study_record(outputs: str, record: dict) -> None:
    """Write OUTPUTS/study.json when it says something new (atomically: jobs re-parse the
    workflow, on a cluster's nodes too)."""
    path = Path(outputs) / STUDY_RECORD
    text = json.dumps(record, indent=2, sort_keys=True) + "\n"
    with contextlib.suppress(OSError):
        if path.read_text(encoding="utf-8") == text:
            return
    path.parent.mkdir(parents=True, exist_ok=True)
    write_whole(path, text)


def write_whole(path: str | Path, text: str) -> None:
    """Write `path` whole or not at all (a process killed mid-write leaves the file it replaces,
    or none): through a temporary file beside it, renamed over it."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def read_study_record(outputs: str | Path) -> dict | None:
    """The record of the study that wrote `outputs`, or None (an older netspec wrote none)."""
    with contextlib.suppress(OSError, ValueError):
        record = json.loads((Path(outputs) / STUDY_RECORD).read_text(encoding="utf-8"))
        if isinstance(record, dict) and isinstance(record.get("specs"), str):
            return record
    return None


def recorded_specs(outputs: str | Path) -> Path | None:
    """The specs folder of the study that wrote `outputs`, where it still is."""
    record = read_study_record(outputs)
    if record is None:
        return None
    for candidate in (Path(outputs) / record["specs"], Path(record.get("specs_absolute", ""))):
        if str(candidate) and candidate.is_dir():
            return Path(os.path.normpath(candidate))
    return None


@dataclass(frozen=True)
class Progress:
    done: int  # of the runs this invocation trains, those with a new metrics.json
    total: int  # the runs this invocation trains
    elapsed: float  # seconds since it started


def study_progress(outputs: str | Path, run: str | None = None) -> Progress | None:
    """How far this invocation of the workflow is, for the terminal's progress line only (no
    result depends on it): a planned run is finished once it wrote its metrics.json. Given the
    `run` that just finished, only the runs that finished before it or with it count, so two runs
    ending together print [1/N] and [2/N], not [2/N] twice."""
    record = read_study_record(outputs)
    if record is None or not isinstance(record.get("planned"), list):
        return None
    started = record.get("started")
    if not isinstance(started, int | float):
        return None
    until = None
    if run is not None:
        with contextlib.suppress(OSError, TypeError):
            until = run_file(outputs, run, METRICS).stat().st_mtime_ns
    done = 0
    for planned in record["planned"]:
        with contextlib.suppress(OSError, TypeError):
            written = run_file(outputs, planned, METRICS).stat().st_mtime_ns
            done += written >= started * 1e9 and (until is None or written <= until)
    return Progress(done, len(record["planned"]), max(0.0, time.time() - started))


def default_title(specs: str) -> str:
    return f"netspec study: {specs}"
