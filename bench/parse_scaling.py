"""Figure 3: `snakemake -n` wall time with 10, 100 and 1,000 generated specs; no TensorFlow.

Run: python bench/parse_scaling.py [--counts 10 100 1000] [--repeat 5] [--sweep]
Goal: under 5 s at 1,000 specs, roughly linear. With --sweep, the same counts are the points of
one spec's grid (`sweep`) instead of as many spec files: goal under 5 s at 1,000 points.

Three runs per round, interleaved so a noisy neighbour hits them alike: netspec with an empty
spec cache ("cold": every spec validated, the first plan of a new study), netspec with the cache
of the previous run ("warm": every later plan), and the control: Snakemake alone on the same job
graph with trivial rules and no netspec.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from _util import ROOT, median, report, snakemake_command, timed, write_config
from specgen import generate, generate_sweep

# Run snakemake in-process and report whether TensorFlow got imported while parsing.
PROBE = """
import runpy, sys
sys.argv = ["snakemake"] + sys.argv[1:]
try:
    runpy.run_module("snakemake", run_name="__main__")
except SystemExit as exit:
    code = exit.code
print("TENSORFLOW_IMPORTED", "tensorflow" in sys.modules, file=sys.stderr)
sys.exit(code)
"""

# The same graph as the workflow's: data, one training per spec (declaring history, run record
# and metrics), one plots job reading every history and one report job reading every
# experiment's metrics and run record.
FLOOR = """
IDS = [f"v{i:04d}" for i in range(COUNT)]
rule all:
    input: "o/report.html"
rule report:
    input: expand("o/{e}/metrics.json", e=IDS), expand("o/{e}/run.json", e=IDS), "o/cmp.png"
    output: "o/report.html"
    shell: "touch {output}"
rule plots:
    input: expand("o/{e}/history.json", e=IDS)
    output: "o/cmp.png"
    shell: "touch {output}"
rule data:
    output: "o/data.npz"
    shell: "touch {output}"
rule train:
    input: "o/data.npz"
    output: "o/{e}/history.json", "o/{e}/run.json", "o/{e}/metrics.json"
    shell: "touch {output}"
"""


def netspec_run(folder: Path) -> float:
    command = [sys.executable, "-c", PROBE, *snakemake_command(folder, "-n", "--cores", "4")[3:]]
    seconds, result = timed(command, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "TENSORFLOW_IMPORTED False" in result.stderr, "TensorFlow imported"
    return seconds


def floor_run(folder: Path) -> float:
    seconds, result = timed([sys.executable, "-m", "snakemake", "-n", "--cores", "4"], cwd=folder)
    assert result.returncode == 0, result.stderr[-2000:]
    return seconds


def measure(count: int, repeat: int, sweep: bool = False) -> dict[str, list[float]]:
    times = {"cold": [], "warm": [], "floor": []}
    with tempfile.TemporaryDirectory() as scratch:
        study, floor = Path(scratch, "study"), Path(scratch, "floor")
        (generate_sweep if sweep else generate)(study / "specs", count)
        write_config(study)
        floor.mkdir()
        (floor / "Snakefile").write_text(FLOOR.replace("COUNT", str(count)))
        netspec_run(study)  # Python's and the OS' caches, as for any later run
        floor_run(floor)
        for _ in range(repeat):
            shutil.rmtree(study / ".snakemake", ignore_errors=True)
            times["cold"].append(netspec_run(study))
            times["warm"].append(netspec_run(study))
            times["floor"].append(floor_run(floor))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--counts", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sweep", action="store_true", help="one spec's grid of COUNT points")
    args = parser.parse_args()
    unit = "points of one sweep" if args.sweep else "specs"
    lines, results = [], {}
    for count in args.counts:
        times = measure(count, args.repeat, args.sweep)
        results[count] = {kind: median(values) for kind, values in times.items()}
        shown = ", ".join(
            f"{kind} median {median(values):.2f} s (min {min(values):.2f})"
            for kind, values in times.items()
        )
        lines.append(
            f"snakemake -n, {count:>5} {unit} ({count + 4} jobs), {args.repeat} rounds: {shown}; "
            "TensorFlow imported: no"
        )
    if len(results) > 1:
        low, high = min(results), max(results)
        for kind in ("cold", "warm", "floor"):
            per_spec = (results[high][kind] - results[low][kind]) / (high - low)
            lines.append(
                f"{kind}: marginal cost {1000 * per_spec:.2f} ms per {unit.split()[0][:-1]}"
            )
    if 1000 in results:
        cold, warm = results[1000]["cold"], results[1000]["warm"]
        verdict = "met" if max(cold, warm) < 5 else "NOT met"
        lines.append(
            f"goal < 5 s at 1,000 {unit}: {verdict} (cold {cold:.2f} s, warm {warm:.2f} s)"
        )
    report(lines)


if __name__ == "__main__":
    main()
