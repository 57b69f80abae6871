"""The Keras build (netspec.train.keras_build): fidelity to the seed notebook, shapes as Keras sees them."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT, write_spec

from netspec.spec.compile import compile_spec, compile_variants
from netspec.spec.discovery import spec_files

keras = pytest.importorskip("keras")
from keras import layers, regularizers  # noqa: E402

from netspec.train.keras_build import build  # noqa: E402


def build_convolutional_network(
    number_of_hidden_layers=0,
    units=100,
    optimizer="sgd",
    lr=0.01,
    momentum=0.9,
    dropOut=None,
    regularization_kernel=0,
    regularization_bias=0,
    batchNormalization=False,
):
    """The seed notebook's function, word for word but in Keras 3 names (Input, learning_rate)."""
    model = keras.Sequential()
    model.add(keras.Input(shape=(28, 28, 1)))
    model.add(
        layers.Conv2D(
            units,
            (3, 3),
            activation="relu",
            kernel_regularizer=regularizers.l2(regularization_kernel),
            bias_regularizer=regularizers.l2(regularization_bias),
        )
    )
    model.add(layers.MaxPooling2D((2, 2)))
    if dropOut is not None:
        model.add(layers.Dropout(dropOut))
    if batchNormalization:
        model.add(layers.BatchNormalization())
    for _ in range(number_of_hidden_layers):
        model.add(
            layers.Conv2D(
                units,
                (3, 3),
                activation="relu",
                kernel_regularizer=regularizers.l2(regularization_kernel),
                bias_regularizer=regularizers.l2(regularization_bias),
            )
        )
        model.add(layers.MaxPooling2D((2, 2)))
        if dropOut is not None:
            model.add(layers.Dropout(dropOut))
        if batchNormalization:
            model.add(layers.BatchNormalization())
    model.add(layers.Flatten())
    model.add(layers.Dense(10, activation="softmax"))
    opt = keras.optimizers.SGD(learning_rate=lr, momentum=momentum)
    if optimizer == "adam":
        opt = keras.optimizers.Adam(learning_rate=lr)
    model.compile(loss="categorical_crossentropy", metrics=["accuracy"], optimizer=opt)
    return model


SEED_VARIANTS = {
    "batch_norm": ({"batch_norm": True}, {"batchNormalization": True}),
    "dropout": ({"dropout": 0.1}, {"dropOut": 0.1}),
    "l2": (
        {"l2": {"kernel": 0.01, "bias": 0.01}},
        {"regularization_kernel": 0.01, "regularization_bias": 0.01},
    ),
    "optimal": ({"batch_norm": True, "dropout": 0.1}, {"batchNormalization": True, "dropOut": 0.1}),
}


def comparable(layer) -> dict:
    """A layer's config minus its auto-generated name; a zero L2 counts as no regularizer."""
    config = {k: v for k, v in layer.get_config().items() if k != "name"}
    for key in ("kernel_regularizer", "bias_regularizer"):
        reg = config.get(key)
        if reg is not None and reg["config"]["l2"] == 0:
            config[key] = None
    return config


@pytest.mark.parametrize("variant", SEED_VARIANTS)
def test_convnet_template_reproduces_the_seed_notebook(tmp_path, variant):
    params, seed_args = SEED_VARIANTS[variant]
    spec = {
        "data": {"dataset": "fashion_mnist"},
        "model": {"template": "convnet", "hidden_layers": 1, "units": 100, **params},
        "optimizer": {"name": "adam", "learning_rate": 0.01},
    }
    ours = build(compile_spec(write_spec(tmp_path, "seed.json", spec)))
    theirs = build_convolutional_network(
        number_of_hidden_layers=1, units=100, optimizer="adam", lr=0.01, **seed_args
    )
    assert [type(x).__name__ for x in ours.layers] == [type(x).__name__ for x in theirs.layers]
    assert [comparable(x) for x in ours.layers] == [comparable(x) for x in theirs.layers]
    assert ours.count_params() == theirs.count_params()
    assert [x.count_params() for x in ours.layers] == [x.count_params() for x in theirs.layers]
    assert unnamed(ours.optimizer.get_config()) == unnamed(theirs.optimizer.get_config())
    assert type(ours.optimizer) is type(theirs.optimizer)


