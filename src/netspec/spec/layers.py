"""The layer types: for each, its fields, its Keras class and arguments, its output shape and cost.

Everything here is pure Python over plain dicts (the IR), so shape inference and parameter counts
never need TensorFlow. Adding a layer type is one `LAYERS.register(LayerKind(...))`: the schema,
validation, shape inference and the Keras build all read it from there (docs/design.md).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from netspec.fields import Field, boolean, choice, integer, number, ref
from netspec.registry import Registry

Shape = tuple[int, ...]

# Activation names a spec may use; each is also a Keras activation of the same name.
ACTIVATIONS = (
    "linear",
    "relu",
    "sigmoid",
    "tanh",
    "softmax",
    "elu",
    "selu",
    "gelu",
    "swish",
    "softplus",
    "leaky_relu",
)


class ShapeError(ValueError):
    """A layer cannot accept its input shape (turned into a SpecError by shape inference)."""


@dataclass(frozen=True)
class Cost:
    """What one layer produces and costs for one sample."""

    shape: Shape
    params: int = 0
    non_trainable: int = 0
    flops: int = 0  # forward multiply-adds counted as 2 FLOPs each


@dataclass(frozen=True)
class LayerKind:
    """One layer type. `cost(layer, input_shape)` gives the output shape, parameters and FLOPs
    and raises ShapeError for an input it cannot take; `keras_args(layer)` gives the Keras
    constructor's arguments (by default the fields, by their own names)."""

    name: str
    keras_class: str
    description: str
    fields: dict[str, Field]
    cost: Callable[[dict, Shape], Cost]
    keras_args: Callable[[dict], dict] | None = None

    def arguments(self, layer: dict) -> dict:
        if self.keras_args is not None:
            return self.keras_args(layer)
        return {name: layer[name] for name in self.fields}


LAYERS: Registry[LayerKind] = Registry("layer type")


def pair(value: int | list[int]) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (value[0], value[1])


def _need_rank(shape: Shape, rank: int, what: str) -> None:
    if len(shape) != rank:
        raise ShapeError(f"expected {what}")


