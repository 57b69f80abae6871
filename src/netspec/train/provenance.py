"""What a training run records about itself: what ran, where, with which versions, how long."""

from __future__ import annotations

import itertools
import os
import platform
import resource
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import netspec
from netspec.spec.hardware import cpu, gpu_present
from netspec.spec.study import what_differs


def cpu_seconds() -> float:
    """CPU time of this process (user + system)."""
    return sum(resource.getrusage(resource.RUSAGE_SELF)[:2])


@dataclass(frozen=True)
class JobClock:
    """A training job's clock, passed to what it times: when the job started (perf_counter
    seconds), this process's CPU seconds then, and whether a shared worker runs it (then the
    job starts when its request arrives, not when the worker's process did)."""

    started: float
    cpu_started: float = 0.0
    shared: bool = False

    @classmethod
    def of_process(cls) -> JobClock:
        """A job that is its own process: its clock started with the process."""
        return cls(time.perf_counter() - process_age())

    @classmethod
    def from_now(cls) -> JobClock:
        """A job a shared worker takes now."""
        return cls(time.perf_counter(), cpu_seconds(), shared=True)

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def cpu(self) -> float:
        return cpu_seconds() - self.cpu_started


def process_age() -> float:
    """Seconds since this process started (from /proc; 0.0 where there is no /proc)."""
    try:
        start_ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return max(0.0, uptime - start_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return 0.0


def code_version(folder: str = ".") -> dict | None:
    """The git commit of the checkout the run trains in and whether its tracked files differ
    from it; None outside a git checkout (or without git)."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True, text=True, timeout=10
        )
        if commit.returncode != 0:
            return None
        changes = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit.stdout.strip(), "dirty": bool(changes.stdout.strip())}


def what_ran(experiment) -> dict:
    """The part of a run record that says what ran: the run, its spec and its identity."""
    return {
        "experiment": experiment.id,
        "variant": experiment.variant_id,  # the runs of one variant differ by their seed only
        "point": experiment.point,  # a sweep point's values
        "rung": experiment.rung,  # a halving sweep's rung (netspec.halving), else None
        "run": experiment.run_id,  # the run across its rungs (its id, outside halving)
        "confirmation": experiment.confirms,  # a halving point's run on a fresh seed
        "spec_file": str(experiment.file),
        "chain": [str(p) for p in experiment.chain],
        "description": experiment.spec.get("description", ""),
        "spec": experiment.spec,
        "digest": experiment.digest,
        "seed": experiment.spec["training"]["seed"],
        "params": experiment.summary.params,
        **what_differs(experiment),
        "code": code_version(),
    }


_TRAINED = itertools.count(1)  # the runs this process has trained (a shared worker trains many)


def run_record(
    experiment, started, clock: JobClock, threads, sets, resumed_from, epochs, diverged
) -> dict:
    """Provenance: what ran, where, with which versions, for how long."""
    import keras
    import tensorflow as tf

    slurm = {
        key.removeprefix("SLURM_").lower(): os.environ[key]
        for key in (
            "SLURM_JOB_ID",
            "SLURM_CPUS_PER_TASK",
            "SLURM_JOB_PARTITION",
            "SLURM_JOB_NODELIST",
            "SLURM_MEM_PER_NODE",
        )
        if key in os.environ
    }
    return {
        **what_ran(experiment),
        "flops_per_sample": experiment.summary.flops,
        "samples": {name: len(pair[1]) for name, pair in sets.items()},
        "epochs_run": epochs,
        "resumed_from_epoch": resumed_from,
        "diverged": diverged,
        "threads": threads,
        "shared_worker": clock.shared,  # trained in a worker that had TensorFlow loaded
        # which process trained it, and its how-manieth run: 1 where TensorFlow started for it
        "process": {"pid": os.getpid(), "run": next(_TRAINED)},
        "precision": experiment.spec["training"]["precision"],
        "hardware": {"cpu": cpu(), "gpu": gpu_present()},  # what decides the precision's speed
        "cpus_available": len(os.sched_getaffinity(0)),
        "slurm": slurm or None,
        "host": socket.gethostname(),
        "started": started.isoformat(timespec="seconds"),
        "wall_time_s": round(clock.elapsed(), 3),  # from the job's start
        "cpu_time_s": round(clock.cpu(), 3),
        # the process's peak: in a shared worker, over all the runs it has trained so far
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "versions": {
            "python": platform.python_version(),
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "numpy": np.__version__,
            "netspec": netspec.__version__,
        },
    }
