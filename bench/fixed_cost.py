"""Figure 2: fixed cost of a training job, from process start to its first batch, against the
bare cost of `import tensorflow` in a fresh process; with the breakdown netspec records in each
run.json (`timeline_s`), for the digits data and for a Fashion-MNIST-sized dataset.

Run: python bench/fixed_cost.py [--repeat 5]
Goal: first batch no later than `import tensorflow` + 1 s.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
from _util import median, report, timed

from netspec.data.prepare import prepare

STEPS = [
    "train_called",
    "tensorflow_imported",
    "data_loaded",
    "model_built",
    "first_batch_start",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    # The bare import, timed as the job is: seconds from process start to just after it.
    probe = (
        "import tensorflow\nfrom netspec.train.provenance import process_age\nprint(process_age())"
    )
    bare = [
        float(timed([sys.executable, "-c", probe])[1].stdout.split()[-1])
        for _ in range(args.repeat)
    ]
    lines = [
        f"fresh process to the end of 'import tensorflow': median {median(bare):.2f} s "
        f"(min {min(bare):.2f}) over {args.repeat}"
    ]
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        rng = np.random.default_rng(0)
        np.savez(
            folder / "big.npz",
            x_train=rng.integers(0, 256, (60000, 28, 28), np.uint8),
            y_train=rng.integers(0, 10, 60000),
            x_test=rng.integers(0, 256, (10000, 28, 28), np.uint8),
            y_test=rng.integers(0, 10, 10000),
        )
        cases = {
            "digits (1,797 8x8)": (
                "digits",
                {"dataset": "digits"},
                {"template": "mlp", "units": 32},
            ),
            "Fashion-MNIST size (70,000 28x28)": (
                {"npz": str(folder / "big.npz")},
                {"dataset": {"npz": str(folder / "big.npz")}, "max_train_samples": 256},
                {"template": "convnet", "units": 100, "hidden_layers": 1},
            ),
        }
        for label, (source, data, model) in cases.items():
            prepared = folder / f"{abs(hash(label))}.npz"
            prepare(source, prepared)
            spec = folder / "job.json"
            spec.write_text(
                json.dumps(
                    {"data": data, "model": model, "training": {"epochs": 1, "batch_size": 128}}
                )
            )
            timelines = []
            for attempt in range(args.repeat):
                out = folder / f"out{attempt}"
                seconds, result = timed(
                    [
                        sys.executable,
                        "-m",
                        "netspec.train",
                        str(spec),
                        str(prepared),
                        str(out),
                        "2",
                    ]
                )
                assert result.returncode == 0, result.stderr[-2000:]
                timelines.append(json.loads((out / "run.json").read_text())["timeline_s"])
            steps = {s: median([t[s] for t in timelines]) for s in STEPS}
            first = steps["first_batch_start"]
            parts = ", ".join(
                f"{b} {steps[b] - steps[a]:.2f} s" for a, b in zip(STEPS, STEPS[1:], strict=False)
            )
            lines.append(
                f"{label}: first batch at {first:.2f} s after process start "
                f"(median of {args.repeat}); interpreter + netspec imports "
                f"{steps['train_called']:.2f} s, then {parts}"
            )
            verdict = "met" if first <= median(bare) + 1 else "NOT met"
            lines.append(
                f"  over bare import: +{first - median(bare):.2f} s; goal <= +1 s: {verdict}"
            )
    report(lines)


if __name__ == "__main__":
    main()
