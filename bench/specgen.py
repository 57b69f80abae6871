"""Generate N valid, varied specs (a base plus variants) for scaling benchmarks and tests."""

from __future__ import annotations

import json
import sys
from pathlib import Path

BASE = {
    "description": "Generated base",
    "data": {"dataset": "digits", "max_train_samples": 200, "max_test_samples": 100},
    "model": {"template": "convnet", "padding": "same", "units": 8},
    "optimizer": {"name": "adam", "learning_rate": 0.01},
    "training": {"epochs": 1, "batch_size": 32},
    "resources": {"threads": 1},
}


def variant(index: int) -> dict:
    """The index-th variant: templates, explicit layers and optimizers in rotation."""
    kind = index % 4
    if kind == 0:
        model = {"hidden_layers": index % 3, "units": 4 + index % 29, "dropout": 0.1}
    elif kind == 1:
        model = {"template": "mlp", "hidden_layers": 1 + index % 3, "units": 8 + index % 50}
    elif kind == 2:
        model = {
            "layers": [
                {
                    "type": "conv2d",
                    "filters": 2 + index % 7,
                    "padding": "same",
                    "activation": "relu",
                },
                {"type": "max_pool2d"},
                {"type": "flatten"},
                {"type": "dense", "units": 10, "activation": "softmax"},
            ]
        }
    else:
        model = {"batch_norm": True, "l2": {"kernel": 0.001 * (index % 5)}}
    optimizer = (
        {"name": "sgd", "learning_rate": 0.001 * (1 + index % 10), "momentum": 0.9}
        if index % 2
        else {"learning_rate": 0.0005 * (1 + index % 20)}
    )
    return {
        "description": f"variant {index}",
        "extends": "_base.json",
        "model": model,
        "optimizer": optimizer,
    }


def generate(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "_base.json").write_text(json.dumps(BASE, indent=2))
    paths = []
    for index in range(count):
        path = folder / f"v{index:04d}.json"
        path.write_text(json.dumps(variant(index), indent=2))
        paths.append(path)
    return paths


def generate_sweep(folder: Path, count: int) -> Path:
    """One spec whose grid has `count` points (10, 100, 1,000: one axis of ten per factor of
    ten): units x learning rate x dropout, the shape of a real sweep."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "_base.json").write_text(json.dumps(BASE, indent=2))
    axes = {
        "model.units": [4 + 2 * i for i in range(10)],
        "optimizer.learning_rate": [round(0.001 * (1 + i), 4) for i in range(10)],
        "model.dropout": [round(0.05 * i, 2) for i in range(10)],
    }
    grid, size = {}, 1
    for path, values in axes.items():
        if size >= count:
            break
        grid[path] = values[: min(10, count // size)]
        size *= len(grid[path])
    if size != count:
        raise ValueError(f"a sweep of {count} points: use 10, 100 or 1000")
    spec = {"description": "Generated sweep", "extends": "_base.json", "sweep": {"grid": grid}}
    path = folder / "sweep.json"
    path.write_text(json.dumps(spec, indent=2))
    return path


if __name__ == "__main__":
    generate(Path(sys.argv[1]), int(sys.argv[2]))
