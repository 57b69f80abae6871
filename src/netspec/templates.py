"""The template registry: each template lowers its parameters to the explicit layer list (the IR)."""

from __future__ import annotations

from collections.abc import Callable

from netspec.schema import defaults_of


def make_layer(kind: str, **params) -> dict:
    """A complete IR layer: the schema's defaults for `kind`, overridden by `params`."""
    return {"type": kind, **defaults_of(kind), **params}


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


TEMPLATES: dict[str, Callable[[dict, int], list[dict]]] = {
    "convnet": lower_convnet,
    "mlp": lower_mlp,
}


def lower(model: dict, num_classes: int) -> list[dict]:
    """The IR of a validated, defaults-filled model section."""
    if "template" in model:
        return TEMPLATES[model["template"]](model, num_classes)
    return [dict(layer) for layer in model["layers"]]
