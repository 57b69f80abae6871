"""The templates: for each, its parameters and how it lowers them to the explicit layer list (IR)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from netspec.fields import Field, boolean, choice, integer, number, ref
from netspec.registry import Registry


@dataclass(frozen=True)
class TemplateKind:
    name: str
    description: str
    fields: dict[str, Field]
    lower: Callable[[dict, int], list[dict]]  # (defaults-filled parameters, classes) -> IR


TEMPLATES: Registry[TemplateKind] = Registry("template")


def make_layer(kind: str, **params) -> dict:
    """An IR layer of type `kind` with the parameters the template sets; the compiler fills in
    the layer type's declared defaults (netspec.spec.compile), so this module needs no schema."""
    return {"type": kind, **params}


def _block_extras(params: dict) -> list[dict]:
    # The seed's order: dropout, then batch normalization, after each block.
    extras = []
    if params["dropout"] is not None:
        extras.append(make_layer("dropout", rate=params["dropout"]))
    if params["batch_norm"]:
        extras.append(make_layer("batch_norm"))
    return extras


def output_layer(num_classes: int) -> dict:
    return make_layer("dense", units=num_classes, activation="softmax")


def lower_convnet(params: dict, num_classes: int) -> list[dict]:
    """The seed's build_convolutional_network, block for block."""
    layers = []
    for _ in range(1 + params["hidden_layers"]):
        layers.append(
            make_layer(
                "conv2d",
                filters=params["units"],
                kernel_size=params["kernel_size"],
                padding=params["padding"],
                activation=params["activation"],
                l2=dict(params["l2"]),
            )
        )
        layers.append(make_layer("max_pool2d", pool_size=params["pool_size"]))
        layers.extend(_block_extras(params))
    return [*layers, make_layer("flatten"), output_layer(num_classes)]


def lower_mlp(params: dict, num_classes: int) -> list[dict]:
    """The seed's dense networks: flatten, then hidden dense layers, then the softmax output."""
    layers = [make_layer("flatten")]
    for _ in range(params["hidden_layers"]):
        layers.append(
            make_layer(
                "dense",
                units=params["units"],
                activation=params["activation"],
                l2=dict(params["l2"]),
            )
        )
        layers.extend(_block_extras(params))
    return [*layers, output_layer(num_classes)]


# Parameters both templates take, declared once.
UNITS = integer("Units per hidden layer (filters for a convnet).", 100, minimum=1)
DROPOUT = number(
    "Dropout rate after each block, or null for no dropout layer.",
    None,
    null=True,
    minimum=0,
    exclusive_maximum=1,
)
BATCH_NORM = boolean("Add a batch normalization layer after each block.", False)
L2 = ref("l2", "L2 regularization factors; 0 means none.", {})

TEMPLATES.register(
    TemplateKind(
        name="convnet",
        description=(
            "The seed's build_convolutional_network: (1 + hidden_layers) blocks of conv2d -> "
            "max_pool2d -> [dropout] -> [batch_norm], then flatten and a softmax dense layer."
        ),
        fields={
            "hidden_layers": integer(
                "Convolutional blocks after the first one.", 0, minimum=0, maximum=64
            ),
            "units": UNITS,
            "kernel_size": ref("size", "Convolution kernel: one integer or [height, width].", 3),
            "pool_size": ref("size", "Max pooling window after each convolution.", 2),
            "padding": choice(
                ("valid", "same"),
                "Convolution padding: 'valid' (the seed's) or 'same' (keeps small images from "
                "shrinking away).",
                "valid",
            ),
            "activation": ref("activation_name", "Activation of the convolutions.", "relu"),
            "dropout": DROPOUT,
            "batch_norm": BATCH_NORM,
            "l2": L2,
        },
        lower=lower_convnet,
    )
)
TEMPLATES.register(
    TemplateKind(
        name="mlp",
        description=(
            "A dense network: flatten, hidden_layers x (dense -> [dropout] -> [batch_norm]), "
            "then a softmax output layer."
        ),
        fields={
            "hidden_layers": integer("Number of hidden dense layers.", 1, minimum=0, maximum=64),
            "units": UNITS,
            "activation": ref("activation_name", "Activation of the hidden layers.", "relu"),
            "dropout": DROPOUT,
            "batch_norm": BATCH_NORM,
            "l2": L2,
        },
        lower=lower_mlp,
    )
)


def lower(model: dict, num_classes: int) -> list[dict]:
    """The IR of a validated, defaults-filled model section (a template's layers carry only what
    it sets: netspec.spec.compile fills each layer type's defaults)."""
    if "template" in model:
        return TEMPLATES[model["template"]].lower(model, num_classes)
    return [dict(layer) for layer in model["layers"]]
