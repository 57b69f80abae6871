"""Shared workers as a service on a shared machine: their folder, their socket, their requests,
their code, and a worker that freezes. The second user is real: made by the test where it runs
as root on Linux (skipped with the reason elsewhere)."""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from conftest import valid_spec, write_spec

from netspec.data.prepare import prepare
from netspec.spec.experiment import expand
from netspec.train.workers import kinds, place, wire
from netspec.train.workers.client import ask, idle_worker

ROOT = Path(__file__).resolve().parents[1]

OTHER = "netspec-other"


@pytest.fixture(scope="module")
def other_user() -> pwd.struct_passwd:
    if sys.platform != "linux" or os.geteuid() != 0:
        pytest.skip("a second local user is made only by a test running as root on Linux")
    try:
        return pwd.getpwnam(OTHER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", OTHER], check=True)
        return pwd.getpwnam(OTHER)


@pytest.fixture
def root(monkeypatch):
    """A short temp root of the test's own (a socket path holds ~100 characters)."""
    folder = Path(tempfile.mkdtemp(prefix="nw", dir="/tmp"))
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setattr(tempfile, "tempdir", None)  # gettempdir() reads TMPDIR again
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_the_folder_is_private_or_refused(root, other_user):
    user = root / f"netspec-{os.getuid()}"
    made = place.private_folder(user)
    assert made == user and (os.stat(user).st_mode & 0o777) == 0o700
    os.chmod(user, 0o755)  # as an older netspec made it under umask 022: closed, not refused
    place.private_folder(user)
    assert os.stat(user).st_mode & 0o777 == 0o700
    os.chmod(user, 0o775)  # group-writable: someone else may have put anything in it
    with pytest.raises(place.Unsafe, match="writable by other users"):
        place.private_folder(user)
    os.chmod(user, 0o700)
    os.chown(user, other_user.pw_uid, other_user.pw_gid)  # made first by another user
    with pytest.raises(
        place.Unsafe, match="belongs to another user .*: its owner or root may remove it"
    ):
        place.private_folder(user)
    shutil.rmtree(user)
    user.symlink_to(root)  # a link planted where the folder goes
    with pytest.raises(place.Unsafe, match="not a directory of its own"):
        place.private_folder(user)
    user.unlink()
    user.write_text("junk")
    with pytest.raises(place.Unsafe, match="not a directory of its own"):
        place.private_folder(user)


def test_lock_and_log_files_follow_no_link_and_are_this_users(root):
    target = root / "elsewhere"
    (root / "a.lock").symlink_to(target)
    with pytest.raises(place.Unsafe):
        place.private_file(root / "a.lock")
    assert not target.exists()  # nothing was made where the link points
    (root / "b.lock").mkdir()  # junk: a directory named like a lock file
    with pytest.raises(place.Unsafe):
        place.private_file(root / "b.lock")
    with place.private_file(root / "c.log", os.O_WRONLY) as handle:
        handle.write("x")
    assert os.stat(root / "c.log").st_mode & 0o777 == 0o600
    # a second name of another file, planted where a log goes: refused before it is emptied
    precious = root / "precious"
    precious.write_text("keep me")
    os.link(precious, root / "d.log")
    with pytest.raises(place.Unsafe, match="alone"):
        place.private_file(root / "d.log", os.O_WRONLY | os.O_TRUNC)
    assert precious.read_text() == "keep me"


def test_the_workers_root_is_one_others_cannot_rename_in(tmp_path, root, monkeypatch):
    """Where others may write (a temp folder), it must be sticky: else another user could swap
    the folder netspec made there between its check and its use."""
    os.chmod(root, 0o777)  # writable by all, not sticky
    with pytest.raises(place.Unsafe, match="not sticky"):
        place.workers_folder()
    os.chmod(root, 0o1777)  # as /tmp is
    monkeypatch.chdir(tmp_path)
    assert place.workers_folder().parent == root / f"netspec-{os.getuid()}"


def test_bad_timeouts_in_the_environment_are_a_clear_error():
    for value in ("0", "-1", "inf", "nan", "soon"):
        env = {**os.environ, "NETSPEC_WORKER_SILENCE_S": value}
        done = subprocess.run(
            [sys.executable, "-c", "import netspec.train.workers.client"],
            env=env,
            capture_output=True,
            text=True,
        )
        assert done.returncode != 0, value
        said = done.stderr.strip().splitlines()[-1]
        assert "NETSPEC_WORKER_SILENCE_S: expected seconds, a finite number above 0" in said
        assert repr(value) in said


def test_a_stopped_worker_with_a_full_queue_hangs_no_client(tmp_path, root, monkeypatch):
    """A worker stopped (SIGSTOP) or frozen while idle takes no connection: once its queue is
    full, a client's connect would block for good. It is passed over at once, and kept (it is
    alive: not a dead worker's socket)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(wire, "ACCEPT_S", 1.0)
    folder = place.workers_folder()
    path = folder / "t1-d0-test-1-1.sock"
    frozen = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    frozen.bind(str(path))
    frozen.listen(0)  # and never accepts
    queued = []
    with contextlib.suppress(BlockingIOError):  # fill its queue, as earlier clients would
        for _ in range(64):
            queued.append(socket.socket(socket.AF_UNIX, socket.SOCK_STREAM))
            queued[-1].setblocking(False)
            queued[-1].connect(str(path))
    found = []
    asking = threading.Thread(
        target=lambda: found.append((wire.connect(path), idle_worker(folder, "t1-d0-test"))),
        daemon=True,
    )
    asking.start()
    asking.join(timeout=10)
    try:
        assert not asking.is_alive(), "a client hung on a worker that takes no connection"
        assert found == [(wire.BUSY, None)]
        assert path.exists() and Path(f"{path}.lock").exists()  # a live worker's: kept
    finally:
        for connection in [*queued, frozen]:
            connection.close()


def _replies_to_client(*lines: bytes) -> tuple[int, str]:
    """What a client (`workers.client.ask`) makes of a worker that sends `lines`: its exit status and
    what it printed."""
    import argparse
    import io
    from contextlib import nullcontext, redirect_stderr, redirect_stdout

    client, worker = socket.socketpair()

    def send() -> None:
        with worker, contextlib.suppress(OSError):  # the client may stop reading
            worker.recv(65536)  # its request, read as a worker does (unread, closing resets)
            for line in lines:
                worker.sendall(line)

    sending = threading.Thread(target=send, daemon=True)
    sending.start()
    said = io.StringIO()
    with redirect_stdout(said), redirect_stderr(said):
        status = ask(
            client, nullcontext(), {"argv": []}, argparse.Namespace(run="a", spec="a.json")
        )
    sending.join(timeout=10)
    return status, said.getvalue()


def test_a_client_bounds_what_a_hostile_worker_sends():
    accepted = b'{"accepted": "t1-d0-test"}\n'
    status, said = _replies_to_client(accepted, b'{"say": "' + b"x" * (3 << 20))  # no newline
    assert status == 1 and "sent something that is not a job's message" in said
    for hostile in (b'{"exit": Infinity}\n', b"[" * 100_000 + b"\n", b'{"exit": "x"}\n'):
        status, said = _replies_to_client(accepted, hostile)
        assert status == 1 and "not a job's message" in said and "Traceback" not in said
    assert _replies_to_client(accepted, b'{"say": "ok"}\n{"exit": 0}\n') == (0, "ok\n")


def _worker(study: Path, root: Path, **env_extra: str) -> tuple[subprocess.Popen, Path]:
    """A worker started as the client starts one (no TensorFlow until its first run)."""
    env = {**os.environ, "TMPDIR": str(root), **env_extra}
    env.pop("XDG_RUNTIME_DIR", None)
    path = root / "w.sock"
    process = subprocess.Popen(
        [sys.executable, "-m", "netspec.train.workers", str(path), "1", "t1-d0-test"],
        cwd=study,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not path.exists():
        assert time.monotonic() < deadline and process.poll() is None, "no worker came up"
        time.sleep(0.05)
    return process, path


def _ask(path: Path, request: dict, user: pwd.struct_passwd | None = None) -> list[dict]:
    """Send a request to the worker at `path` (as `user`), and read its replies."""
    code = (
        "import json, socket, sys\n"
        "c = socket.socket(socket.AF_UNIX); c.settimeout(20); c.connect(sys.argv[1])\n"
        "data = b''\n"
        "try:\n"
        "    c.sendall(sys.argv[2].encode() + b'\\n')\n"
        "    while (chunk := c.recv(65536)): data += chunk\n"
        "except ConnectionResetError: pass  # refused unread\n"
        "print(data.decode())\n"
    )
    # another user cannot reach this interpreter under /root: the system's, stdlib only
    python = shutil.which("python3", path="/usr/bin:/bin") if user else sys.executable
    result = subprocess.run(
        [python or sys.executable, "-c", code, str(path), json.dumps(request)],
        capture_output=True,
        text=True,
        timeout=60,
        user=user.pw_uid if user else None,
        group=user.pw_gid if user else None,
    )
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def test_a_worker_refuses_another_users_connection_and_requests_outside_the_study(
    tmp_path, root, other_user
):
    study = tmp_path / "study"
    spec = write_spec(study / "specs", "a.json", valid_spec())
    process, path = _worker(study, root)
    try:
        assert path.stat().st_mode & 0o077 == 0  # bound under umask 077: this user's alone
        argv = [str(spec), "data.npz", str(study / "outputs/a"), "1", "--run", "a"]
        # the way opened on purpose, to reach the peer check itself
        os.chmod(path, 0o666)
        os.chmod(root, 0o755)
        stolen = argv[:-2] + ["--log", str(study / "outputs/a/train.log")]
        assert _ask(path, {"argv": stolen, "cwd": str(study)}, other_user) == []
        # this user's, but the log lies outside the outputs folder: refused, nothing written
        bashrc = tmp_path / "bashrc"
        replies = _ask(path, {"argv": [*argv, "--log", str(bashrc)], "cwd": str(study)})
        assert replies[0] == {"accepted": "t1-d0-test"} and replies[-1] == {"exit": 1}
        assert "inside the outputs folder" in replies[1]["say"]
        # a run id that would put a second line in a log
        sneaky = [*argv[:-1], "a\necho owned", "--log", str(study / "outputs/a/train.log")]
        replies = _ask(path, {"argv": sneaky, "cwd": str(study)})
        assert "expected a run id" in replies[1]["say"] and replies[-1] == {"exit": 1}
        # a spec outside the study
        outside = write_spec(tmp_path, "outside.json", valid_spec())
        replies = _ask(path, {"argv": [str(outside), *argv[1:]], "cwd": str(study)})
        assert "inside the study" in replies[1]["say"]
        # a run folder outside the study, in no outputs folder of it
        elsewhere = [*argv[:2], str(tmp_path / "elsewhere/a"), *argv[3:]]
        replies = _ask(path, {"argv": elsewhere, "cwd": str(study)})
        assert "expected a run folder inside the study" in replies[1]["say"]
        assert not (tmp_path / "elsewhere").exists()
        # a run folder that is a link out of the study: refused, nothing written where it points
        (study / "outputs").mkdir()
        (study / "outputs/b").symlink_to(tmp_path / "elsewhere")
        linked = [argv[0], argv[1], str(study / "outputs/b"), "1", "--run", "b"]
        replies = _ask(path, {"argv": linked, "cwd": str(study)})
        assert "not a link to one" in replies[1]["say"] and replies[-1] == {"exit": 1}
        (study / "outputs/b").unlink()
        (study / "outputs").rmdir()
        # data that is not a file (a pipe would never end)
        os.mkfifo(tmp_path / "pipe.npz")
        piped = [argv[0], str(tmp_path / "pipe.npz"), *argv[2:]]
        replies = _ask(path, {"argv": piped, "cwd": str(study)})
        assert "not a file" in replies[1]["say"] and replies[-1] == {"exit": 1}
        # a request for another study's folder: closed unanswered
        assert _ask(path, {"argv": argv, "cwd": str(tmp_path)}) == []
        assert not bashrc.exists() and not (study / "outputs").exists()
        assert process.poll() is None  # and the worker serves on
    finally:
        process.kill()
        process.wait()


def test_a_worker_refuses_hostile_bytes_and_a_trickled_request_and_serves_on(tmp_path, root):
    study = tmp_path / "study"
    study.mkdir()
    process, path = _worker(study, root, NETSPEC_WORKER_ACCEPT_S="2")
    try:
        for hostile in (b"[" * 100_000 + b"\n", b"\xff\xfe\n", b"x" * (2 << 20)):
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
                client.settimeout(20)
                client.connect(str(path))
                with contextlib.suppress(OSError):  # it may close before reading it all
                    client.sendall(hostile)
                    assert client.recv(1024) == b""  # closed unanswered
        # one byte a second: cut off at ACCEPT_S for the whole request, not for each byte
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.connect(str(path))
            started = time.monotonic()
            with contextlib.suppress(OSError):
                for _ in range(20):
                    client.sendall(b" ")
                    time.sleep(0.5)
            assert time.monotonic() - started < 8
        assert process.poll() is None  # and the worker serves on
    finally:
        process.kill()
        output = process.communicate()[0]
    assert output.count("refused a request") == 4, output


def test_a_change_of_source_or_interpreter_is_another_identity(tmp_path):
    import netspec

    package = Path(netspec.__file__).resolve().parent
    shutil.copytree(package, tmp_path / "netspec", ignore=shutil.ignore_patterns("__pycache__"))
    code = "from netspec.train.workers.kinds import identity; print(identity())"

    def identity() -> str:
        env = {**os.environ, "PYTHONPATH": str(tmp_path)}
        return subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        ).stdout.strip()

    before = identity()
    assert before == kinds.identity()  # the same files, the same interpreter
    with open(tmp_path / "netspec/train/training.py", "a") as handle:
        handle.write("\n# an edit\n")
    assert identity() != before
    import argparse

    spec = write_spec(tmp_path / "specs", "a.json", valid_spec())
    key = kinds.key_of(argparse.Namespace(threads=1, spec=str(spec), run=None))
    assert key == f"t1-d0-{kinds.identity()}"  # spelled into every worker's key


def test_a_client_reads_its_workers_kind_without_compiling_and_a_worker_refuses_another_kind(
    tmp_path, root
):
    # the kind as a compile would give it: through extends and a sweep over determinism
    study = tmp_path / "study"
    base = valid_spec(training={"deterministic": True, "seeds": [0, 1]})
    write_spec(study / "specs", "_base.json", base)
    swept = {"extends": "_base.json", "sweep": {"grid": {"training.deterministic": [True, False]}}}
    spec = write_spec(study / "specs", "b.json", swept)
    from netspec.spec.compile import compile_variants, declared

    runs = [run for variant in compile_variants(spec) for run in expand(variant)]
    assert len(runs) == 4
    for run in runs:
        hint = declared(spec, run.id, ("training", "deterministic"), False)
        assert hint is run.spec["training"]["deterministic"], run.id
    # the thin client's key costs no compile: no schema validation (jsonschema) is even imported
    code = (
        "import argparse, sys\n"
        "from netspec.train.workers import kinds\n"
        "key = kinds.key_of(argparse.Namespace(threads=2, spec=sys.argv[1], run=sys.argv[2]))\n"
        "print(key, 'jsonschema' in sys.modules)\n"
    )
    found = subprocess.run(
        [sys.executable, "-c", code, str(spec), runs[0].id], capture_output=True, text=True
    )
    assert found.stdout.split() == [f"t2-d1-{kinds.identity()}", "False"], found
    # a run asked of a worker set otherwise than it needs: refused before anything is written
    process, path = _worker(study, root)  # t1-d0: not deterministic
    (study / "outputs" / runs[0].id).mkdir(parents=True)  # as Snakemake makes it
    try:
        argv = [str(spec), "data.npz", str(study / "outputs" / runs[0].id), "1"]
        argv += ["--run", runs[0].id, "--log", str(study / "outputs" / runs[0].id / "train.log")]
        replies = _ask(path, {"argv": argv, "cwd": str(study)})
        assert replies[0] == {"accepted": "t1-d0-test"}
        assert replies[-1] == {"other_kind": f"{runs[0].id} needs deterministic: true"}
        # threads other than its own (its pools are set once): another kind, whatever the key
        wider = [*argv[:3], "2", *argv[4:]]
        replies = _ask(path, {"argv": wider, "cwd": str(study), "key": "t1-d0-test"})
        assert replies[-1] == {"other_kind": "this worker serves t1-d0-test"}
        assert not (study / "outputs" / runs[0].id / ".resume").exists()
        assert process.poll() is None  # and the worker serves on
    finally:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "digits.npz"
    prepare("digits", path)
    return path


def _shared(study: Path, spec: Path, digits: Path, run: str, env: dict, wait=True):
    (study / "outputs" / run).mkdir(parents=True, exist_ok=True)  # as Snakemake makes it
    command = [sys.executable, "-m", "netspec.train", str(spec), str(digits)]
    command += [str(study / "outputs" / run), "1", "--run", run, "--shared"]
    command += ["--log", str(study / "outputs" / run / "train.log")]
    if not wait:
        return subprocess.Popen(
            command, cwd=study, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
    return subprocess.run(command, cwd=study, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_another_users_folder_means_training_in_process_and_a_frozen_worker_is_let_go(
    tmp_path, root, other_user, digits
):
    study = tmp_path / "study"
    spec = write_spec(study / "specs", "a.json", valid_spec())
    env = {**os.environ, "TMPDIR": str(root), "NETSPEC_WORKER_SILENCE_S": "6"}
    env["NETSPEC_WORKER_ACCEPT_S"] = "3"
    env.pop("XDG_RUNTIME_DIR", None)
    user = root / f"netspec-{os.getuid()}"
    user.mkdir(mode=0o700)
    os.chown(user, other_user.pw_uid, other_user.pw_gid)
    result = _shared(study, spec, digits, "a", env)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("shared workers refused:") and "belongs to another user" in lines[0]
    assert lines[-1].startswith("done a:") and "Traceback" not in result.stdout + result.stderr
    shutil.rmtree(user)
    # a worker of other code (another source digest), idle in the folder: never used
    os.chdir(study)
    try:
        folder = place.workers_folder()
    finally:
        os.chdir(ROOT)
    old_key = f"t1-d0-{'0' * 12}"  # valid_spec's runs are not deterministic
    old = subprocess.Popen(
        [sys.executable, "-m", "netspec.train.workers", str(folder / f"{old_key}-1-1.sock")]
        + ["1", old_key],
        cwd=study,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    # a long run in a worker, frozen mid-run: its client ends within the stated silence
    long = write_spec(study / "specs", "long.json", valid_spec(training={"epochs": 400}))
    client = _shared(study, long, digits, "long", env, wait=False)
    pids = []
    deadline = time.monotonic() + 120
    while not pids:
        assert time.monotonic() < deadline, "the worker never started its run"
        time.sleep(0.5)
        if (study / "outputs/long/.resume").exists():
            pids = _worker_pids(root)
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    stopped = time.monotonic()
    try:
        output, _ = client.communicate(timeout=60)
        took = time.monotonic() - stopped
        assert client.returncode == 1 and took < 6 + 5, took
        assert "said nothing for 6 s" in output and "Traceback" not in output
        # the frozen worker is idle now (its client gone): the next run passes it over
        result = _shared(study, spec, digits, "a", env)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "done a:" in result.stdout
    finally:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        old.kill()
    assert "serving" not in old.communicate()[0]  # the old code's worker took no run


def _worker_pids(root: Path) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"netspec.train.workers" in command and any(
                str(root).encode() in c for c in command
            ):
                found.append(int(entry.name))
    return found


def test_socket_peer_credentials_name_this_user():
    left, right = socket.socketpair(socket.AF_UNIX)
    with left, right:
        assert wire.peer_uid(left) == os.getuid()


def test_resume_state_names_are_plain_names_inside_the_resume_folder(tmp_path):
    from netspec.train.resume import plain_name

    resume = tmp_path / ".resume"
    resume.mkdir()
    assert plain_name(resume, "state-3.keras") == resume / "state-3.keras"
    assert plain_name(resume, str(resume / "best-weights.npz")) == resume / "best-weights.npz"
    for hostile in ("/etc/passwd", "../x.npz", "a/b.npz", "..", "", str(tmp_path / "x.npz")):
        with pytest.raises(ValueError, match="not a plain file name"):
            plain_name(resume, hostile)


def test_results_csv_writes_formula_like_text_as_text(tmp_path):
    import csv

    from netspec.results.study import study_at
    from netspec.results.table import write_csv

    spec = {"description": '=HYPERLINK("http://x")', "model": {"padding": "@same"}}
    other = {"description": "plain", "model": {"padding": "valid"}}
    for name, s in (("a", spec), ("b", other)):
        (tmp_path / name).mkdir()
        metrics = {"selected_val_accuracy": -0.5 if name == "a" else 0.5}
        record = {"spec": s, "params": 1, "description": s["description"], "variant": name}
        (tmp_path / name / "metrics.json").write_text(json.dumps(metrics))
        (tmp_path / name / "run.json").write_text(json.dumps({**record, "wall_time_s": 1.0}))
    write_csv(tmp_path / "r.csv", study_at(tmp_path, ["a", "b"]))
    with open(tmp_path / "r.csv", encoding="utf-8") as handle:
        rows = {row["experiment"]: row for row in csv.DictReader(handle)}
    assert rows["a"]["description"] == '\'=HYPERLINK("http://x")'
    assert rows["a"]["model.padding"] == "'@same" and rows["b"]["model.padding"] == "valid"
    assert rows["a"]["selected_val_accuracy"] == "-0.5"  # a number stays a number


def test_text_from_a_worker_reaches_the_terminal_without_control_characters():
    from netspec.text import printable

    spoofed = "done a: val_accuracy 0.9999\x1b[2K\r\x07\x9b31m\tok"
    assert printable(spoofed) == "done a: val_accuracy 0.9999?[2K???31m\tok"


def test_inside_slurm_each_allocation_has_its_own_workers(tmp_path, root, monkeypatch):
    """A worker started in one SLURM job never serves another's runs (their CPUs and memory are
    not its to use), whatever the config says: the workers' folder is per allocation there."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SLURM_JOB_ID", raising=False)
    assert place.allocation() is None
    folders = {place.workers_folder(None), place.workers_folder("11"), place.workers_folder("12")}
    assert len(folders) == 3 and all(f.parent == root / f"netspec-{os.getuid()}" for f in folders)
    monkeypatch.setenv("SLURM_JOB_ID", "11")
    assert place.allocation() == "11"
    monkeypatch.setenv("SLURM_JOB_ID", "../11")  # not a job id: no allocation
    assert place.allocation() is None


