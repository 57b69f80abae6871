"""Semantic checks beyond the schema: small registered functions over a defaults-filled spec."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from netspec.data.kinds import DatasetInfo
from netspec.errors import Problem
from netspec.spec.inference import Summary
from netspec.spec.layers import format_shape
from netspec.spec.optimizers import OPTIMIZERS


@dataclass(frozen=True)
class Context:
    spec: dict
    dataset: DatasetInfo
    origin: Callable[[tuple], str]

    def problem(self, path: tuple, message: str) -> Problem:
        return Problem(self.origin(path), path, message)


# Each check with the top-level sections it reads: it runs only when those passed the schema,
# so a spec with mistakes in several sections still hears about all of them at once.
CHECKS: list[tuple[Callable[[Context], list[Problem]], frozenset[str]]] = []


def check(*reads: str):
    def register(function: Callable[[Context], list[Problem]]):
        CHECKS.append((function, frozenset(reads)))
        return function

    return register


@check("optimizer")
def optimizer_arguments(ctx: Context) -> list[Problem]:
    """momentum, nesterov, betas... only where the chosen optimizer takes them."""
    optimizer = ctx.spec["optimizer"]
    accepted = OPTIMIZERS[optimizer["name"]].fields
    problems = []
    for key in sorted(set(optimizer) - {"name", "learning_rate"} - set(accepted)):
        users = [name for name, kind in OPTIMIZERS.items() if key in kind.fields]
        problems.append(
            ctx.problem(
                ("optimizer", key),
                f"{key} applies only to {', '.join(users)}; received it with optimizer "
                f"{optimizer['name']!r}, which takes: {', '.join(['learning_rate', *accepted])}",
            )
        )
    return problems


@check("data")
def split_sizes(ctx: Context) -> list[Problem]:
    """A held-out validation fraction must leave samples on both sides."""
    data = ctx.spec["data"]
    fraction = data["validation"]
    if fraction == "test":
        return []
    samples = min(ctx.dataset.train_samples, data["max_train_samples"] or ctx.dataset.train_samples)
    held_out = validation_count(samples, fraction)
    if 1 <= held_out < samples:
        return []
    return [
        ctx.problem(
            ("data", "validation"),
            (
                f"expected a fraction that leaves both training and validation samples; {fraction} of "
                f"{samples} training samples holds out {held_out}"
            ),
        )
    ]


def validation_count(samples: int, fraction: float) -> int:
    return int(round(samples * fraction))


def output_matches(ctx: Context, summary: Summary, layers: list[dict], file: str) -> list[Problem]:
    """The last layer must be a softmax over exactly the dataset's classes."""
    classes = ctx.dataset.num_classes
    last = layers[-1]
    path = ("model", "layers", len(layers) - 1)
    if summary.output_shape != (classes,):
        return [
            Problem(
                file,
                path,
                (
                    f"expected the output shape to be ({classes},), one unit per class of dataset "
                    f"{ctx.dataset.name!r}; received {format_shape(summary.output_shape)}"
                ),
            )
        ]
    if last["type"] != "dense" or last.get("activation") != "softmax":
        activation = last.get("activation", "none")
        return [
            Problem(
                file,
                path,
                (
                    "expected the last layer to be a dense layer with activation 'softmax', received "
                    f"{last['type']} with activation {activation!r}"
                ),
            )
        ]
    return []
