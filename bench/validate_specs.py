"""Benchmark: `netspec validate` on 1,000 generated specs, in a fresh process (imports included).

Run: python bench/validate_specs.py [--count 1000] [--repeat 5]
Goal: under 2 s on 2 cores, and no TensorFlow import.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from specgen import generate

PROBE = (
    "import sys; from netspec.cli import main; code = main(['validate', sys.argv[1]]); "
    "assert 'tensorflow' not in sys.modules, 'tensorflow was imported'; sys.exit(code)"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        generate(Path(folder), args.count)
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "-c", PROBE, folder], check=True, stdout=subprocess.DEVNULL
            )
            times.append(time.perf_counter() - start)
    median = statistics.median(times)
    print(
        f"validate {args.count} specs: median {median:.2f} s over {args.repeat} runs "
        f"(min {min(times):.2f}, max {max(times):.2f}); goal < 2 s: "
        f"{'met' if median < 2 else 'NOT met'}; tensorflow imported: no"
    )


if __name__ == "__main__":
    main()
