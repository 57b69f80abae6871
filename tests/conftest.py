"""Shared helpers: write specs into a temporary folder, a valid baseline spec to mutate."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# A small valid spec: the seed convnet with 'same' padding so 8x8 digits survive two poolings.
VALID = {
    "data": {"dataset": "digits"},
    "model": {"template": "convnet", "hidden_layers": 1, "units": 8, "padding": "same"},
    "optimizer": {"name": "adam", "learning_rate": 0.01},
    "training": {"epochs": 1, "batch_size": 32},
}


def valid_spec(**sections) -> dict:
    spec = copy.deepcopy(VALID)
    spec.update(copy.deepcopy(sections))
    return spec


def write_spec(folder: Path, name: str, content: dict | str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    text = content if isinstance(content, str) else json.dumps(content, indent=2)
    path.write_text(text)
    return path


class Hostile:
    """A pickle that runs a command when loaded: loading it must never happen."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """Run in a temporary folder so messages show short relative file names."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def pytest_collection_modifyitems(items):
    """The SLURM test last: once its daemons are stopped, the installed SLURM client makes every
    later `snakemake` start wait on the executor plugin's probes of a controller that is gone."""
    items.sort(key=lambda item: "tests/cluster/" in item.nodeid)
