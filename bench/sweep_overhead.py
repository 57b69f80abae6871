"""Figure S: where a sweep of small runs spends its time. A 60-point digits sweep (learning rate
x units on the default study's convnet, 20 epochs, 1 thread per run, one seed) run by the
workflow at --cores 2 from an empty outputs folder. The ideal is the sum of the runs'
training-loop times (their epochs) divided by the cores; the rest is start-up (process start to
the first batch: Python, TensorFlow's import, data, model build, the first step's trace), the
end of each job (testing, saving), and Snakemake's own scheduling and the study jobs.

Run: python bench/sweep_overhead.py [--epochs 20] [--cores 2]
Goal (issue 15): wall <= 1.3 x ideal.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from _util import ROOT, median, report, snakemake_command, timed, write_config

GRID = {
    "optimizer.learning_rate": [0.03, 0.01, 0.003, 0.001, 0.0003, 0.0001],
    "model.units": [10, 20, 30, 40, 50, 60, 70, 80, 90, 100],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument(
        "--snakemake", default="", help="more arguments for snakemake, one string (a comparison)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        (folder / "specs").mkdir()
        base = json.loads((ROOT / "specs/_base.json").read_text())
        base["training"] = {**base["training"], "epochs": args.epochs, "seeds": None}
        base["resources"] = {"threads": 1}
        (folder / "specs/_base.json").write_text(json.dumps(base))
        sweep = {"extends": "_base.json", "sweep": {"grid": GRID}}
        (folder / "specs/lr.json").write_text(json.dumps(sweep))
        write_config(folder)
        began = time.time()
        command = snakemake_command(folder, "--cores", str(args.cores), *args.snakemake.split())
        seconds, result = timed(command, cwd=folder)
        assert result.returncode == 0, result.stderr[-3000:]
        runs = [
            json.loads(path.read_text()) for path in sorted(folder.glob("outputs/lr-*/run.json"))
        ]
        # when each phase of the study ended (the files' times), from snakemake's start
        ended = sorted(p.stat().st_mtime - began for p in folder.glob("outputs/lr-*/metrics.json"))
        data_ready = next(folder.glob("outputs/data/*.npz")).stat().st_mtime - began
        page = (folder / "outputs/report/index.html").stat().st_mtime - began
        histories = [
            json.loads(path.read_text())
            for path in sorted(folder.glob("outputs/lr-*/history.json"))
        ]
    loops = [sum(h["epoch_time_s"]) for h in histories]
    lines = _phases(runs, loops)
    starts = [r["timeline_s"]["first_batch_start"] for r in runs]
    imports = [r["timeline_s"]["tensorflow_imported"] for r in runs]
    walls = [r["wall_time_s"] for r in runs]
    ideal = sum(loops) / args.cores
    jobs = sum(walls) / args.cores
    report(
        [
            f"{len(runs)} runs x {args.epochs} epochs, 1 thread each, --cores {args.cores}: "
            f"wall {seconds:.1f} s",
            f"ideal (sum of training-loop times / cores): {ideal:.1f} s; wall / ideal "
            f"{seconds / ideal:.2f}x (goal <= 1.3: {'met' if seconds / ideal <= 1.3 else 'NOT met'})",
            f"sum of the training jobs' wall times / cores: {jobs:.1f} s ({jobs / seconds:.0%} of "
            "the wall time; the rest is Snakemake, the data, plots and report jobs)",
            f"per run: median training loop {median(loops):.2f} s, process start to first batch "
            f"{median(starts):.2f} s (TensorFlow imported at {median(imports):.2f} s), job wall "
            f"{median(walls):.2f} s",
            f"start-up share of the training jobs: {sum(starts) / sum(walls):.0%}",
            f"study: data ready at {data_ready:.1f} s, first run done at {ended[0]:.1f} s, last "
            f"at {ended[-1]:.1f} s, page at {page:.1f} s (after the last run: {page - ended[-1]:.1f} s)",
            "outside the jobs while training (client start, Snakemake between jobs), per run: "
            f"{(args.cores * (ended[-1] - data_ready) - sum(walls)) / len(runs):.2f} s",
            *lines,
        ]
    )


def _phases(runs: list[dict], loops: list[float]) -> list[str]:
    """Median seconds per run in each phase of a training job, from its run.json timeline."""
    marks = ("tensorflow_imported", "data_loaded", "model_built", "first_batch_start")
    marks += ("loop_end", "tested", "saved")
    rows, before = [], "train_called"
    for mark in marks:
        spans = [r["timeline_s"][mark] - r["timeline_s"][before] for r in runs]
        rows.append(f"{before} -> {mark} {median(spans):.3f}")
        before = mark
    rows.append(
        f"saved -> job end {median([r['wall_time_s'] - r['timeline_s']['saved'] for r in runs]):.3f}"
    )
    rows.append(
        f"(start -> train_called {median([r['timeline_s']['train_called'] for r in runs]):.3f})"
    )
    return ["per run, median seconds: " + "; ".join(rows)]


if __name__ == "__main__":
    main()
