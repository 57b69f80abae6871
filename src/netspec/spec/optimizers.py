"""The optimizers: for each, its Keras class and the arguments it takes, with ranges and defaults.

Every optimizer takes `learning_rate`; each declares its other arguments under their Keras names.
An argument that several optimizers take is declared once (MOMENTUM, EPSILON...) and given each
optimizer's own default.
"""

from __future__ import annotations

from dataclasses import dataclass

from netspec.fields import Field, boolean, number
from netspec.registry import Registry

DEFAULT = "sgd"
LEARNING_RATE = number("Learning rate.", 0.01, exclusive_minimum=0)


@dataclass(frozen=True)
class OptimizerKind:
    name: str
    keras_class: str
    description: str
    fields: dict[str, Field]  # every argument besides learning_rate, each with its default

    def arguments(self, optimizer: dict) -> dict:
        """Keras constructor arguments of a validated optimizer spec, defaults filled."""
        args = {"learning_rate": optimizer["learning_rate"]}
        for key, declared in self.fields.items():
            args[key] = optimizer.get(key, declared.default)
        return args


OPTIMIZERS: Registry[OptimizerKind] = Registry("optimizer")

MOMENTUM = number("Momentum", minimum=0, exclusive_maximum=1)
BETA_1 = number("Decay of the first moment", minimum=0, exclusive_maximum=1)
BETA_2 = number("Decay of the second moment", minimum=0, exclusive_maximum=1)
EPSILON = number("Numerical stability constant", exclusive_minimum=0)

OPTIMIZERS.register(
    OptimizerKind(
        name="sgd",
        keras_class="SGD",
        description="Stochastic gradient descent with momentum.",
        # The seed's SGD always had momentum 0.9; that is netspec's default too.
        fields={
            "momentum": MOMENTUM.with_default(0.9),
            "nesterov": boolean("Nesterov momentum").with_default(False),
        },
    )
)
OPTIMIZERS.register(
    OptimizerKind(
        name="adam",
        keras_class="Adam",
        description="Adam.",
        fields={
            "beta_1": BETA_1.with_default(0.9),
            "beta_2": BETA_2.with_default(0.999),
            "epsilon": EPSILON.with_default(1e-7),
        },
    )
)
OPTIMIZERS.register(
    OptimizerKind(
        name="adamw",
        keras_class="AdamW",
        description="Adam with decoupled weight decay.",
        fields={
            "beta_1": BETA_1.with_default(0.9),
            "beta_2": BETA_2.with_default(0.999),
            "epsilon": EPSILON.with_default(1e-7),
            "weight_decay": number("Decoupled weight decay", minimum=0).with_default(0.004),
        },
    )
)
OPTIMIZERS.register(
    OptimizerKind(
        name="rmsprop",
        keras_class="RMSprop",
        description="RMSprop.",
        fields={
            "rho": number(
                "Discount of the gradient average", minimum=0, exclusive_maximum=1
            ).with_default(0.9),
            "momentum": MOMENTUM.with_default(0.0),
            "epsilon": EPSILON.with_default(1e-7),
        },
    )
)


def optimizer_args(optimizer: dict) -> dict:
    """Keras constructor arguments of a validated optimizer spec, defaults filled."""
    return OPTIMIZERS[optimizer["name"]].arguments(optimizer)