def _spatial(layer: dict, shape: Shape, window: tuple[int, int], strides: tuple[int, int]) -> Shape:
    _need_rank(shape, 3, "a 3-D input (height, width, channels)")
    if layer["padding"] == "same":
        out = tuple(math.ceil(n / s) for n, s in zip(shape[:2], strides, strict=True))
    else:
        out = tuple((n - k) // s + 1 for n, k, s in zip(shape[:2], window, strides, strict=True))
    if min(out) < 1:
        raise ShapeError(
            f"window {window[0]}x{window[1]} with padding {layer['padding']!r} would shrink "
            f"the spatial size below 1x1 (to {out[0]}x{out[1]})"
        )
    return out


def _regularizers(layer: dict) -> dict:
    # A zero L2 is no regularization: attach none rather than a term that adds 0 to every step.
    l2 = layer["l2"]
    return {
        "kernel_regularizer": {"l2": l2["kernel"]} if l2["kernel"] else None,
        "bias_regularizer": {"l2": l2["bias"]} if l2["bias"] and layer["use_bias"] else None,
    }


def same_shape(layer: dict, shape: Shape) -> Cost:
    """The cost of a layer that keeps its input's shape and has no weights."""
    return Cost(shape)


# Fields that several layer types share, declared once.
SIZE = "size"
PADDING = choice(
    ("valid", "same"),
    "'valid' (no padding) or 'same' (output keeps the input size / strides).",
    "valid",
)
ACTIVATION = ref("activation_name", "Activation applied to the output.", "linear")
USE_BIAS = boolean("Whether the layer has a bias vector.", True)
L2 = ref("l2", "L2 regularization factors; 0 means none.", {})


def _conv2d_cost(layer: dict, shape: Shape) -> Cost:
    kernel, strides = pair(layer["kernel_size"]), pair(layer["strides"])
    out = _spatial(layer, shape, kernel, strides) + (layer["filters"],)
    weights = kernel[0] * kernel[1] * shape[2] * layer["filters"]
    bias = layer["filters"] if layer["use_bias"] else 0
    return Cost(out, weights + bias, 0, 2 * weights * out[0] * out[1])


def _conv2d_args(layer: dict) -> dict:
    return {
        "filters": layer["filters"],
        "kernel_size": pair(layer["kernel_size"]),
        "strides": pair(layer["strides"]),
        "padding": layer["padding"],
        "activation": layer["activation"],
        "use_bias": layer["use_bias"],
        **_regularizers(layer),
    }


LAYERS.register(
    LayerKind(
        name="conv2d",
        keras_class="Conv2D",
        description="2-D convolution (keras.layers.Conv2D).",
        fields={
            "filters": integer("Number of output channels.", minimum=1),
            "kernel_size": ref(SIZE, "Kernel height and width: one integer or [height, width].", 3),
            "strides": ref(SIZE, "Strides: one integer or [height, width].", 1),
            "padding": PADDING,
            "activation": ACTIVATION,
            "use_bias": USE_BIAS,
            "l2": L2,
        },
        cost=_conv2d_cost,
        keras_args=_conv2d_args,
    )
)


def _pool_cost(layer: dict, shape: Shape) -> Cost:
    window = pair(layer["pool_size"])
    strides = pair(layer["strides"]) if layer["strides"] is not None else window
    out = _spatial(layer, shape, window, strides) + (shape[2],)
    return Cost(out, 0, 0, window[0] * window[1] * out[0] * out[1] * out[2])


def _pool_args(layer: dict) -> dict:
    strides = layer["strides"]
    return {
        "pool_size": pair(layer["pool_size"]),
        "padding": layer["padding"],
        "strides": pair(strides) if strides is not None else None,
    }


POOL_FIELDS = {
    "pool_size": ref(SIZE, "Pooling window: one integer or [height, width].", 2),
    "strides": Field(
        {"anyOf": [{"$ref": "#/$defs/size"}, {"type": "null"}]},
        "Strides; null means the pool size.",
        None,
    ),
    "padding": choice(("valid", "same"), "'valid' or 'same'.", "valid"),
}

for _name, _class, _what in (
    ("max_pool2d", "MaxPooling2D", "2-D max pooling"),
    ("avg_pool2d", "AveragePooling2D", "2-D average pooling"),
):
    LAYERS.register(
        LayerKind(
            name=_name,
            keras_class=_class,
            description=f"{_what} (keras.layers.{_class}).",
            fields=POOL_FIELDS,
            cost=_pool_cost,
            keras_args=_pool_args,
        )
    )


def _dense_cost(layer: dict, shape: Shape) -> Cost:
    if not shape:
        raise ShapeError("dense expects an input with at least one axis")
    positions = math.prod(shape[:-1])
    weights = shape[-1] * layer["units"]
    bias = layer["units"] if layer["use_bias"] else 0
    return Cost(shape[:-1] + (layer["units"],), weights + bias, 0, 2 * weights * positions)


def _dense_args(layer: dict) -> dict:
    return {
        "units": layer["units"],
        "activation": layer["activation"],
        "use_bias": layer["use_bias"],
        **_regularizers(layer),
    }


LAYERS.register(
    LayerKind(
        name="dense",
        keras_class="Dense",
        description="Fully connected layer (keras.layers.Dense).",
        fields={
            "units": integer("Number of output units.", minimum=1),
            "activation": ACTIVATION,
            "use_bias": USE_BIAS,
            "l2": L2,
        },
        cost=_dense_cost,
        keras_args=_dense_args,
    )
)

LAYERS.register(
    LayerKind(
        name="dropout",
        keras_class="Dropout",
        description="Dropout (keras.layers.Dropout).",
        fields={
            "rate": number(
                "Fraction of inputs dropped during training.", minimum=0, exclusive_maximum=1
            )
        },
        cost=same_shape,
    )
)


def _batch_norm_cost(layer: dict, shape: Shape) -> Cost:
    channels = shape[-1]
    return Cost(shape, 4 * channels, 2 * channels, 2 * math.prod(shape))


LAYERS.register(
    LayerKind(
        name="batch_norm",
        keras_class="BatchNormalization",
        description="Batch normalization (keras.layers.BatchNormalization).",
        fields={
            "momentum": number("Momentum of the moving averages.", 0.99, minimum=0, maximum=1),
            "epsilon": number(
                "Added to the variance to avoid dividing by zero.", 0.001, exclusive_minimum=0
            ),
        },
        cost=_batch_norm_cost,
    )
)

LAYERS.register(
    LayerKind(
        name="flatten",
        keras_class="Flatten",
        description="Flatten to one axis (keras.layers.Flatten).",
        fields={},
        cost=lambda layer, shape: Cost((math.prod(shape),)),
    )
)


def _global_pool_cost(layer: dict, shape: Shape) -> Cost:
    _need_rank(shape, 3, "a 3-D input (height, width, channels)")
    return Cost((shape[2],), 0, 0, math.prod(shape))


LAYERS.register(
    LayerKind(
        name="global_avg_pool2d",
        keras_class="GlobalAveragePooling2D",
        description="Average over height and width (keras.layers.GlobalAveragePooling2D).",
        fields={},
        cost=_global_pool_cost,
    )
)

LAYERS.register(
    LayerKind(
        name="activation",
        keras_class="Activation",
        description="A standalone activation (keras.layers.Activation).",
        fields={"activation": ref("activation_name", "Activation function.")},
        cost=same_shape,
    )
)


def format_shape(shape: Shape) -> str:
    return "x".join(str(n) for n in shape) if shape else "()"
