"""Validating a thousand specs stays in pure Python: TensorFlow is never imported."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))
from specgen import generate  # noqa: E402

PROBE = """
import sys
from netspec.cli import main
code = main(["validate", sys.argv[1]])
heavy = sorted(m for m in ("tensorflow", "keras", "matplotlib", "snakemake") if m in sys.modules)
print("exit", code, "heavy", ",".join(heavy) or "none")
"""


def test_validating_1000_specs_imports_no_tensorflow(tmp_path):
    generate(tmp_path / "specs", 1000)
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path / "specs")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "1,000 specs valid" in result.stdout
    assert result.stdout.strip().endswith("exit 0 heavy none")
