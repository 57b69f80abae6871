"""Cluster execution through profiles/slurm against a real single-node SLURM on localhost.

Only when asked for: `NETSPEC_SLURM_TEST=1 pytest tests/cluster` (.ci/run sets it). Then
tests/cluster/slurm.sh installs SLURM and munge (apt) if missing and starts munged, slurmctld
and slurmd of the test's own, configured, run and logged in a temporary folder (SLURM_CONF
points every SLURM command there); afterwards it stops them and purges what it installed. This
needs root and apt-get, and is skipped with a message elsewhere. Without the variable only the
dry run below runs, and nothing is installed or started. Every snakemake call runs under
`timeout`: a hang is a failure, not a stuck CI.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from workflow_helpers import RESUMABLE, ROOT, TINY_CONFIG, TINY_SPECS, wait_for_epochs, write_study
from workflow_helpers import snakemake as run_snakemake

from netspec.spec.compile import compile_spec
from netspec.spec.resources import PACK_GROUP, job_resources

pytestmark = pytest.mark.slow
SCRIPT = ROOT / "tests/cluster/slurm.sh"
PROFILE = str(ROOT / "profiles/slurm")
# Snakemake with the SLURM plugin's status checks paced for a one-node cluster (its docstring)
SNAKEMAKE = (sys.executable, str(ROOT / "tests/cluster/paced_snakemake.py"))
ENABLE = "NETSPEC_SLURM_TEST"
# Where a system's SLURM and munge keep configuration, state and logs: the test's own cluster
# lives in its temporary folder, and these (and /run's SLURM and munge entries) must be the same
# after it as before, whether they existed or not.
SYSTEM_PATHS = (
    "/etc/slurm",
    "/etc/munge",
    "/var/spool/slurm",
    "/var/spool/slurmctld",
    "/var/spool/slurmd",
    "/var/log/slurm",
    "/var/lib/slurm",
    "/var/log/munge",
    "/var/lib/munge",
)
DAEMONS = ("slurmctld", "slurmd", "munged")

# alpha: one thread; beta: two (the whole test node) and deterministic, as are both.
SPECS = copy.deepcopy(TINY_SPECS)
SPECS["_base.json"]["training"]["deterministic"] = True
SPECS["beta.json"]["training"]["deterministic"] = True
SPECS["alpha.json"]["resources"] = {"threads": 1}
SPECS["beta.json"]["resources"] = {"threads": 2, "runtime": 7}
# The cluster study adds a halving search (one seed: run ids POINT.rR), rung by rung through the
# checkpoints on SLURM: the same decisions and histories as the same study run locally.
SEARCH = {
    **{k: v for k, v in TINY_SPECS["_base.json"].items() if k != "training"},
    "data": {**TINY_SPECS["_base.json"]["data"], "validation": 0.25},
    "training": {"epochs": 3, "batch_size": 50, "seed": 0, "deterministic": True},
    "sweep": {
        "grid": {"optimizer.learning_rate": [0.003, 0.03, 0.3]},
        "halving": {"eta": 3, "min_epochs": 1},
    },
}
STUDY = {**SPECS, "search.json": SEARCH}
# Twelve small runs (the seeds of one spec), all within config `pack`: the profile packs them 4 to
# an allocation, and each allocation's pack worker trains its 4 one after another.
TWELVE = {
    "_base.json": SPECS["_base.json"],
    "small.json": {"extends": "_base.json", "training": {"seeds": list(range(12))}},
}


def snakemake(folder: Path, *args: str, limit: int = 420) -> subprocess.CompletedProcess:
    """The workflow under `timeout`: a hang is a failure, not a stuck CI."""
    result = run_snakemake(
        folder,
        *args,
        timeout=limit + 30,
        wrapper=("timeout", "-k", "15", str(limit)),
        program=SNAKEMAKE,
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


def _train_blocks(text: str) -> dict[str, str | None]:
    """Each training job of a dry run -> the group it was put in (None: submitted alone)."""
    found = {}
    blocks = re.split(r"\n(?=\[)", text)  # top-level blocks: a job, or a group of jobs
    for number, block in enumerate(blocks):
        group = re.match(r"\[[^]]*\] Group job (\S+)", block)
        for name in re.findall(r"rule train:.*?wildcards: exp=(\S+)", block, re.S):
            found[name] = group and f"{group.group(1)} {number}"
    return found


def test_small_runs_are_packed_four_to_an_allocation_and_others_go_alone(tmp_path):
    """config `pack`: no GPU, at most 1 thread, 4096 MB and 60 minutes by default; a run over any
    limit is submitted on its own."""
    specs = {
        "_base.json": SPECS["_base.json"],
        "small.json": {"extends": "_base.json", "training": {"seeds": list(range(5))}},
        "wide.json": {"extends": "_base.json", "resources": {"threads": 2}},
        "gpu.json": {"extends": "_base.json", "resources": {"gpu": 1}},
        "hungry.json": {"extends": "_base.json", "resources": {"mem_mb": 5000}},
        "slow.json": {"extends": "_base.json", "resources": {"runtime": 61}},
        "fits.json": {"extends": "_base.json", "resources": {"mem_mb": 4096, "runtime": 60}},
    }
    folder = write_study(tmp_path, specs)
    result = snakemake(folder, "--dry-run", "--profile", PROFILE, limit=120)
    assert result.returncode == 0, result.stderr[-3000:]
    groups = _train_blocks(result.stdout)
    assert {name for name, group in groups.items() if group is None} == {
        "wide",
        "gpu",
        "hungry",
        "slow",
    }
    packed = [group for group in groups.values() if group is not None]
    assert all(group.startswith(f"{PACK_GROUP} ") for group in packed)
    assert len(packed) == 6  # five seeds and `fits`, in groups of 4 and 2
    assert sorted(packed.count(group) for group in set(packed)) == [2, 4]
    # --resources on the command line replaces the profile's pack=1: a group would be sized side
    # by side (one run's time for four), so nothing packs, and the terminal says why
    loose = snakemake(folder, "--dry-run", "--profile", PROFILE, "--resources", "gpu=1")
    assert loose.returncode == 0, loose.stderr[-3000:]
    assert set(_train_blocks(loose.stdout).values()) == {None}
    assert loose.stderr.count("runs are not packed") == 1


def system_files() -> dict[str, tuple]:
    """Mode, owner and content (sha256, or a link's target) of each entry under SYSTEM_PATHS and
    of /run's SLURM and munge entries."""
    tops = [Path(path) for path in SYSTEM_PATHS]
    tops += sorted(Path("/run").glob("*slurm*")) + sorted(Path("/run").glob("*munge*"))
    seen = {}
    for top in tops:
        paths = [top] if top.exists() or top.is_symlink() else []
        if top.is_dir() and not top.is_symlink():
            for folder, folders, files in os.walk(top):
                paths += [Path(folder, name) for name in folders + files]
        for path in paths:
            info = path.lstat()
            if stat.S_ISREG(info.st_mode):
                content = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                content = os.readlink(path) if stat.S_ISLNK(info.st_mode) else None
            seen[str(path)] = (stat.filemode(info.st_mode), info.st_uid, info.st_gid, content)
    return seen


def running_daemons() -> set[int]:
    """PIDs of every slurmctld, slurmd and munged on the machine."""
    pids = set()
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() in DAEMONS:
                pids.add(int(comm.parent.name))
        except (OSError, ValueError):
            pass  # exited meanwhile
    return pids


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A SLURM of the test's own, in a temporary folder; SLURM_CONF set, and the folder's `srun`
    first on PATH, for the module's tests (and the snakemake runs they start, which inherit
    os.environ)."""
    if os.environ.get(ENABLE) != "1":
        pytest.skip(
            f"real SLURM test, run only when asked: {ENABLE}=1 pytest tests/cluster "
            "(as root with apt-get; installs SLURM and munge, removes them after)"
        )
    if os.geteuid() != 0:
        pytest.skip("the SLURM test installs and starts daemons: it needs root")
    if not (shutil.which("slurmctld") or shutil.which("apt-get")):
        pytest.skip("the SLURM test needs slurmctld installed, or apt-get to install it")
    others = running_daemons()  # a site's own SLURM or munge: left alone, as are its files
    before = system_files()
    state = tmp_path_factory.mktemp("slurm")
    with pytest.MonkeyPatch.context() as env:
        for name in [name for name in os.environ if name.startswith("SLURM_")]:
            env.delenv(name)  # e.g. a surrounding job's SLURM_JOB_ID
        env.setenv("SLURM_CONF", str(state / "slurm.conf"))
        env.setenv("PATH", f"{state / 'bin'}{os.pathsep}{os.environ['PATH']}")  # see slurm.sh
        try:
            started = subprocess.run(
                ["bash", str(SCRIPT), "start", str(state)],
                capture_output=True,
                text=True,
                timeout=900,
            )
            assert started.returncode == 0, started.stdout + started.stderr
            # The script's records of munged, slurmctld and slurmd (the daemons' own: state/run).
            pids = [int(path.read_text()) for path in state.glob("*.pid")]
            assert len(pids) == len(DAEMONS), started.stdout + started.stderr
            yield state
        finally:  # also when the start failed half-way
            stopped = subprocess.run(
                ["bash", str(SCRIPT), "stop", str(state)],
                capture_output=True,
                text=True,
                timeout=120,
            )
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists(), f"daemon {pid} still running"
    after = system_files()
    changed = sorted(
        path
        for path in before.keys() | after.keys()
        if before.get(path) != after.get(path) and (not others or path.startswith("/etc/"))
    )
    assert not changed, f"the SLURM test changed files outside its folder: {changed[:20]}"


@pytest.fixture(scope="module")
def slurm_study(cluster, tmp_path_factory):
    folder = write_study(tmp_path_factory.mktemp("slurm-study"), STUDY)
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
    # the halving search: rung 1 trained the point rung 0's decision promoted, continuing
    decisions = _decisions(slurm_study)
    assert len(decisions) == 2 and len(decisions[0]["promoted"]) == 1
    (survivor,) = decisions[0]["promoted"]
    trained = {f.parent.name for f in (slurm_study / "outputs").glob("search-*/history.json")}
    assert trained == {f"{p}.r0" for p in decisions[0]["ranking"]} | {f"{survivor}.r1"}
    run = json.loads((slurm_study / f"outputs/{survivor}.r1/run.json").read_text())
    assert run["slurm"]["job_id"].isdigit() and run["resumed_from_epoch"] == 1
    assert "alpha" in (slurm_study / "outputs/report/results.csv").read_text()


def _decisions(folder: Path) -> list[dict]:
    return [json.loads(f.read_text()) for f in sorted(folder.glob("outputs/halving/*/*.json"))]


def test_local_and_slurm_give_the_same_history(slurm_study, tmp_path):
    local = write_study(tmp_path, STUDY)
    result = snakemake(local, "--profile", str(ROOT / "profiles/local"), "--cores", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    assert _decisions(local) == _decisions(slurm_study)  # the same survivors, rung by rung
    runs = {f.parent.name for f in (local / "outputs").glob("*/history.json")}
    assert runs == {f.parent.name for f in (slurm_study / "outputs").glob("*/history.json")}
    for name in sorted(runs):
        cluster_history = json.loads((slurm_study / f"outputs/{name}/history.json").read_text())
        local_history = json.loads((local / f"outputs/{name}/history.json").read_text())
        assert cluster_history["metrics"] == local_history["metrics"]
        assert json.loads((local / f"outputs/{name}/run.json").read_text())["slurm"] is None


def test_failing_experiment_fails_the_run_without_hanging(cluster, tmp_path):
    """`greedy` asks for less memory than TensorFlow needs: SLURM kills it, the retry asks for
    twice as much and is killed again; snakemake exits non-zero and alpha still completes.
    (Over config pack's runtime, greedy has an allocation of its own: in a pack it would get the
    pack's memory, the most any of its runs asks for.)"""
    specs = {name: SPECS[name] for name in ("_base.json", "alpha.json")}
    specs["greedy.json"] = {"extends": "_base.json", "resources": {"mem_mb": 150, "runtime": 61}}
    folder = write_study(tmp_path, specs)
    result = snakemake(folder, "--profile", PROFILE, "--retries", "1", limit=300)
    assert result.returncode != 0
    text = result.stdout + result.stderr
    assert "Error in rule train" in text and "greedy" in text
    assert "mem_mb=150," in text and "mem_mb=300," in text  # the retry asked for more
    assert (folder / "outputs/alpha/metrics.json").is_file()
    assert not (folder / "outputs/greedy/history.json").exists()


def test_scancel_of_a_training_job_is_retried_and_resumes_to_the_same_history(cluster, tmp_path):
    """scancel of a job mid-training (SIGTERM, then SIGKILL: what its time limit does too)
    keeps its resume state; the profile's retry resumes it at its last finished epoch, to the
    history of a run never interrupted, in the same snakemake invocation."""
    specs = {"gamma.json": {**RESUMABLE, "training": {**RESUMABLE["training"], "epochs": 15}}}
    local = write_study(tmp_path / "local", specs, TINY_CONFIG)
    result = snakemake(local, "--profile", str(ROOT / "profiles/local"), "--cores", "1")
    assert result.returncode == 0, result.stderr[-3000:]
    folder = write_study(tmp_path / "cluster", specs, TINY_CONFIG)
    command = [*SNAKEMAKE, "--snakefile", str(ROOT / "Snakefile")]
    first = subprocess.Popen(
        ["timeout", "-k", "15", "300", *command, "--directory", str(folder), "--profile", PROFILE],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        done = wait_for_epochs(folder / "outputs/gamma/.resume/progress.json", 3, limit=240)
        jobs = subprocess.run(
            ["squeue", "-h", "-o", "%i"], capture_output=True, text=True, check=True
        ).stdout.split()
        assert len(jobs) == 1, jobs  # gamma's training, the only job left running
        subprocess.run(["scancel", jobs[0]], check=True)
        assert first.wait(timeout=280) == 0  # the profile's retries: the job came back
    finally:
        if first.poll() is None:
            first.kill()
    log = (folder / "outputs/gamma/train.log").read_text()
    assert int(log.split("resumed after epoch ")[1].split()[0]) >= done
    for name in ("history.json", "metrics.json"):
        cluster_file = json.loads((folder / "outputs/gamma" / name).read_text())
        local_file = json.loads((local / "outputs/gamma" / name).read_text())
        key = "metrics" if name == "history.json" else "test_accuracy"
        assert cluster_file[key] == local_file[key]
    again = snakemake(folder, "--profile", PROFILE, "-n")
    assert again.returncode == 0 and "Nothing to be done" in again.stdout + again.stderr


@pytest.fixture(scope="module")
def packed_study(cluster, tmp_path_factory):
    folder = write_study(tmp_path_factory.mktemp("packed"), TWELVE)
    result = snakemake(folder, "--profile", PROFILE)
    assert result.returncode == 0, result.stderr[-4000:]
    return folder, result.stdout + result.stderr


def test_twelve_small_runs_take_three_allocations_and_three_tensorflow_starts(packed_study):
    folder, log = packed_study
    runs = [json.loads(path.read_text()) for path in folder.glob("outputs/small-*/run.json")]
    assert len(runs) == 12
    assert len(re.findall(r"has been submitted with SLURM jobid", log)) == 3
    allocations = {run["slurm"]["job_id"] for run in runs}
    assert len(allocations) == 3
    for job in allocations:
        mine = [run for run in runs if run["slurm"]["job_id"] == job]
        # one process, the allocation's pack worker, trained its 4 runs: TensorFlow started once
        assert len(mine) == 4 and len({run["process"]["pid"] for run in mine}) == 1
        assert sorted(run["process"]["run"] for run in mine) == [1, 2, 3, 4]
        assert all(run["shared_worker"] for run in mine)
        # one run after another: its request is one run's CPUs and memory, four runs' time
        record = subprocess.run(
            ["scontrol", "show", "job", job], capture_output=True, text=True, check=True
        ).stdout
        assert "NumCPUs=1 " in record and "TimeLimit=04:00:00" in record
        assert f"mem={mine[0]['slurm']['mem_per_node']}M" in record
    assert sum(run["process"]["run"] == 1 for run in runs) == 3  # TensorFlow starts


def test_packed_runs_train_what_they_train_alone(packed_study, tmp_path):
    folder, _ = packed_study
    local = write_study(tmp_path, TWELVE)
    result = snakemake(local, "--profile", str(ROOT / "profiles/local"), "--cores", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    for seed in range(12):
        name = f"small-s{seed}"
        for file, key in (("history.json", "metrics"), ("metrics.json", "test_accuracy")):
            packed = json.loads((folder / "outputs" / name / file).read_text())
            alone = json.loads((local / "outputs" / name / file).read_text())
            assert packed[key] == alone[key], name


def _pack_worker_pids() -> list[int]:
    found = []
    for proc in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            command = proc.read_bytes().split(b"\0")
        except OSError:
            continue
        if b"netspec.train.workers" in command and b"--pack" in command:
            found.append(int(proc.parent.name))
    return found


def test_a_packed_run_killed_mid_training_loses_none_of_its_groupmates_work(cluster, tmp_path):
    """The pack worker killed (as the OOM killer would) while it trains the second run of a
    group of 4: the group's attempt fails (no retry here), and Snakemake would delete the files
    of every run of the group; the run that finished keeps them (keep-incomplete), the killed
    run has no metrics.json (so the next invocation trains it, from its last finished epoch),
    and the runs after it had not started."""
    long = {**RESUMABLE, "training": {**RESUMABLE["training"], "epochs": 15}}
    specs = {"long.json": {**long, "training": {**long["training"], "seeds": [0, 1, 2, 3]}}}
    folder = write_study(tmp_path, specs, TINY_CONFIG)
    command = [*SNAKEMAKE, "--snakefile", str(ROOT / "Snakefile")]
    first = subprocess.Popen(
        ["timeout", "-k", "15", "300", *command, "--directory", str(folder), "--profile", PROFILE]
        + ["--retries", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    runs = [folder / f"outputs/long-s{seed}" for seed in range(4)]
    try:
        deadline = time.monotonic() + 240
        while True:  # one run finished, the next two epochs in
            done = [run for run in runs if (run / "metrics.json").exists()]
            going = [run for run in runs if run not in done and _epochs(run) >= 2]
            if done and going:
                break
            assert time.monotonic() < deadline and first.poll() is None, "no second run came"
            time.sleep(0.05)
        (worker,) = _pack_worker_pids()
        os.kill(worker, signal.SIGKILL)
        assert first.wait(timeout=200) != 0
    finally:
        if first.poll() is None:
            first.kill()
    (finished,) = done
    assert {p.name for p in finished.iterdir()} >= {"history.json", "run.json", "metrics.json"}
    (killed,) = going
    assert not (killed / "metrics.json").exists() and _epochs(killed) >= 2
    for run in set(runs) - {finished, killed}:
        assert not (run / "history.json").exists() and not (run / ".resume").exists()


def _epochs(run: Path) -> int:
    try:
        return len(json.loads((run / ".resume/progress.json").read_text())["epochs"])
    except (OSError, ValueError, KeyError):
        return 0