def test_a_pack_worker_takes_its_first_runs_kind_of_its_own_code_only():
    mine = f"t1-d0-{kinds.identity()}"
    assert kinds.kind_of({"key": mine}, None) == mine  # a pack worker's first run
    assert kinds.kind_of({"key": "t1-d0-000000000000"}, None) is None  # other code
    assert kinds.kind_of({"key": "t1-d0-x/../"}, None) is None
    assert kinds.kind_of({"key": f"t2-d1-{kinds.identity()}"}, mine) is None
    assert kinds.kind_of({}, mine) == mine  # a client that names no kind: the worker's own


def test_a_pack_worker_serves_its_allocation_and_ends_with_the_jobs_script(tmp_path, root):
    """profiles/slurm's precommand, `{ python -m netspec.train.workers --pack & }`, in a job's
    batch script: the worker listens in its allocation's folder, refuses a run of other code
    before anything is written, and ends when the script (its parent) does."""
    study = tmp_path / "study"
    study.mkdir()
    env = {**os.environ, "TMPDIR": str(root), "SLURM_JOB_ID": "4242"}
    env.pop("XDG_RUNTIME_DIR", None)
    alone = subprocess.run(  # outside an allocation it does nothing
        [sys.executable, "-m", "netspec.train.workers", "--pack"],
        cwd=study,
        env={k: v for k, v in env.items() if k != "SLURM_JOB_ID"},
        timeout=60,
    )
    assert alone.returncode == 0 and not (root / f"netspec-{os.getuid()}").exists()
    script = subprocess.Popen(
        ["sh", "-c", f"{{ {sys.executable} -m netspec.train.workers --pack & }} && exec sleep 60"],
        cwd=study,
        env=env,
    )
    here = os.getcwd()
    os.chdir(study)
    try:
        path = place.workers_folder("4242") / place.PACK_SOCKET
    finally:
        os.chdir(here)
    try:
        deadline = time.monotonic() + 60
        while not path.exists():
            assert time.monotonic() < deadline, "no pack worker came up"
            time.sleep(0.05)
        request = {"argv": ["s.json", "d.npz", str(study / "outputs/r"), "1"], "cwd": str(study)}
        replies = _ask(path, {**request, "key": "t1-d0-000000000000"})
        assert replies[0] == {"accepted": None}
        assert "other_kind" in replies[-1] and not (study / "outputs").exists()
    finally:
        script.terminate()  # the script (exec'd into its sleep), not the worker
        script.wait()
    deadline = time.monotonic() + 30
    while path.exists() or path.parent.exists():  # it went, and left nothing behind
        assert time.monotonic() < deadline, "the pack worker outlived its job's script"
        time.sleep(0.1)
