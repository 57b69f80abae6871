"""Shared by the benchmarks: machine description, timing helpers, a tiny study on disk."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# The seed's final "optimal" CNN as a spec: batch norm + dropout 0.1, 1 hidden layer, 100 units.
SEED_SPEC = {
    "data": {"dataset": "fashion_mnist"},
    "model": {
        "template": "convnet",
        "hidden_layers": 1,
        "units": 100,
        "batch_norm": True,
        "dropout": 0.1,
    },
    "optimizer": {"name": "adam", "learning_rate": 0.01},
}


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {model}, Python {platform.python_version()}"


def median(values) -> float:
    return statistics.median(values)


def timed(command: list[str], **kwargs) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    return time.perf_counter() - start, result


def snakemake_command(folder: Path, *args: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "snakemake",
        "--snakefile",
        str(ROOT / "Snakefile"),
        "--directory",
        str(folder),
        *args,
    ]


def write_config(folder: Path, **settings) -> None:
    (folder / "config").mkdir(parents=True, exist_ok=True)
    config = {"specs": "specs", "outputs": "outputs", "title": "benchmark", **settings}
    (folder / "config" / "config.yaml").write_text(json.dumps(config))


def report(lines: list[str]) -> None:
    print(f"# {machine()}")
    for line in lines:
        print(line)
