"""A budget on what one experiment may ask for, checked before any job starts: a typo such as
`units: 1000000000` validates, but would only fail (or take the machine down) in its job."""

from __future__ import annotations

from dataclasses import dataclass

from netspec.errors import Problem
from netspec.spec.experiment import Experiment
from netspec.spec.loading import display
from netspec.spec.resources import estimate_mem_mb


@dataclass(frozen=True)
class Budget:
    """Limits per experiment; the study's config sets them (`budget:` in config/config.yaml)."""

    max_params: int = 1_000_000_000
    max_mem_mb: int = 256 * 1024

    def problems(self, experiment: Experiment) -> list[Problem]:
        """What the experiment asks beyond the budget, blamed on its model section."""
        found = []
        params = experiment.summary.params
        if params > self.max_params:
            found.append(
                f"expected a model of at most {self.max_params:,} parameters (config "
                f"budget.max_params), received one of {params:,}"
            )
        memory = estimate_mem_mb(experiment)
        if memory > self.max_mem_mb:
            found.append(
                f"expected a training job within {self.max_mem_mb:,} MB of memory (config "
                f"budget.max_mem_mb), received one estimated at {memory:,} MB"
            )
        return [Problem(display(experiment.file), ("model",), message) for message in found]


DEFAULT_BUDGET = Budget()
