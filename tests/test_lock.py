"""One trainer per folder (netspec.train.lock): a leftover trainer is stopped, and the process
stopped is the one the kernel says holds the lock, never one the lock file's text names."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from netspec.train import lock
from netspec.train.lock import LOCK_FILE, holder, sole_trainer

HOLD = textwrap.dedent(
    """
    import fcntl, sys, time
    lock = open(sys.argv[1], "a+")
    fcntl.flock(lock, fcntl.LOCK_EX)
    lock.seek(0); lock.truncate(); lock.write(sys.argv[2]); lock.flush()
    print("held", flush=True)
    time.sleep(600)
    """
)


def _sleeper() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])


def _hold(folder, text: str | None = None) -> subprocess.Popen:
    """A process that holds the folder's lock, its file saying `text` (else its own pid)."""
    folder.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(folder / LOCK_FILE), text or ""],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout.readline() == "held\n"
    if text is None:
        (folder / LOCK_FILE).write_text(str(process.pid))
    return process


@pytest.fixture
def processes():
    started: list[subprocess.Popen] = []
    yield started
    for process in started:
        process.kill()
        process.wait()


def test_a_leftover_trainer_is_stopped_and_the_lock_taken(tmp_path, capsys, processes):
    folder = tmp_path / "run"
    leftover = _hold(folder)
    processes.append(leftover)
    with sole_trainer(folder):
        assert leftover.wait(timeout=30) == -signal.SIGTERM
        assert (folder / LOCK_FILE).read_text() == str(os.getpid())
    said = capsys.readouterr().out
    assert f"another training of {folder} is running (pid {leftover.pid}); stopping it" in said


def test_the_pid_the_lock_file_names_is_never_signalled(tmp_path, capsys, processes):
    """A file's text is anyone's: here it names a bystander, while another process holds the
    lock. The holder is stopped; the bystander lives."""
    folder = tmp_path / "run"
    bystander = _sleeper()
    processes.append(bystander)
    leftover = _hold(folder, str(bystander.pid))
    processes.append(leftover)
    with sole_trainer(folder):
        assert leftover.wait(timeout=30) == -signal.SIGTERM
    assert bystander.poll() is None
    assert f"(pid {leftover.pid}); stopping it" in capsys.readouterr().out


def test_a_holder_no_process_here_owns_is_left_alone_with_a_clear_error(
    tmp_path, monkeypatch, processes
):
    """The kernel's table of another machine (NFS): no process of this one holds the lock, so
    nothing is signalled, whatever pid the file names, and the job stops saying why."""
    folder = tmp_path / "run"
    leftover = _hold(folder)
    processes.append(leftover)
    table = tmp_path / "locks"
    table.write_text("1: FLOCK  ADVISORY  WRITE 1 00:00:1 0 EOF\n")
    monkeypatch.setattr(lock, "LOCKS", str(table))
    with (
        pytest.raises(RuntimeError, match="no process of this machine") as error,
        sole_trainer(folder),
    ):
        pass
    assert "will not train beside it" in str(error.value)
    assert leftover.poll() is None


def test_the_kernels_table_is_read_for_this_file_only(tmp_path):
    path = tmp_path / LOCK_FILE
    with open(path, "a+") as opened:
        status = os.fstat(opened.fileno())
        device = f"{os.major(status.st_dev):02x}:{os.minor(status.st_dev):02x}"
        inode = status.st_ino
        rows = [
            f"1: FLOCK  ADVISORY  WRITE 4242 {device}:{inode + 1} 0 EOF",  # another file
            f"2: OFDLCK ADVISORY  WRITE -1 {device}:{inode} 0 EOF",  # no process
            f"2: -> FLOCK  ADVISORY  WRITE 5151 {device}:{inode} 0 EOF",  # a waiter
        ]
        assert holder(opened, "\n".join(rows)) is None
        mine = f"3: FLOCK  ADVISORY  WRITE 777 {device}:{inode} 0 EOF"
        assert holder(opened, "\n".join([*rows, mine])) == 777
        # a container's overlay: the same inode under the lower filesystem's device
        assert holder(opened, f"3: FLOCK  ADVISORY  WRITE 778 ab:cd:{inode} 0 EOF") == 778
        assert holder(opened, "garbage\n\n1: FLOCK") is None


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run a holder of another user")
def test_a_holder_of_another_user_is_left_alone_with_a_clear_error(processes):
    """A second user's training of the same folder (a shared outputs folder): this job cannot
    signal it, and says so instead of failing with a traceback."""
    import shutil
    import tempfile

    shared = tempfile.mkdtemp(dir="/tmp")
    try:
        os.chmod(shared, 0o777)
        folder = Path(shared) / "run"
        folder.mkdir(mode=0o777)
        os.chmod(folder, 0o777)
        leftover = _hold(folder)  # root's
        processes.append(leftover)
        os.chmod(folder / LOCK_FILE, 0o666)
        said = Path(shared) / "said"
        child = os.fork()
        if child == 0:  # the second user: nobody, with this process's imports
            code = 0
            try:
                os.setgid(65534)
                os.setuid(65534)
                with sole_trainer(folder):
                    pass
            except RuntimeError as error:
                said.write_text(str(error))
                code = 1
            finally:
                os._exit(code)
        _, status = os.waitpid(child, 0)
        assert os.waitstatus_to_exitcode(status) == 1
        assert "in a process of another user" in said.read_text()
        assert f"(pid {leftover.pid})" in said.read_text()
        assert leftover.poll() is None
    finally:
        shutil.rmtree(shared)
