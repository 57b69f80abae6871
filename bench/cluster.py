"""Figure C: small runs packed on SLURM. A 12-point digits sweep (learning rate x units, tiny
runs, 1 thread each) through profiles/slurm on the test's one-node SLURM (tests/cluster/slurm.sh:
2 CPUs), packed 4 to an allocation (the profile as shipped) against ungrouped (config pack that
admits no run: each run its own allocation and its own process). Counted from the study's own
records: sbatch submissions (Snakemake's log), TensorFlow starts (run.json: each run's process
and its how-manieth run), allocations; and the wall time of each whole study.

Run (root, with apt-get; installs SLURM and munge for the run and purges them after):
    python bench/cluster.py [--rounds 1]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import tempfile
from pathlib import Path

from _util import ROOT, median, report, snakemake_command, timed

SLURM = ROOT / "tests/cluster/slurm.sh"
PROFILE = ROOT / "profiles/slurm"
BASE = {
    "data": {"dataset": "digits", "max_train_samples": 200, "max_test_samples": 100},
    "model": {"template": "convnet", "units": 4, "padding": "same"},
    "optimizer": {"name": "adam", "learning_rate": 0.01},
    "training": {"epochs": 2, "batch_size": 50, "seed": 0, "deterministic": True},
}
SWEEP = {
    "extends": "_base.json",
    "sweep": {
        "grid": {"optimizer.learning_rate": [0.03, 0.01, 0.003], "model.units": [2, 4, 6, 8]}
    },
}
# No run fits config pack: one allocation each. (--config replaces the profile's config list,
# so its settings are given again.)
UNGROUPED = (
    "shared_workers=false",
    "terminal=snakemake",
    "pack={threads: 1, mem_mb: 1, runtime: 1}",
)


def study(folder: Path) -> Path:
    (folder / "specs").mkdir(parents=True)
    (folder / "config").mkdir()
    (folder / "specs/_base.json").write_text(json.dumps(BASE))
    (folder / "specs/sweep.json").write_text(json.dumps(SWEEP))
    config = {"specs": "specs", "outputs": "outputs", "title": "cluster benchmark"}
    (folder / "config/config.yaml").write_text(json.dumps(config))
    return folder


def run(folder: Path, *extra: str) -> dict:
    command = ["timeout", "-k", "15", "900", *snakemake_command(folder, "--profile", str(PROFILE))]
    seconds, result = timed([*command, *extra], cwd=folder)
    assert result.returncode == 0, result.stderr[-3000:]
    runs = [json.loads(p.read_text()) for p in folder.glob("outputs/sweep-*/run.json")]
    assert len(runs) == 12, len(runs)
    log = result.stdout + result.stderr
    return {
        "wall": seconds,
        "submissions": len(re.findall(r"has been submitted with SLURM jobid", log)),
        "allocations": len({r["slurm"]["job_id"] for r in runs}),
        "tensorflow_starts": sum(r["process"]["run"] == 1 for r in runs),
        "metrics": {
            p.parent.name: json.loads(p.read_text())["metrics"]
            for p in folder.glob("outputs/sweep-*/history.json")
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1, help="grouped, then ungrouped, N times")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        state = Path(scratch) / "slurm"
        env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
        env["SLURM_CONF"] = str(state / "slurm.conf")
        env["PATH"] = f"{state / 'bin'}{os.pathsep}{env['PATH']}"
        os.environ.clear()
        os.environ.update(env)
        subprocess.run(["bash", str(SLURM), "start", str(state)], check=True, capture_output=True)
        try:
            rounds = []
            for index in range(args.rounds):
                grouped = run(study(Path(scratch) / f"grouped-{index}"))
                alone = run(study(Path(scratch) / f"alone-{index}"), "--config", *UNGROUPED)
                assert grouped["metrics"] == alone["metrics"]  # the same histories, run for run
                rounds.append((grouped, alone))
        finally:
            subprocess.run(["bash", str(SLURM), "stop", str(state)], capture_output=True)
    lines = ["12-run digits sweep through profiles/slurm on a one-node SLURM (2 CPUs)"]
    for name, pick in (("packed 4 to an allocation", 0), ("ungrouped", 1)):
        picked = [r[pick] for r in rounds]
        lines.append(
            f"{name}: wall {median([r['wall'] for r in picked]):.1f} s "
            f"(rounds: {', '.join(format(r['wall'], '.1f') for r in picked)}); sbatch submissions "
            f"{picked[0]['submissions']}, allocations {picked[0]['allocations']}, TensorFlow "
            f"starts {picked[0]['tensorflow_starts']}"
        )
    ratio = median([alone["wall"] / grouped["wall"] for grouped, alone in rounds])
    lines.append(f"ungrouped / packed wall time: {ratio:.2f}x; histories equal run for run")
    report(lines)


if __name__ == "__main__":
    main()
