"""Cluster execution through profiles/slurm against a real single-node SLURM on localhost.

The SLURM daemons are installed (apt) and started by tests/cluster/slurm.sh; this needs root and
apt-get, and is skipped with a message elsewhere. Every snakemake call runs under `timeout`: a
hang is a failure, not a stuck CI.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from workflow_helpers import ROOT, TINY_SPECS, write_study
from workflow_helpers import snakemake as run_snakemake

from netspec.resources import job_resources
from netspec.spec import compile_spec

pytestmark = pytest.mark.slow
SCRIPT = ROOT / "tests/cluster/slurm.sh"
PROFILE = str(ROOT / "profiles/slurm")

# alpha: one thread; beta: two (the whole test node) and deterministic, as are both.
SPECS = copy.deepcopy(TINY_SPECS)
SPECS["_base.json"]["training"]["deterministic"] = True
SPECS["beta.json"]["training"]["deterministic"] = True
SPECS["alpha.json"]["resources"] = {"threads": 1}
SPECS["beta.json"]["resources"] = {"threads": 2, "runtime": 7}


def snakemake(folder: Path, *args: str, limit: int = 420) -> subprocess.CompletedProcess:
    """The workflow under `timeout`: a hang is a failure, not a stuck CI."""
    result = run_snakemake(
        folder, *args, timeout=limit + 30, wrapper=("timeout", "-k", "15", str(limit))
    )
    assert result.returncode not in (124, 137), (
        "snakemake hung: killed by timeout\n" + (result.stderr[-3000:])
    )
    return result


def test_dry_run_shows_each_specs_resources(tmp_path):
    specs = copy.deepcopy(SPECS)
    specs["beta.json"]["resources"] = {"threads": 2, "mem_mb": 3000, "runtime": 7, "gpu": 1}
    folder = write_study(tmp_path, specs)
    result = snakemake(folder, "--dry-run", "--profile", PROFILE, limit=120)
    assert result.returncode == 0, result.stderr[-3000:]
    blocks = re.findall(r"rule train:\n(.*?)(?:\n\n|\n\[|\Z)", result.stdout, re.S)
    seen = {}
    for block in blocks:
        name = re.search(r"wildcards: exp=(\w+)", block).group(1)
        resources = dict(
            re.findall(r"(\w+)=([^,\n]+)", re.search(r"resources: (.*)", block).group(1))
        )
        seen[name] = {
            "threads": int(resources["cpus_per_task"]),
            "mem_mb": int(resources["mem_mb"]),
            "runtime": int(resources["runtime"]),
            "gpu": int(resources["gpu"]),
        }
    defaults = {"threads": 1, "runtime": 60, "gpu": 0, "mem_mb": None}
    expected = {
        name: job_resources(compile_spec(folder / "specs" / f"{name}.json"), defaults)
        for name in ("alpha", "beta")
    }
    assert seen == expected
    assert seen["beta"] == {"threads": 2, "mem_mb": 3000, "runtime": 7, "gpu": 1}
    assert seen["alpha"]["mem_mb"] >= 1024  # estimated, not the profile's 1000


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip("the SLURM test installs and starts daemons: it needs root")
    if not (shutil.which("slurmctld") or shutil.which("apt-get")):
        pytest.skip("the SLURM test needs slurmctld installed, or apt-get to install it")
    state = tmp_path_factory.mktemp("slurm")
    started = subprocess.run(
        ["bash", str(SCRIPT), "start", str(state)], capture_output=True, text=True, timeout=900
    )
    assert started.returncode == 0, started.stdout + started.stderr
    pids = [int(path.read_text()) for path in state.glob("*.pid")]  # munged's if it started it
    assert len(pids) >= 2
    yield state
    subprocess.run(["bash", str(SCRIPT), "stop", str(state)], check=True, timeout=60)
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists(), f"daemon {pid} still running"


@pytest.fixture(scope="module")
def slurm_study(cluster, tmp_path_factory):
    folder = write_study(tmp_path_factory.mktemp("slurm-study"), SPECS)
    result = snakemake(folder, "--profile", PROFILE)
    assert result.returncode == 0, result.stderr[-4000:]
    return folder


def test_training_jobs_run_under_slurm_with_the_specs_cpus(slurm_study):
    for name, threads in (("alpha", 1), ("beta", 2)):
        run = json.loads((slurm_study / f"outputs/{name}/run.json").read_text())
        assert run["slurm"] and run["slurm"]["job_id"].isdigit()
        assert run["slurm"]["cpus_per_task"] == str(threads) == str(run["threads"])
        job = subprocess.run(
            ["scontrol", "show", "job", run["slurm"]["job_id"]],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert f"NumCPUs={threads} " in job and "JobState=COMPLETED" in job
    assert (slurm_study / "outputs/report/index.html").stat().st_size > 10_000
    assert "alpha" in (slurm_study / "outputs/report/results.csv").read_text()


def test_local_and_slurm_give_the_same_history(slurm_study, tmp_path):
    local = write_study(tmp_path, SPECS)
    result = snakemake(local, "--profile", str(ROOT / "profiles/local"), "--cores", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    for name in ("alpha", "beta"):
        cluster_history = json.loads((slurm_study / f"outputs/{name}/history.json").read_text())
        local_history = json.loads((local / f"outputs/{name}/history.json").read_text())
        assert cluster_history["metrics"] == local_history["metrics"]
        assert json.loads((local / f"outputs/{name}/run.json").read_text())["slurm"] is None


def test_failing_experiment_fails_the_run_without_hanging(cluster, tmp_path):
    """`greedy` asks for less memory than TensorFlow needs: SLURM kills it, the retry asks for
    twice as much and is killed again; snakemake exits non-zero and alpha still completes."""
    specs = {name: SPECS[name] for name in ("_base.json", "alpha.json")}
    specs["greedy.json"] = {"extends": "_base.json", "resources": {"mem_mb": 150}}
    folder = write_study(tmp_path, specs)
    result = snakemake(folder, "--profile", PROFILE, "--retries", "1", limit=300)
    assert result.returncode != 0
    text = result.stdout + result.stderr
    assert "Error in rule train" in text and "greedy" in text
    assert "mem_mb=150," in text and "mem_mb=300," in text  # the retry asked for more
    assert (folder / "outputs/alpha/metrics.json").is_file()
    assert not (folder / "outputs/greedy/history.json").exists()
