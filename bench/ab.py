"""Run one benchmark of this folder against two checkouts, alternating round by round.

Run: python bench/ab.py --old /tmp/old --new . --rounds 5 -- parse_scaling.py --repeat 1

Each round runs `python ROOT/bench/SCRIPT ARGS` once for the old checkout, then once for the new
one (the order swapped every other round), with PYTHONPATH=ROOT/src so each checkout's own
`netspec` shadows the installed one; the script is each checkout's own copy. Before the first
round it checks, under the same environment, which `netspec` each checkout imports. Prints every
run's output, prefixed by round and side, for the caller to pair up.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path


def environment(root: Path) -> dict:
    return {**os.environ, "PYTHONPATH": str(root / "src")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--old", type=Path, required=True)
    parser.add_argument("--new", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- SCRIPT [ARGS]")
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    script, *rest = command
    sides = {"old": args.old.resolve(), "new": args.new.resolve()}
    for side, root in sides.items():
        found = subprocess.run(
            [sys.executable, "-c", "import netspec; print(netspec.__file__)"],
            env=environment(root),
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        assert found == str(root / "src/netspec/__init__.py"), (side, found)
        print(f"# {side}: {root} imports {found}", flush=True)
    for round_ in range(args.rounds):
        order = ["old", "new"] if round_ % 2 == 0 else ["new", "old"]
        for side in order:
            root = sides[side]
            result = subprocess.run(
                [sys.executable, str(root / "bench" / script), *rest],
                env=environment(root),
                cwd=root,
                capture_output=True,
                text=True,
            )
            assert result.returncode == 0, (side, result.stderr[-3000:])
            for line in result.stdout.splitlines():
                print(f"round {round_ + 1} {side}: {line}", flush=True)


if __name__ == "__main__":
    main()