def unnamed(config: dict) -> dict:
    return {k: v for k, v in config.items() if k != "name"}


def test_zero_l2_is_the_only_normalisation(tmp_path):
    """The seed attaches l2(0) regularizers; netspec attaches none, which computes the same."""
    spec = {"data": {"dataset": "fashion_mnist"}, "model": {"template": "convnet"}}
    ours = build(compile_spec(write_spec(tmp_path, "s.json", spec)))
    theirs = build_convolutional_network()
    assert ours.layers[0].kernel_regularizer is None
    assert theirs.layers[0].kernel_regularizer.get_config() == {"l2": 0.0}
    assert comparable(ours.layers[0]) == comparable(theirs.layers[0])


def conv(filters, **kw):
    return {"type": "conv2d", "filters": filters, **kw}


def dense(units, **kw):
    return {"type": "dense", "units": units, **kw}


OUT = dense(10, activation="softmax")
FLAT = {"type": "flatten"}

ARCHITECTURES = {
    "convnet-mnist-default": ("mnist", {"template": "convnet"}),
    "convnet-digits-deep-same": (
        "digits",
        {"template": "convnet", "hidden_layers": 2, "padding": "same", "units": 16},
    ),
    "convnet-cifar-rect-kernel": (
        "cifar10",
        {"template": "convnet", "kernel_size": [5, 3], "pool_size": 3, "units": 12},
    ),
    "convnet-mnist-all-tricks": (
        "mnist",
        {
            "template": "convnet",
            "hidden_layers": 1,
            "units": 20,
            "batch_norm": True,
            "dropout": 0.3,
            "l2": {"kernel": 0.1, "bias": 0.2},
        },
    ),
    "convnet-cifar-default": ("cifar10", {"template": "convnet", "units": 8}),
    "mlp-digits-no-hidden": ("digits", {"template": "mlp", "hidden_layers": 0}),
    "mlp-cifar-deep": (
        "cifar10",
        {"template": "mlp", "hidden_layers": 3, "units": 32, "batch_norm": True, "dropout": 0.2},
    ),
    "mlp-mnist-tanh": ("mnist", {"template": "mlp", "hidden_layers": 2, "activation": "tanh"}),
    "conv-stride-2-same": ("mnist", {"layers": [conv(4, strides=2, padding="same"), FLAT, OUT]}),
    "conv-stride-rect-valid": ("mnist", {"layers": [conv(4, strides=[2, 1]), FLAT, OUT]}),
    "avg-pool-same-stride-3": (
        "mnist",
        {
            "layers": [
                conv(3),
                {"type": "avg_pool2d", "pool_size": 2, "strides": 3, "padding": "same"},
                FLAT,
                OUT,
            ]
        },
    ),
    "max-pool-3-stride-1": (
        "digits",
        {"layers": [{"type": "max_pool2d", "pool_size": 3, "strides": 1}, FLAT, OUT]},
    ),
    "global-average": ("cifar10", {"layers": [conv(6), {"type": "global_avg_pool2d"}, OUT]}),
    "dense-on-image": ("digits", {"layers": [dense(5), FLAT, OUT]}),
    "conv-no-bias": ("mnist", {"layers": [conv(5, use_bias=False), FLAT, OUT]}),
    "dense-no-bias": ("digits", {"layers": [FLAT, dense(7, use_bias=False), OUT]}),
    "batch-norm-dense": ("digits", {"layers": [FLAT, dense(9), {"type": "batch_norm"}, OUT]}),
    "batch-norm-conv": (
        "cifar10",
        {"layers": [conv(4), {"type": "batch_norm", "momentum": 0.9}, FLAT, OUT]},
    ),
    "activation-layer": (
        "digits",
        {"layers": [conv(2), {"type": "activation", "activation": "gelu"}, FLAT, OUT]},
    ),
    "kernel-1": ("mnist", {"layers": [conv(3, kernel_size=1), FLAT, OUT]}),
    "pool-same-odd": (
        "digits",
        {"layers": [conv(2, kernel_size=2), {"type": "max_pool2d", "padding": "same"}, FLAT, OUT]},
    ),
    "conv-to-1x1": ("digits", {"layers": [conv(4, kernel_size=8), FLAT, OUT]}),
    "cifar-three-convs": (
        "cifar10",
        {
            "layers": [
                conv(8, padding="same", activation="relu"),
                {"type": "max_pool2d"},
                conv(16, activation="elu"),
                {"type": "max_pool2d"},
                conv(16, kernel_size=[3, 1]),
                {"type": "dropout", "rate": 0.5},
                FLAT,
                dense(32, activation="relu"),
                OUT,
            ]
        },
    ),
}


