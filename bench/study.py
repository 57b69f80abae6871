"""Figure 5: the default study end to end, `snakemake --cores 4` from an empty outputs folder on
this machine: total wall time, and per job its wall time and peak memory (training jobs: their
run.json; the other jobs: Snakemake's benchmark records, outputs/benchmarks/).

Run: python bench/study.py
Goal: under 5 minutes on 2 cores.
"""

from __future__ import annotations

import csv
import json
import shutil
import tempfile
from pathlib import Path

from _util import ROOT, report, snakemake_command, timed


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        shutil.copytree(ROOT / "specs", folder / "specs")
        shutil.copytree(ROOT / "config", folder / "config")
        seconds, result = timed(snakemake_command(folder, "--cores", "4"))
        assert result.returncode == 0, result.stderr[-3000:]
        rows = []
        for path in sorted((folder / "outputs").glob("*/run.json")):
            run = json.loads(path.read_text())
            rows.append(
                f"  train/{path.parent.name:<22} {run['wall_time_s']:>7.1f} s  "
                f"peak RSS {run['peak_rss_mb']:>8} MB"
            )
        for path in sorted((folder / "outputs/benchmarks").rglob("*.tsv")):
            with path.open() as handle:
                record = next(csv.DictReader(handle, delimiter="\t"))
            name = str(path.relative_to(folder / "outputs/benchmarks"))[:-4]
            rows.append(
                f"  {name:<28} {float(record['s']):>7.1f} s  peak RSS {record['max_rss']:>8} MB"
            )
    report(
        [
            f"default study, snakemake --cores 4: {seconds:.1f} s wall "
            f"(goal < 300 s: {'met' if seconds < 300 else 'NOT met'})",
            *rows,
        ]
    )


if __name__ == "__main__":
    main()
