"""Pure-Python shape inference over the IR: each layer's output shape, parameters and FLOPs."""

from __future__ import annotations

from dataclasses import dataclass

from netspec.errors import Problem
from netspec.spec.layers import LAYERS, Shape, ShapeError, format_shape


@dataclass(frozen=True)
class LayerSummary:
    index: int
    type: str
    output_shape: Shape
    params: int
    non_trainable: int
    flops: int


@dataclass(frozen=True)
class Summary:
    input_shape: Shape
    layers: tuple[LayerSummary, ...]

    @property
    def output_shape(self) -> Shape:
        return self.layers[-1].output_shape if self.layers else self.input_shape

    @property
    def params(self) -> int:
        return sum(layer.params for layer in self.layers)

    @property
    def trainable_params(self) -> int:
        return sum(layer.params - layer.non_trainable for layer in self.layers)

    @property
    def flops(self) -> int:
        """Forward FLOPs per sample; a training step costs about three times this."""
        return sum(layer.flops for layer in self.layers)


def infer(
    layers: list[dict],
    input_shape: Shape,
    dataset: str,
    file: str,
    where=lambda index: ("model", "layers", index),
) -> tuple[Summary | None, list[Problem]]:
    """Summarise the IR, or explain the first layer that cannot take its input.

    `where(index)` is the JSON path blamed for layer `index`: the layer itself in an explicit
    list, the `model` object for a template (whose layers the user never wrote).
    """
    shape, rows = tuple(input_shape), []
    for index, layer in enumerate(layers):
        try:
            cost = LAYERS[layer["type"]].cost(layer, shape)
        except ShapeError as error:
            message = (
                f"layer {index} ({layer['type']}): {error}; its input shape is "
                f"{format_shape(shape)}, and dataset {dataset!r} has input shape "
                f"{format_shape(tuple(input_shape))}"
            )
            if layer.get("padding") == "valid":
                message += "; padding 'same' keeps small images from shrinking"
            return None, [Problem(file, where(index), message)]
        rows.append(
            LayerSummary(
                index, layer["type"], cost.shape, cost.params, cost.non_trainable, cost.flops
            )
        )
        shape = cost.shape
    return Summary(tuple(input_shape), tuple(rows)), []


def table(summary: Summary) -> str:
    """The layer table `netspec show` prints, like Keras' model.summary() but computed in Python."""
    lines = [f"{'#':>3}  {'layer':<18} {'output shape':<16} {'params':>10} {'MFLOPs':>9}"]
    lines.append(f"{'':>3}  {'input':<18} {format_shape(summary.input_shape):<16}")
    for row in summary.layers:
        lines.append(
            f"{row.index:>3}  {row.type:<18} {format_shape(row.output_shape):<16} "
            f"{row.params:>10,} {row.flops / 1e6:>9.3f}"
        )
    lines.append(
        f"total params {summary.params:,} (trainable {summary.trainable_params:,}), "
        f"forward {summary.flops / 1e6:.3f} MFLOPs per sample"
    )
    return "\n".join(lines)
