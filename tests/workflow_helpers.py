"""Run the real Snakefile on a tiny study in a temporary folder, and read what it plans."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

TINY_BASE = {
    "description": "Tiny shared base",
    "data": {"dataset": "digits", "max_train_samples": 200, "max_test_samples": 100},
    "model": {"template": "convnet", "units": 4, "padding": "same"},
    "optimizer": {"name": "adam", "learning_rate": 0.01},
    "training": {"epochs": 1, "batch_size": 50, "seed": 0},
}
# alpha extends the base; beta stands alone, so a base change must retrain alpha only.
TINY_SPECS = {
    "_base.json": TINY_BASE,
    "alpha.json": {
        "description": "Alpha: the base with dropout",
        "extends": "_base.json",
        "model": {"dropout": 0.1},
    },
    "beta.json": {
        **{k: v for k, v in TINY_BASE.items() if k != "description"},
        "description": "Beta: a dense network",
        "model": {"template": "mlp", "units": 8},
    },
}
TINY_CONFIG = {
    "specs": "specs",
    "outputs": "outputs",
    "title": "tiny study",
    "resources": {"threads": 1},
    "plots": {"dpi": 40, "width": 6, "height": 3},
}

# Dropout, batch normalization and early stopping with restored weights: every piece of state a
# resume must carry over (RNG streams, moving averages, optimizer slots, stopping counters).
RESUMABLE = {
    "data": {"dataset": "digits", "validation": 0.2},
    "model": {
        "template": "convnet",
        "units": 16,
        "padding": "same",
        "dropout": 0.2,
        "batch_norm": True,
    },
    "optimizer": {"name": "adam", "learning_rate": 0.01},
    "training": {
        "epochs": 40,
        "batch_size": 20,
        "seed": 3,
        "deterministic": True,
        "early_stopping": {"monitor": "val_loss", "patience": 50, "restore_best_weights": True},
    },
}


def write_study(folder: Path, specs: dict = TINY_SPECS, config: dict = TINY_CONFIG) -> Path:
    (folder / "specs").mkdir(parents=True, exist_ok=True)
    (folder / "config").mkdir(exist_ok=True)
    for name, spec in specs.items():
        (folder / "specs" / name).write_text(json.dumps(spec, indent=2))
    (folder / "config" / "config.yaml").write_text(json.dumps(config))  # JSON is YAML
    return folder


def snakemake(
    folder: Path,
    *args: str,
    timeout: int = 600,
    wrapper: tuple[str, ...] = (),
    env: dict | None = None,
    program: tuple[str, ...] = (sys.executable, "-m", "snakemake"),
) -> subprocess.CompletedProcess:
    """Run the project's Snakefile on `folder`; `wrapper` prefixes the command (`timeout ...`);
    `env` adds to the environment; `program` runs Snakemake."""
    command = [
        *wrapper,
        *program,
        "--snakefile",
        str(ROOT / "Snakefile"),
        "--directory",
        str(folder),
        *args,
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)


def planned(folder: Path) -> set[tuple[str, str | None]]:
    """(rule, experiment) for every job a dry run would execute; `all` left out."""
    result = snakemake(folder, "--dry-run", "--cores", "2")  # a dry run shows every job
    assert result.returncode == 0, result.stderr + result.stdout
    jobs = set()
    for block in re.split(r"\n(?=(?:local)?rule \w+:)", result.stdout + result.stderr):
        match = re.match(r"(?:local)?rule (\w+):", block)
        if match and match.group(1) != "all":
            wildcard = re.search(r"wildcards: exp=([\w.-]+)", block)
            jobs.add((match.group(1), wildcard.group(1) if wildcard else None))
    return jobs


STUDY_JOBS = {("plots", None), ("report", None)}


def per_experiment(name: str, plus_study: bool = True) -> set[tuple[str, str | None]]:
    """An experiment's own job (training, ending with its metrics) and the study-wide ones."""
    return {("train", name)} | (STUDY_JOBS if plus_study else set())


def copy_study(source: Path, target: Path) -> Path:
    """A copy with mtimes and Snakemake's metadata, so each test changes its own study."""
    shutil.copytree(source, target, symlinks=True)
    return target


def edit_spec(folder: Path, name: str, change) -> None:
    path = folder / "specs" / name
    spec = json.loads(path.read_text())
    change(spec)
    path.write_text(json.dumps(spec, indent=2))


def wait_for_epochs(progress, count: int, limit: float = 180) -> int:
    deadline = time.time() + limit
    while time.time() < deadline:
        try:
            done = len(json.loads(progress.read_text())["epochs"])
        except (OSError, ValueError, KeyError):
            done = 0
        if done >= count:
            return done
        time.sleep(0.05)
    raise AssertionError(f"no {count} finished epochs in {progress} within {limit} s")
