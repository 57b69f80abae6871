"""The optimizer registry: spec name -> Keras class and the arguments that optimizer accepts."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OptimizerType:
    keras_class: str
    defaults: dict  # every argument this optimizer takes besides learning_rate, with its default


OPTIMIZERS: dict[str, OptimizerType] = {
    # The seed's SGD always had momentum 0.9; that is netspec's default too.
    "sgd": OptimizerType("SGD", {"momentum": 0.9, "nesterov": False}),
    "adam": OptimizerType("Adam", {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}),
    "adamw": OptimizerType(
        "AdamW", {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7, "weight_decay": 0.004}
    ),
    "rmsprop": OptimizerType("RMSprop", {"rho": 0.9, "momentum": 0.0, "epsilon": 1e-7}),
}


def optimizer_args(optimizer: dict) -> dict:
    """Keras constructor arguments of a validated optimizer spec, defaults filled."""
    kind = OPTIMIZERS[optimizer["name"]]
    args = {"learning_rate": optimizer["learning_rate"]}
    for key, default in kind.defaults.items():
        args[key] = optimizer.get(key, default)
    return args
