"""A run whose training raised: recorded as failed, with its reason, so the report shows it (it
never vanishes from a study) and the next plan retries it (workflow/rules/common.smk)."""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from pathlib import Path

import netspec
from netspec import layout
from netspec.train.provenance import what_ran

# Written on a failure and kept after a later success: the workflow adds its time to the run's
# digest param, so a new failure changes the param (the next plan retries the run) and a
# success after it leaves the param as that retry planned it (nothing reruns).
LAST_FAILURE = "last_failure.json"


def reason_of(error: BaseException) -> str:
    """One line: the error's type and the first line of its message that says something
    (TensorFlow's start with "Graph execution error:" and a trace of where the op was made)."""
    lines = [line for line in str(error).splitlines() if line.strip()]
    telling = [
        line.strip()
        for line in lines
        if not line.startswith((" ", "\t", "File ", "Detected at node", "[["))
        and not line.rstrip().endswith(":")
    ]
    chosen = (telling or lines or [""])[0]
    text = f"{type(error).__name__}: {chosen}" if chosen else type(error).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def record_failure(experiment, out: dict[str, Path], error: BaseException, started, wall) -> str:
    """Write the run's history, run record and metrics as a failed run's (no epochs, no scores,
    the reason), then LAST_FAILURE; metrics.json last, as for a finished run."""
    reason = reason_of(error)
    training = experiment.spec["training"]
    history = {
        "epochs": [],
        "metrics": {},
        "epoch_time_s": [],
        "diverged": False,
        "failed": reason,
        "selected_epoch": None,
        "selected_by": training["select"],
    }
    versions = {
        name: getattr(sys.modules.get(module), "__version__", None)
        for name, module in (("tensorflow", "tensorflow"), ("keras", "keras"), ("numpy", "numpy"))
    }
    record = {
        **what_ran(experiment),
        "samples": {"train": None, "validation": None, "test": None},
        "epochs_run": 0,
        "diverged": False,
        "failed": reason,
        "threads": None,
        "host": socket.gethostname(),
        "started": started.isoformat(timespec="seconds"),
        "wall_time_s": round(wall, 3),
        "versions": {
            "python": sys.version.split()[0],
            **versions,
            "netspec": netspec.__version__,
        },
    }
    metrics = {
        "experiment": experiment.id,
        "failed": reason,
        "diverged": False,
        "epochs_run": 0,
        "selected_epoch": None,
        "selected_by": training["select"],
        "selected_val_accuracy": None,
        "selected_val_loss": None,
        "test_accuracy": None,
        "test_loss": None,
        "confusion_matrix": None,
        "per_class": None,
        "validation": experiment.spec["data"]["validation"],
        "params": experiment.summary.params,
        "wall_time_s": round(wall, 3),
    }
    Path(out["history"]).write_text(json.dumps(history, indent=1))
    Path(out["run"]).write_text(json.dumps(record, indent=2))
    marker = {"reason": reason, "at": time.time_ns(), "pid": os.getpid()}
    (Path(out["metrics"]).parent / LAST_FAILURE).write_text(json.dumps(marker))
    layout.write_whole(out["metrics"], json.dumps(metrics, indent=2))
    return reason
