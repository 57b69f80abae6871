"""Figure P: float32 against mixed_bfloat16, seconds per epoch and selected validation accuracy
over seeds, through netspec's own training job (`python -m netspec.train`), on two studies:

- digits: the default study's convnet (1 hidden layer, 100 units, Adam 0.01, batch 32, 20 epochs,
  20% held out) on scikit-learn's 1,797 real 8x8 digits, 1 thread;
- fashion-sized: the seed's "optimal" CNN (batch norm + dropout 0.1, batch 128) on 28x28x1 images
  with real signal, Fashion-MNIST's shape: the digits scaled up 3x and padded, tiled to --samples
  with a little noise, 2 threads, --epochs epochs.

Runs alternate between the precisions seed by seed (order swapped each seed), so a noisy
neighbour hits both alike. Seconds per epoch: the median over a run's epochs but its first (the
trace). Whether accuracy moved: a paired t-test over the seeds (netspec.results.statistics).

Run: python bench/precision.py [--seeds 0 1 2] [--samples 16384] [--epochs 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from _util import SEED_SPEC, median, report

from netspec.data.prepare import prepare, write_npz
from netspec.results.statistics import compare_seeds
from netspec.spec.hardware import cpu

PRECISIONS = ("float32", "mixed_bfloat16")


def digits_spec(precision: str, seed: int) -> dict:
    return {
        "data": {"dataset": "digits", "validation": 0.2},
        "model": {"template": "convnet", "hidden_layers": 1, "units": 100, "padding": "same"},
        "optimizer": {"name": "adam", "learning_rate": 0.01},
        "training": {"batch_size": 32, "epochs": 20, "seed": seed, "precision": precision},
    }


def fashion_spec(precision: str, seed: int, data: Path, epochs: int) -> dict:
    """The seed's "optimal" CNN (SEED_SPEC) on the Fashion-MNIST-sized npz, 20% held out."""
    return {
        **SEED_SPEC,
        "data": {"dataset": {"npz": str(data)}, "validation": 0.2},
        "training": {"batch_size": 128, "epochs": epochs, "seed": seed, "precision": precision},
    }


def fashion_sized(path: Path, samples: int) -> None:
    """Real digits at Fashion-MNIST's shape: each 8x8 image scaled 3x to 24x24, padded to 28x28,
    tiled to `samples` training images with Gaussian noise, so the task has signal to learn."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = np.kron(digits.images / 16.0, np.ones((3, 3)))
    images = np.pad(images, ((0, 0), (2, 2), (2, 2)))
    rng = np.random.default_rng(0)
    test = rng.permutation(len(images))[:360]
    train = np.setdiff1d(np.arange(len(images)), test)
    picks = rng.choice(train, samples)
    noisy = images[picks] + rng.normal(0, 0.15, (samples, 28, 28))
    write_npz(
        path,
        {
            "x_train": np.clip(noisy, 0, 1).astype(np.float32),
            "y_train": digits.target[picks],
            "x_test": images[test].astype(np.float32),
            "y_test": digits.target[test],
        },
    )


def run(spec: dict, data: Path, folder: Path, threads: int) -> dict:
    folder.mkdir(parents=True)
    path = folder / "spec.json"
    path.write_text(json.dumps(spec))
    command = [sys.executable, "-m", "netspec.train", str(path), str(data), str(folder / "out")]
    subprocess.run([*command, str(threads)], check=True, capture_output=True, timeout=3600)
    history = json.loads((folder / "out/history.json").read_text())
    metrics = json.loads((folder / "out/metrics.json").read_text())
    return {
        "epoch_s": statistics.median(history["epoch_time_s"][1:] or history["epoch_time_s"]),
        "val": metrics["selected_val_accuracy"],
        "test": metrics["test_accuracy"],
    }


def study(name, make_spec, data, seeds, threads, scratch) -> list[str]:
    results = {p: {} for p in PRECISIONS}
    for index, seed in enumerate(seeds):
        for precision in PRECISIONS if index % 2 == 0 else PRECISIONS[::-1]:
            folder = scratch / f"{name}-{precision}-{seed}"
            results[precision][seed] = run(make_spec(precision, seed), data, folder, threads)
    lines = []
    for precision in PRECISIONS:
        rows = results[precision]
        lines.append(
            f"{name}, {precision}: epoch median {median([r['epoch_s'] for r in rows.values()]):.3f} s; "
            f"selected val accuracy {np.mean([r['val'] for r in rows.values()]):.4f} ± "
            f"{np.std([r['val'] for r in rows.values()], ddof=1):.4f}, test "
            f"{np.mean([r['test'] for r in rows.values()]):.4f} ± "
            f"{np.std([r['test'] for r in rows.values()], ddof=1):.4f} over seeds {list(rows)}; "
            f"per seed: "
            + ", ".join(
                f"{s}: {r['epoch_s']:.3f} s {r['val']:.4f}/{r['test']:.4f}" for s, r in rows.items()
            )
        )
    speed = median([r["epoch_s"] for r in results["float32"].values()]) / median(
        [r["epoch_s"] for r in results["mixed_bfloat16"].values()]
    )
    lines.append(f"{name}: bfloat16 speed-up (float32 / bfloat16 epoch time) {speed:.2f}x")
    for score in ("val", "test"):
        comparison = compare_seeds(
            {s: r[score] for s, r in results["mixed_bfloat16"].items()},
            {s: r[score] for s, r in results["float32"].items()},
        )
        moved = "moved" if comparison.distinguishable else "did not move"
        lines.append(
            f"{name}: {score} accuracy bfloat16 - float32 {100 * comparison.difference:+.2f} points "
            f"({comparison.test}, p = {comparison.p_value:.3g}): {moved} beyond seed noise at 5%"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--samples", type=int, default=16384)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--only", choices=("digits", "fashion-sized"))
    args = parser.parse_args()
    lines = [f"CPU flags that matter: {', '.join(cpu()['flags']) or 'none'}"]
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        if args.only != "fashion-sized":
            prepare("digits", scratch / "digits.npz")
            lines += study("digits", digits_spec, scratch / "digits.npz", args.seeds, 1, scratch)
        if args.only != "digits":
            fashion_sized(scratch / "fashion-source.npz", args.samples)
            prepare({"npz": str(scratch / "fashion-source.npz")}, scratch / "fashion.npz")

            def make(precision, seed):
                return fashion_spec(precision, seed, scratch / "fashion-source.npz", args.epochs)

            lines += study("fashion-sized", make, scratch / "fashion.npz", args.seeds, 2, scratch)
    report(lines)


if __name__ == "__main__":
    main()
