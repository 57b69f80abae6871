"""An experiment as planning knows it: one validated run, its identity (the digest of what is
trained), and the runs a variant makes, one per seed."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from netspec.data.kinds import DatasetInfo, DataSource
from netspec.spec.inference import LayerSummary, Summary
from netspec.spec.optimizers import optimizer_args
from netspec.spec.sweep import RUNG_SUFFIX, rungs

ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]*")  # a spec file's name
# A run's id: a spec's id, a sweep point's values (`lr-learning_rate-0.01`), `-sSEED`
RUN_ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9_.-]*")
CONFIRM_PART = "-c"  # a halving point's confirmation run: POINT-cSEED (sweep.halving.confirm)
# Bump when the meaning of a canonical form changes (it is part of every training's identity).
CANONICAL_VERSION = 1


@dataclass(frozen=True)
class Experiment:
    """One validated run: its resolved spec, its IR, its data and its inferred shapes. A spec
    with `training.seeds` is a variant of several runs (`expand`), one per seed."""

    id: str
    file: Path
    spec: dict
    layers: list[dict]
    dataset: DatasetInfo
    summary: Summary
    chain: list[Path] = field(default_factory=list)  # the spec file, then its parents
    variant: str = ""  # the spec's id; runs of one variant differ only by their seed
    point: dict = field(default_factory=dict)  # a sweep point's values: dotted path -> value
    halving: dict = field(default_factory=dict)  # a halving sweep's point: sweep.halving
    rung: int | None = None  # in a halving sweep: the rung this run trains to (netspec.halving)

    @property
    def spec_id(self) -> str:
        """The spec file's id: the sweep a point belongs to, else the experiment's own id."""
        return experiment_id(self.file)

    @property
    def variant_id(self) -> str:
        return self.variant or self.id

    @cached_property
    def canonical(self) -> dict:
        """What is trained, and nothing else: no prose, no resources, keys sorted when dumped."""
        return {
            "version": CANONICAL_VERSION,
            "data": self.spec["data"],
            "layers": self.layers,
            "optimizer": {
                "name": self.spec["optimizer"]["name"],
                **optimizer_args(self.spec["optimizer"]),
            },
            # a run's own seed is its identity; the list of its siblings' seeds is not. The
            # default precision is left out, so specs written before it existed keep their digest.
            "training": {
                k: v
                for k, v in self.spec["training"].items()
                if k != "seeds" and not (k == "precision" and v == "float32")
            },
        }

    @cached_property
    def digest(self) -> str:
        text = json.dumps(self.canonical, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    @cached_property
    def lineage(self) -> str:
        """The digest of what is trained less the epoch count: a state saved by a run of the same
        lineage after fewer epochs is this run's state after as many (netspec's training has
        nothing that depends on the total: no schedule over it, each epoch's order its own)."""
        canonical = {**self.canonical, "training": dict(self.canonical["training"])}
        del canonical["training"]["epochs"]
        text = json.dumps(canonical, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def confirms(self) -> bool:
        """Whether this is a confirmation run of a halving point (fresh seed, no rung)."""
        return bool(self.halving) and self.rung is None

    @property
    def run_id(self) -> str:
        """The run across its rungs (its id less `.rRUNG`); a run outside halving: its id."""
        return self.id if self.rung is None else self.id.removesuffix(f"{RUNG_SUFFIX}{self.rung}")

    def to_json(self) -> dict:
        """Everything known about the experiment as plain JSON data (for the spec cache)."""
        return {
            "id": self.id,
            "file": str(self.file),
            "spec": self.spec,
            "layers": self.layers,
            "dataset": dataclasses.asdict(self.dataset),
            "summary": {
                "input_shape": list(self.summary.input_shape),
                "layers": [dataclasses.asdict(layer) for layer in self.summary.layers],
            },
            "chain": [str(path) for path in self.chain],
            "variant": self.variant,
            "point": self.point,
            "halving": self.halving,
            "rung": self.rung,
            "digest": self.digest,
        }

    @classmethod
    def from_json(cls, data: dict) -> Experiment:
        info = data["dataset"]
        summary = data["summary"]
        experiment = cls(
            data["id"],
            Path(data["file"]),
            data["spec"],
            data["layers"],
            DatasetInfo(**{**info, "input_shape": tuple(info["input_shape"])}),
            Summary(
                tuple(summary["input_shape"]),
                tuple(
                    LayerSummary(**{**row, "output_shape": tuple(row["output_shape"])})
                    for row in summary["layers"]
                ),
            ),
            [Path(path) for path in data["chain"]],
            data["variant"],
            data["point"],
            data.get("halving", {}),
            data.get("rung"),
        )
        experiment.__dict__["digest"] = data["digest"]  # the cached_property's own slot
        return experiment

    @property
    def source(self) -> DataSource:
        return DataSource.of(self.spec["data"]["dataset"])

    @property
    def dataset_key(self) -> str:
        """File-name-safe name of the prepared data this experiment reads."""
        return self.source.key


def experiment_id(path: Path) -> str:
    return Path(path).stem


def is_base(path: Path) -> bool:
    """Files whose name starts with '_' are parents for `extends`, not experiments."""
    return Path(path).name.startswith("_")


def expand(experiment: Experiment) -> list[Experiment]:
    """The runs of a compiled spec: one per seed of `training.seeds` (ids `SPEC-sSEED`, each
    with its own seed and digest), else the spec itself as its only run. A point of a halving
    sweep makes one run per rung of each (ids `RUN.rRUNG`, each trained to its rung's epochs)."""
    seeds = experiment.spec["training"].get("seeds")
    runs = []
    for seed in seeds or ():
        training = {**experiment.spec["training"], "seed": seed}
        del training["seeds"]
        spec = {**experiment.spec, "training": training}
        runs.append(
            dataclasses.replace(
                experiment, id=f"{experiment.id}-s{seed}", spec=spec, variant=experiment.id
            )
        )
    runs = runs or [experiment]
    if not experiment.halving:
        return runs
    epochs = rungs(experiment.halving, experiment.spec["training"]["epochs"])
    confirming = []  # the confirmation runs: fresh seeds, from scratch to the last rung's epochs
    for seed in experiment.halving.get("confirm") or ():
        training = {**experiment.spec["training"], "seed": seed, "epochs": epochs[-1]}
        training.pop("seeds", None)
        confirming.append(
            dataclasses.replace(
                experiment,
                id=f"{experiment.id}{CONFIRM_PART}{seed}",
                spec={**experiment.spec, "training": training},
                variant=experiment.id,
            )
        )
    return [
        dataclasses.replace(
            run,
            id=f"{run.id}{RUNG_SUFFIX}{rung}",
            spec={**run.spec, "training": {**run.spec["training"], "epochs": count}},
            variant=run.variant_id,
            rung=rung,
        )
        for run in runs
        for rung, count in enumerate(epochs)
    ] + confirming
