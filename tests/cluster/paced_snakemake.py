"""`python -m snakemake` for the SLURM tests, its status checks at most PACE_S seconds apart.

The SLURM executor plugin (2.8) waits 10 s longer after every status check that finds no job
finished, up to 3 minutes (`check_active_jobs`, not configurable): on a real cluster that spares
the scheduler; on the test's one-node cluster, whose jobs take seconds, it only adds minutes of
waiting to the suite. Here the wait is capped after each check. Nothing else changes: the same
plugin submits, watches and cancels the same jobs, through the same profile.
"""

import sys

from snakemake_executor_plugin_slurm import Executor

PACE_S = 3
_check = Executor.check_active_jobs


async def _paced(self, active_jobs):
    async for job in _check(self, active_jobs):
        yield job
    self.next_seconds_between_status_checks = min(self.next_seconds_between_status_checks, PACE_S)


Executor.check_active_jobs = _paced

if __name__ == "__main__":
    from snakemake.cli import main

    sys.exit(main())
