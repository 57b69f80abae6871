"""IR -> compiled keras.Model: the one step of the pipeline that imports TensorFlow."""

from __future__ import annotations

from netspec import quiet_tensorflow
from netspec.spec.experiment import Experiment
from netspec.spec.layers import LAYERS
from netspec.spec.optimizers import OPTIMIZERS, optimizer_args


def build_layers(layers: list[dict], precision: str = "float32") -> list:
    """Keras layer objects for IR layers; classes come from the registry, never from the spec.
    Each computes in `precision` (a Keras dtype policy) but the last, the softmax output, which
    stays in float32 as Keras' mixed-precision guide asks (a softmax in 16 bits loses mass)."""
    quiet_tensorflow()
    import keras

    built = []
    for index, layer in enumerate(layers):
        kind = LAYERS[layer["type"]]
        args = {key: _regularizer(value) for key, value in kind.arguments(layer).items()}
        dtype = "float32" if index == len(layers) - 1 else precision
        built.append(
            getattr(keras.layers, kind.keras_class)(
                name=f"{layer['type']}_{index}", dtype=dtype, **args
            )
        )
    return built


def _regularizer(value):
    if isinstance(value, dict) and set(value) == {"l2"}:
        import keras

        return keras.regularizers.L2(value["l2"])
    return value


def build_optimizer(optimizer: dict, precision: str = "float32"):
    """The optimizer; under float16, wrapped in loss scaling (small gradients would underflow)."""
    import keras

    cls = getattr(keras.optimizers, OPTIMIZERS[optimizer["name"]].keras_class)
    built = cls(**optimizer_args(optimizer))
    return keras.optimizers.LossScaleOptimizer(built) if precision == "mixed_float16" else built


def build(experiment: Experiment):
    """A compiled Sequential model for the experiment (integer labels, softmax output)."""
    import keras

    precision = experiment.spec["training"]["precision"]
    model = keras.Sequential(
        [
            keras.Input(shape=experiment.dataset.input_shape),
            *build_layers(experiment.layers, precision),
        ],
        name=experiment.id.replace("-", "_"),
    )
    model.compile(
        optimizer=build_optimizer(experiment.spec["optimizer"], precision),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        jit_compile=experiment.spec["training"]["jit_compile"],
    )
    return model
