"""The layer registry: for each layer type, its Keras class and arguments, output shape, parameters, FLOPs.

Everything here is pure Python over plain dicts (the IR), so shape inference and parameter counts
never need TensorFlow. The compiler is the only consumer of `keras_class` / `keras_args`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

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
class LayerType:
    keras_class: str
    cost: Callable[[dict, Shape], Cost]
    keras_args: Callable[[dict], dict]


def pair(value: int | list[int]) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (value[0], value[1])


def _need_rank(layer: dict, shape: Shape, rank: int, what: str) -> None:
    if len(shape) != rank:
        raise ShapeError(f"expected {what}")


def _spatial(layer: dict, shape: Shape, window: tuple[int, int], strides: tuple[int, int]) -> Shape:
    _need_rank(layer, shape, 3, "a 3-D input (height, width, channels)")
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


def _batch_norm_cost(layer: dict, shape: Shape) -> Cost:
    channels = shape[-1]
    return Cost(shape, 4 * channels, 2 * channels, 2 * math.prod(shape))


def _flatten_cost(layer: dict, shape: Shape) -> Cost:
    return Cost((math.prod(shape),))


def _global_pool_cost(layer: dict, shape: Shape) -> Cost:
    _need_rank(layer, shape, 3, "a 3-D input (height, width, channels)")
    return Cost((shape[2],), 0, 0, math.prod(shape))


def _same_shape(layer: dict, shape: Shape) -> Cost:
    return Cost(shape)


LAYERS: dict[str, LayerType] = {
    "conv2d": LayerType("Conv2D", _conv2d_cost, _conv2d_args),
    "max_pool2d": LayerType("MaxPooling2D", _pool_cost, _pool_args),
    "avg_pool2d": LayerType("AveragePooling2D", _pool_cost, _pool_args),
    "dense": LayerType("Dense", _dense_cost, _dense_args),
    "dropout": LayerType("Dropout", _same_shape, lambda layer: {"rate": layer["rate"]}),
    "batch_norm": LayerType(
        "BatchNormalization",
        _batch_norm_cost,
        lambda layer: {"momentum": layer["momentum"], "epsilon": layer["epsilon"]},
    ),
    "flatten": LayerType("Flatten", _flatten_cost, lambda layer: {}),
    "global_avg_pool2d": LayerType("GlobalAveragePooling2D", _global_pool_cost, lambda layer: {}),
    "activation": LayerType(
        "Activation", _same_shape, lambda layer: {"activation": layer["activation"]}
    ),
}


def format_shape(shape: Shape) -> str:
    return "x".join(str(n) for n in shape) if shape else "()"
