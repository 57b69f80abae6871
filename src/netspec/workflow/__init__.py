"""netspec's Snakemake workflow, shipped inside the package: a study's Snakefile uses it as a
module (`netspec init` writes one), so a study lives in its own folder or repository."""

from pathlib import Path

SNAKEFILE = str(Path(__file__).with_name("Snakefile"))


_RECORD: dict = {}  # the parse's record of the study, written when the workflow starts


def study_record(record: dict) -> None:
    """Keep what the parse knows of the study (netspec.layout.study_record) for `started`."""
    _RECORD.clear()
    _RECORD.update(record)


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


def finished(config: dict) -> None:
    """The study's closing line (its winner and where to look), for the study Snakefile's
    `onsuccess` (Snakemake runs only the main Snakefile's handlers, not a module's)."""
    from netspec.results.leaderboard import closing_line

    print(f"\n{closing_line(config['outputs'].rstrip('/'))}")


SCHEDULER_CHATTER = ("Select jobs to execute...", "Execute ")


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

    def keep(record: logging.LogRecord) -> bool:
        if workflow.dryrun:  # known once the executor is chosen, after this file is parsed
            return True
        if getattr(record, "event", None) in hidden:
            return False
        return not (
            record.levelno == logging.INFO and str(record.msg).startswith(SCHEDULER_CHATTER)
        )

    logger.addFilter(keep)
