"""Figure 3: `snakemake -n` wall time with 10, 100 and 1,000 generated specs; no TensorFlow.

Run: python bench/parse_scaling.py [--counts 10 100 1000] [--repeat 3]
Goal: under 5 s at 1,000 specs, roughly linear.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from _util import ROOT, median, report, snakemake_command, timed, write_config
from specgen import generate

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


FLOOR = """
IDS = [f"v{i:04d}" for i in range(COUNT)]
rule all:
    input: "o/report.html"
rule report:
    input: expand("o/{e}/curves.png", e=IDS), expand("o/{e}/metrics.json", e=IDS), "o/cmp.png"
    output: "o/report.html"
    shell: "touch {output}"
rule study_plots:
    input: expand("o/{e}/metrics.json", e=IDS)
    output: "o/cmp.png"
    shell: "touch {output}"
rule data:
    output: "o/data.npz"
    shell: "touch {output}"
rule train:
    input: "o/data.npz"
    output: "o/{e}/history.json"
    shell: "touch {output}"
rule history:
    input: "o/{e}/history.json"
    output: "o/{e}/metrics.json"
    shell: "touch {output}"
rule curves:
    input: "o/{e}/history.json"
    output: "o/{e}/curves.png"
    shell: "touch {output}"
"""


def floor(count: int, repeat: int) -> float:
    """Snakemake alone: the same job graph with trivial rules and no netspec at all."""
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "Snakefile").write_text(FLOOR.replace("COUNT", str(count)))
        times = []
        for _ in range(repeat):
            seconds, result = timed(
                [sys.executable, "-m", "snakemake", "-n", "--cores", "4"], cwd=folder
            )
            assert result.returncode == 0, result.stderr[-2000:]
            times.append(seconds)
    return median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--counts", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    lines, results = [], {}
    for count in args.counts:
        with tempfile.TemporaryDirectory() as folder:
            folder = Path(folder)
            generate(folder / "specs", count)
            write_config(folder)
            times = []
            for _ in range(args.repeat):
                command = [
                    sys.executable,
                    "-c",
                    PROBE,
                    *snakemake_command(folder, "-n", "--cores", "4")[3:],
                ]
                seconds, result = timed(command, cwd=ROOT)
                assert result.returncode == 0, result.stderr[-2000:]
                assert "TENSORFLOW_IMPORTED False" in result.stderr, "TensorFlow imported"
                times.append(seconds)
        results[count] = median(times)
        control = floor(count, args.repeat)
        lines.append(
            f"snakemake -n, {count:>5} specs ({3 * count + 3} jobs): median "
            f"{results[count]:.2f} s over {args.repeat} (min {min(times):.2f}); Snakemake alone "
            f"on the same job graph (trivial rules, no netspec): {control:.2f} s; "
            "TensorFlow imported: no"
        )
    if len(results) > 1:
        low, high = min(results), max(results)
        per_spec = (results[high] - results[low]) / (high - low)
        lines.append(
            f"marginal cost {1000 * per_spec:.1f} ms per spec; fixed cost "
            f"~{results[low] - low * per_spec:.2f} s"
        )
    if 1000 in results:
        lines.append(f"goal < 5 s at 1,000 specs: {'met' if results[1000] < 5 else 'NOT met'}")
    report(lines)


if __name__ == "__main__":
    main()
