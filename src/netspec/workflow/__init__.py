"""netspec's Snakemake workflow, shipped inside the package: a study's Snakefile uses it as a
module (`netspec init` writes one), so a study lives in its own folder or repository."""

import contextlib
import os
import signal
import threading
from pathlib import Path

SNAKEFILE = str(Path(__file__).with_name("Snakefile"))


_RECORD: dict = {}  # the parse's record of the study, written when the workflow starts


def study_record(record: dict) -> None:
    """Keep what the parse knows of the study (netspec.layout.study_record) for `started`."""
    _RECORD.clear()
    _RECORD.update(record)


class _Interrupt:
    """Whether this Snakemake was interrupted (SIGINT), for `stopped` and the terminal filter."""

    seen = False
    terminated = False  # SIGTERM: Snakemake lets its running jobs finish, then stops


def _training_jobs() -> list[int]:
    """PIDs of this Snakemake's descendants that are training jobs (`python -m netspec.train`,
    a shared worker's client included; the workers themselves end when their client does)."""
    parents: dict[int, int] = {}
    commands: dict[int, list[bytes]] = {}
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                parents[int(entry)] = int(handle.read().rsplit(b")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                commands[int(entry)] = handle.read().split(b"\0")
        except (OSError, ValueError, IndexError):
            continue
    mine, found = {os.getpid()}, []
    for pid in sorted(parents):  # parents before children, as PIDs mostly are
        if parents[pid] in mine:
            mine.add(pid)
    for pid in sorted(parents):  # and again, for PIDs that wrapped around
        if parents[pid] in mine:
            mine.add(pid)
    for pid in mine - {os.getpid()}:
        command = commands.get(pid, [])
        if b"netspec.train" in command and b"netspec.train.workers" not in command:
            found.append(pid)
    return found


def _interrupted(signum, frame) -> None:
    """SIGINT to Snakemake's PID alone (a script, a scheduler, a multiplexer sends it so; a
    terminal's Ctrl-C signals the whole group): Snakemake would wait for its running jobs and
    then mark their outputs incomplete. Each training job is interrupted too, as Ctrl-C would:
    it stops at once and keeps its resume state, so the rerun resumes it at its last epoch."""
    _Interrupt.seen = True
    for pid in _training_jobs():
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGINT)
    raise KeyboardInterrupt


def started(workflow, config: dict) -> None:
    """For the study Snakefile's `onstart` (jobs are about to run): write OUTPUTS/study.json with
    the runs this invocation trains, so each run's line in the terminal says how many are done
    and about how long the rest will take."""
    from netspec import layout

    planned = sorted(
        job.wildcards_dict["exp"]
        for job in workflow.dag.needrun_jobs()
        if job.rule.name == "train" and "exp" in job.wildcards_dict
    )
    outputs = config["outputs"].rstrip("/")
    layout.write_study_record(outputs, _RECORD or layout.read_study_record(outputs) or {})
    layout.mark_started(outputs, planned)
    if config.get("shared_workers") and workflow.local_exec:
        _prestart_workers(workflow, config)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _interrupted)
        graceful = signal.getsignal(signal.SIGTERM)  # Snakemake's scheduler set it already

        def terminated(signum, frame):
            _Interrupt.terminated = True
            if callable(graceful):
                graceful(signum, frame)

        signal.signal(signal.SIGTERM, terminated)


def _prestart_workers(workflow, config: dict) -> None:
    """Start the shared workers the planned training jobs will want now, while Snakemake
    prepares the data (netspec.train.workers.client.prestart)."""
    import argparse

    from netspec.train.workers.client import prestart

    runs = [
        argparse.Namespace(
            spec=os.path.join(config["specs"], f"{job.params.spec}.json"),
            run=job.wildcards_dict["exp"],
            threads=job.threads,
        )
        for job in workflow.dag.needrun_jobs()
        if job.rule.name in ("train", "train_rung")
    ]
    if runs:
        prestart(runs, workflow.cores)


def stopped(config: dict, cores: int | None = None) -> None:
    """For the study Snakefile's `onerror`: after an interruption, one line on what happened
    and what to run next, and the end (no traceback, no "did not complete" after it). A
    failure of any other kind is Snakemake's to report."""
    if _Interrupt.terminated and not _Interrupt.seen:
        print(
            "\nStopped (SIGTERM): the runs that were training finished and keep their outputs; "
            f"no other job started. To go on: snakemake --cores {cores or 'N'}",
            flush=True,
        )
        raise SystemExit(143)
    if not _Interrupt.seen:
        return
    outputs = config["outputs"].rstrip("/")
    print(
        f"\nInterrupted: runs that finished keep their outputs; runs stopped mid-training keep "
        f"their last finished epoch in {outputs}/RUN/.resume/. To go on: snakemake --cores "
        f"{cores or 'N'} (the stopped runs resume where they were)",
        flush=True,
    )
    raise SystemExit(130)


def finished(config: dict) -> None:
    """The study's closing line (its winner and where to look), for the study Snakefile's
    `onsuccess` (Snakemake runs only the main Snakefile's handlers, not a module's)."""
    from netspec.results.leaderboard import closing_line

    print(f"\n{closing_line(config['outputs'].rstrip('/'))}")


SCHEDULER_CHATTER = ("Select jobs to execute...", "Execute ")
ONCE = ("Will exit after finishing currently running jobs",)


def quiet_scheduler(workflow, terminal: str = "netspec") -> None:
    """With `terminal: netspec` (config, the default), a run's terminal gets netspec's own lines
    (one per run, with progress) instead of Snakemake's per-job rule blocks, "Finished job"
    and "N of M steps" lines, and its "Select jobs to execute..." / "Execute N jobs..." chatter.
    Errors always pass (a job killed by SLURM cannot say anything itself), a dry run keeps
    every block, and Snakemake's log file keeps everything. `terminal: snakemake` shows all."""
    import logging

    from snakemake.logging import logger
    from snakemake_interface_logger_plugins.common import LogEvent

    if terminal != "netspec":
        return
    hidden = {LogEvent.JOB_INFO, LogEvent.GROUP_INFO, LogEvent.JOB_FINISHED, LogEvent.PROGRESS}

    said: set[str] = set()

    def keep(record: logging.LogRecord) -> bool:
        if workflow.dryrun:  # known once the executor is chosen, after this file is parsed
            return True
        if getattr(record, "event", None) in hidden:
            return False
        message = str(record.msg)
        if _Interrupt.seen and (
            getattr(record, "event", None) == LogEvent.JOB_ERROR or "exit status 130" in message
        ):
            return False  # an interrupted job's error and log dump: `stopped` says what to do
        if message.startswith(ONCE):  # SIGTERM: Snakemake says it at every scheduler pass
            if message in said:
                return False
            said.add(message)
        return not (
            record.levelno == logging.INFO and str(record.msg).startswith(SCHEDULER_CHATTER)
        )

    logger.addFilter(keep)