def assert_inference_matches_keras(experiment):
    model = build(experiment)
    rows = experiment.summary.layers
    assert len(rows) == len(model.layers)
    for row, layer in zip(rows, model.layers, strict=True):
        assert tuple(layer.output.shape[1:]) == row.output_shape, (row.index, row.type)
        assert layer.count_params() == row.params, (row.index, row.type)
        non_trainable = sum(int(w.numpy().size) for w in layer.non_trainable_weights)
        assert non_trainable == row.non_trainable
    assert model.count_params() == experiment.summary.params


def test_there_are_at_least_20_architectures():
    assert len(ARCHITECTURES) >= 20


@pytest.mark.parametrize("name", ARCHITECTURES)
def test_shape_inference_equals_keras(tmp_path, name):
    dataset, model = ARCHITECTURES[name]
    spec = {"data": {"dataset": dataset}, "model": model}
    assert_inference_matches_keras(compile_spec(write_spec(tmp_path, f"{name}.json", spec)))


REPO_SPECS = spec_files([ROOT / "specs", *sorted((ROOT / "examples").glob("*"))])[0]


@pytest.mark.parametrize("path", REPO_SPECS, ids=[str(p.relative_to(ROOT)) for p in REPO_SPECS])
def test_every_shipped_spec_compiles_and_matches_keras(path: Path):
    for variant in compile_variants(path):  # a sweep's every point
        assert_inference_matches_keras(variant)


PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")


@pytest.mark.parametrize("precision", PRECISIONS)
def test_a_precision_is_built_with_a_float32_output(tmp_path, precision):
    """The hidden layers compute in the precision, the softmax output in float32, the weights
    stay float32; float16 gets loss scaling (its training: tests/test_training.py)."""
    from conftest import valid_spec

    spec = valid_spec()
    spec["training"]["precision"] = precision
    experiment = compile_spec(write_spec(tmp_path, "p.json", spec))
    model = build(experiment)
    compute = {"float32": "float32", "mixed_bfloat16": "bfloat16", "mixed_float16": "float16"}
    assert [layer.compute_dtype for layer in model.layers[:-1]] == [compute[precision]] * (
        len(model.layers) - 1
    )
    assert model.layers[-1].compute_dtype == "float32"
    assert all(weight.dtype == "float32" for weight in model.weights)  # variables stay float32
    scaled = type(model.optimizer).__name__ == "LossScaleOptimizer"
    assert scaled == (precision == "mixed_float16")


def test_precision_is_part_of_a_runs_identity_and_float32_keeps_old_digests(tmp_path):
    from conftest import valid_spec

    digests = {}
    for name, precision in (("absent", None), *((p, p) for p in PRECISIONS)):
        spec = valid_spec()
        if precision:
            spec["training"]["precision"] = precision
        digests[name] = compile_spec(write_spec(tmp_path, f"{name}.json", spec)).digest
    assert digests["absent"] == digests["float32"]  # specs from before the setting: no retrain
    assert len({digests[p] for p in PRECISIONS}) == 3


def test_an_unknown_precision_is_refused(in_tmp):
    from conftest import valid_spec

    from netspec.errors import SpecError

    spec = valid_spec()
    spec["training"]["precision"] = "bfloat16"
    with pytest.raises(SpecError) as caught:
        compile_spec(write_spec(in_tmp, "p.json", spec))
    assert str(caught.value) == (
        'p.json: $.training.precision: expected one of "float32", "mixed_bfloat16", '
        '"mixed_float16", received "bfloat16" (did you mean \'mixed_bfloat16\'?)'
    )
