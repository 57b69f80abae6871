"""Interruptions: a killed Snakemake or trainer, rerun as Snakemake advises, resumes from the last
finished epoch with one trainer per experiment, and ends with the history of a run never
interrupted (deterministic mode)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from workflow_helpers import (
    RESUMABLE,
    ROOT,
    TINY_CONFIG,
    TINY_SPECS,
    wait_for_epochs,
    write_study,
)
from workflow_helpers import snakemake as run_snakemake

pytestmark = pytest.mark.slow

SPECS = {"_base.json": TINY_SPECS["_base.json"], "gamma.json": RESUMABLE}


def _text(path: Path) -> str:
    """A file's text, or "" while it does not exist (a job may be writing it afresh)."""
    try:
        return path.read_text()
    except FileNotFoundError:
        return ""


def trainers(folder) -> list[int]:
    """PIDs of `python -m netspec.train` processes working in `folder`."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            argv = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
            cwd = os.readlink(f"/proc/{entry}/cwd")
        except OSError:
            continue
        if b"-m" in argv and b"netspec.train" in argv and cwd == str(folder):
            found.append(int(entry))
    return found


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    folder = write_study(tmp_path_factory.mktemp("whole"), SPECS, TINY_CONFIG)
    result = run_snakemake(folder, "--cores", "1")
    assert result.returncode == 0, result.stderr[-3000:]
    return folder


def outputs(folder) -> tuple[dict, float]:
    history = json.loads((folder / "outputs/gamma/history.json").read_text())
    metrics = json.loads((folder / "outputs/gamma/metrics.json").read_text())
    return history["metrics"], metrics["test_accuracy"]


def test_kill_9_of_snakemake_then_unlock_and_rerun_resumes_with_one_trainer(
    uninterrupted, tmp_path
):
    folder = write_study(tmp_path, SPECS, TINY_CONFIG)
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile")]
    first = subprocess.Popen(
        [*command, "--directory", str(folder), "--cores", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    lock = folder / "outputs/gamma/.training.lock"
    try:
        wait_for_epochs(folder / "outputs/gamma/.resume/progress.json", 2)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    orphans = trainers(folder)
    assert orphans, "kill -9 of snakemake leaves its training running"
    # The orphan trains on (its last epochs take seconds): paused until the rerun meets it, so
    # that the rerun finds it running however long Snakemake takes to start (the pause ends as
    # the rerun stops it; its SIGTERM waits for the SIGCONT)
    holder = int(lock.read_text())
    os.kill(holder, signal.SIGSTOP)
    try:
        unlock = run_snakemake(folder, "--unlock")
        assert unlock.returncode == 0, unlock.stderr[-2000:]
        said = open(tmp_path / "rerun.out", "w+")  # noqa: SIM115 - read after the rerun
        rerun = subprocess.Popen(
            [*command, "--directory", str(folder), "--cores", "1", "--rerun-incomplete"],
            stdout=said,
            stderr=subprocess.STDOUT,
        )
        log = folder / "outputs/gamma/train.log"
        deadline = time.monotonic() + 300
        while "stopping it" not in _text(log) and rerun.poll() is None:
            assert time.monotonic() < deadline, "the rerun never met the orphaned training"
            time.sleep(0.05)
    finally:
        os.kill(holder, signal.SIGCONT)
    with said:
        assert rerun.wait(timeout=600) == 0, (tmp_path / "rerun.out").read_text()[-3000:]
    log = log.read_text()
    assert f"another training of outputs/gamma is running (pid {holder}); stopping it" in log
    resumed = int(log.split("resumed after epoch ")[1].split()[0])
    assert resumed >= 2
    assert all(not os.path.exists(f"/proc/{pid}") for pid in orphans)
    assert trainers(folder) == []
    assert outputs(folder) == outputs(uninterrupted)


def test_sigterm_of_the_trainer_then_rerun_resumes_to_the_same_history(uninterrupted, tmp_path):
    folder = write_study(tmp_path, SPECS, TINY_CONFIG)
    data = folder / "outputs/data/digits.npz"
    assert run_snakemake(folder, "--cores", "1", "outputs/data/digits.npz").returncode == 0
    out = folder / "outputs/gamma"
    command = [sys.executable, "-m", "netspec.train", "specs/gamma.json", str(data), str(out)]
    trainer = subprocess.Popen(command, cwd=folder, stdout=subprocess.PIPE, text=True)
    done = wait_for_epochs(out / ".resume/progress.json", 3)
    trainer.send_signal(signal.SIGTERM)
    trainer.wait(timeout=60)
    assert done < 40 and not (out / "history.json").exists()
    result = run_snakemake(folder, "--cores", "1")
    assert result.returncode == 0, result.stderr[-3000:]
    log = (out / "train.log").read_text()
    resumed = int(log.split("resumed after epoch ")[1].split()[0])
    earlier = log.split("resumed after epoch ")[0]  # the epochs before the kill, kept
    assert [f"epoch {n}/" in earlier for n in range(1, resumed + 1)] == [True] * resumed
    assert outputs(folder) == outputs(uninterrupted)


def test_a_damaged_saved_state_starts_afresh_instead_of_failing_forever(uninterrupted, tmp_path):
    folder = write_study(tmp_path, SPECS, TINY_CONFIG)
    resume = folder / "outputs/gamma/.resume"
    resume.mkdir(parents=True)
    (resume / "progress.json").write_text('{"digest": "')
    result = run_snakemake(folder, "--cores", "1")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "is damaged" in (folder / "outputs/gamma/train.log").read_text()
    assert outputs(folder) == outputs(uninterrupted)


QUICK = {"quick.json": TINY_SPECS["beta.json"]}  # a run that finishes before the other's epoch 3


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_to_snakemakes_pid_loses_no_finished_run_and_resumes_the_rest(
    uninterrupted, tmp_path, sig
):
    """kill -INT or -TERM of snakemake's PID alone (a script's, a scheduler's way): SIGINT
    interrupts the running training, SIGTERM lets it finish (Snakemake's choice); either way no
    traceback, a last line that says what to run, and the rerun it names retrains nothing that
    finished and resumes the rest to the history of a run never interrupted."""
    folder = write_study(tmp_path, {**SPECS, **QUICK}, TINY_CONFIG)
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile")]
    command += ["--directory", str(folder), "--cores", "2"]
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for_epochs(folder / "outputs/gamma/.resume/progress.json", 3)
        assert (folder / "outputs/quick/metrics.json").exists()
        first.send_signal(sig)
        said, _ = first.communicate(timeout=300)
    finally:
        first.kill()
    assert first.returncode == 128 + sig, said[-3000:]
    assert "Traceback" not in said and "did not complete successfully" not in said
    last = said.strip().splitlines()[-1]
    assert last.startswith("Interrupted:" if sig == signal.SIGINT else "Stopped (SIGTERM):")
    assert last.endswith(
        ("snakemake --cores 2 (the stopped runs resume where they were)", "snakemake --cores 2")
    )
    assert trainers(folder) == []
    rerun = run_snakemake(folder, "--cores", "2", timeout=600)  # as the last line says
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert (folder / "outputs/quick/train.log").read_text().count("--- ") == 1  # not retrained
    log = (folder / "outputs/gamma/train.log").read_text()
    assert ("resumed after epoch " in log) == (sig == signal.SIGINT)
    assert outputs(folder) == outputs(uninterrupted)
