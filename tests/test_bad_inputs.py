"""A catalog of bad inputs: each gives one clean SpecError with the exact message (file, JSON
path, what was expected, what was received), in bounded time and memory, before any job."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import VALID, valid_spec

from netspec.spec.study import compile_all

OUT = {"type": "dense", "units": 10, "activation": "softmax"}
ARRAYS = {
    "x_train": np.zeros((6, 4, 4), np.float32),
    "y_train": np.arange(6) % 3,
    "x_test": np.zeros((3, 4, 4), np.float32),
    "y_test": np.arange(3),
}
MLP = {"template": "mlp", "units": 4}


def section(name, **values):
    spec = valid_spec()
    spec[name] = {**spec.get(name, {}), **values}
    return spec


def convnet(**params):
    return valid_spec(model={"template": "convnet", "padding": "same", **params})


def layers(*items):
    return valid_spec(model={"layers": list(items)})


def text(content: str | bytes):
    def write(folder: Path) -> Path:
        path = folder / "x.json"
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        return path

    return write


def spec(content: dict, name: str = "x.json"):
    return text(json.dumps(content)) if name == "x.json" else _named(content, name)


def _named(content: dict, name: str):
    def write(folder: Path) -> Path:
        (folder / name).write_text(json.dumps(content))
        return folder / name

    return write


def npz(*, num_classes=None, **changes):
    def write(folder: Path) -> Path:
        arrays = {k: v for k, v in {**ARRAYS, **changes}.items() if v is not None}
        np.savez(folder / "d.npz", **arrays)
        dataset = {"npz": "d.npz", **({"num_classes": num_classes} if num_classes else {})}
        return spec(valid_spec(data={"dataset": dataset}, model=MLP))(folder)

    return write


def not_a_zip(folder: Path) -> Path:
    (folder / "d.npz").write_text("not a zip")
    return spec(valid_spec(data={"dataset": {"npz": "d.npz"}}, model=MLP))(folder)


def special(kind: str):
    def write(folder: Path) -> Path:
        path = folder / "x.json"
        if kind == "pipe":
            os.mkfifo(path)
        elif kind == "device":
            path.symlink_to("/dev/zero")
        else:  # a folder named like a spec, found in a specs folder
            path.mkdir()
            return folder
        return path

    return write


def extends(parent, *, parent_name="_p.json"):
    def write(folder: Path) -> Path:
        if parent is not None:
            (folder / parent_name).write_text(json.dumps(parent))
        child = {key: value for key, value in VALID.items() if key != "training"}
        return spec({**child, "extends": parent_name})(folder)

    return write


def chain(length: int):
    def write(folder: Path) -> Path:
        for index in range(length):
            (folder / f"_c{index}.json").write_text(json.dumps({"extends": f"_c{index + 1}.json"}))
        (folder / f"_c{length}.json").write_text(json.dumps(VALID))
        return spec({"extends": "_c0.json"})(folder)

    return write


def cycle(folder: Path) -> Path:
    (folder / "_a.json").write_text(json.dumps({"extends": "_b.json"}))
    (folder / "_b.json").write_text(json.dumps({"extends": "_a.json"}))
    return spec({**VALID, "extends": "_a.json"})(folder)


def replaced(old: str, new: str):
    return text(json.dumps(valid_spec()).replace(old, new))


nan_pixels = np.zeros((6, 4, 4), np.float32)
nan_pixels[2, 1, 1] = np.nan

# (id, how to make it, the exact message)
CATALOG = [
    # The file itself
    (
        "json-syntax",
        text('{"data": {"dataset": "digits",}}'),
        "x.json:1:31: invalid JSON: Expecting property name enclosed in double quotes",
    ),
    (
        "json-duplicate-key",
        text('{"data": {}, "data": {}}'),
        "x.json: invalid JSON: key 'data' appears twice in one object (the second would silently win)",
    ),
    ("json-empty-file", text(""), "x.json:1:1: invalid JSON: Expecting value"),
    ("json-top-list", text("[1, 2]"), "x.json: expected a JSON object at the top, received list"),
    (
        "json-nan",
        replaced("0.01", "NaN"),
        "x.json: $.optimizer.learning_rate: expected a finite number, received NaN",
    ),
    (
        "json-infinity",
        replaced("0.01", "Infinity"),
        "x.json: $.optimizer.learning_rate: expected a finite number, received Infinity",
    ),
    (
        "json-minus-infinity",
        replaced("0.01", "-Infinity"),
        "x.json: $.optimizer.learning_rate: expected a finite number, received -Infinity",
    ),
    (
        "json-overflowing-float",
        replaced("0.01", "1e400"),
        "x.json: $.optimizer.learning_rate: expected a finite number, received 1e400",
    ),
    (
        "json-huge-integer",
        replaced('"epochs": 1', '"epochs": ' + "9" * 5000),
        "x.json: invalid JSON: expected numbers of at most 4300 digits, received more",
    ),
    (
        "json-deep-nesting",
        text('{"x": ' + "[" * 100_000 + "]" * 100_000 + "}"),
        "x.json: expected JSON nested at most 32 levels deep, received deeper",
    ),
    (
        "json-nesting-past-limit",
        text('{"data": ' + "[" * 40 + "]" * 40 + "}"),
        "x.json: $.data[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]: expected JSON nested at most 32 levels deep, received deeper",
    ),
    (
        "json-not-utf8",
        text(b'{"description": "\xff"}'),
        "x.json: expected UTF-8 text, received invalid start byte at byte 17",
    ),
    (
        "file-too-large",
        text('{"description": "' + "x" * (1 << 20) + '"}'),
        "x.json: expected a spec file of at most 1024 KiB, received 1024 KiB or more",
    ),
    ("file-named-pipe", special("pipe"), "x.json: expected a regular file, received a named pipe"),
    (
        "file-link-to-device",
        special("device"),
        "x.json: expected a regular file, received a character device",
    ),
    ("file-is-a-folder", special("folder"), "x.json: expected a regular file, received a folder"),
    (
        "file-name-not-an-id",
        spec(valid_spec(), "Bad Name.json"),
        "Bad Name.json: expected a file name (the experiment id) matching [a-z0-9][a-z0-9_-]*, received 'Bad Name'",
    ),
    # extends
    (
        "extends-missing",
        extends(None),
        "x.json: $.extends: expected an existing spec file, received '_p.json' (_p.json not found)",
    ),
    (
        "extends-not-a-string",
        spec({**VALID, "extends": ["_p.json"]}),
        'x.json: $.extends: expected a string path to a parent spec, received ["_p.json"]',
    ),
    (
        "extends-a-device",
        spec({**VALID, "extends": "/dev/zero"}),
        "x.json: $.extends: expected an existing spec file, received '/dev/zero' which is a character device",
    ),
    (
        "extends-nul-byte",
        spec({**VALID, "extends": "a\u0000b.json"}),
        "x.json: $.extends: expected an existing spec file, received 'a\\x00b.json' (a\\x00b.json not found)",
    ),
    (
        "extends-cycle",
        cycle,
        "_b.json: $.extends: extends forms a cycle: x.json -> _a.json -> _b.json -> _a.json",
    ),
    (
        "extends-chain-too-long",
        chain(70),
        "x.json: $.extends: expected an extends chain of at most 64 files, received longer (it reaches _c62.json and goes on)",
    ),
    (
        "extends-parent-invalid",
        extends({"training": {"epochs": 0}}),
        "_p.json: $.training.epochs: expected an integer >= 1, received 0",
    ),
    # Sections and keys
    (
        "missing-data",
        spec({"model": VALID["model"]}),
        "x.json: $.data: missing required key 'data'",
    ),
    (
        "missing-model",
        spec({"data": VALID["data"]}),
        "x.json: $.model: missing required key 'model'",
    ),
    (
        "unknown-top-key",
        spec({**VALID, "optimiser": {}}),
        "x.json: $.optimiser: unknown key 'optimiser' (did you mean 'optimizer'?); expected one of: $schema, data, description, extends, model, optimizer, resources, sweep, training",
    ),
    (
        "unknown-optimizer-key",
        spec({**VALID, "optimizer": {"name": "adam", "learning_rat": 0.1}}),
        "x.json: $.optimizer.learning_rat: unknown key 'learning_rat' (did you mean 'learning_rate'?); expected one of adam's: beta_1, beta_2, epsilon, learning_rate, name",
    ),
    (
        "unknown-optimizer-key-default-name",
        spec({**VALID, "optimizer": {"rho": 0.9, "momentun": 0.5}}),
        "x.json: $.optimizer.momentun: unknown key 'momentun' (did you mean 'momentum'?); expected one of sgd's: learning_rate, momentum, name, nesterov",
    ),
    (
        "unknown-template-key",
        spec(convnet(unitz=3)),
        "x.json: $.model.unitz: unknown key 'unitz' (did you mean 'units'?); expected one of: activation, batch_norm, dropout, hidden_layers, kernel_size, l2, padding, pool_size, template, units",
    ),
    (
        "integer-as-string",
        spec(convnet(units="100")),
        'x.json: $.model.units: expected an integer, received "100"',
    ),
    (
        "integer-as-float",
        spec(convnet(units=100.0)),
        "x.json: $.model.units: expected an integer, received 100.0",
    ),
    (
        "integer-as-bool",
        spec(convnet(units=True)),
        "x.json: $.model.units: expected an integer, received true",
    ),
    (
        "units-zero",
        spec(convnet(units=0)),
        "x.json: $.model.units: expected an integer >= 1, received 0",
    ),
    (
        "hidden-layers-too-many",
        spec(convnet(hidden_layers=65)),
        "x.json: $.model.hidden_layers: expected an integer <= 64, received 65",
    ),
    (
        "dropout-one",
        spec(convnet(dropout=1)),
        "x.json: $.model.dropout: expected a number < 1, received 1",
    ),
    (
        "dropout-negative",
        spec(convnet(dropout=-0.1)),
        "x.json: $.model.dropout: expected a number >= 0, received -0.1",
    ),
    (
        "batch-norm-not-bool",
        spec(convnet(batch_norm="yes")),
        'x.json: $.model.batch_norm: expected true or false, received "yes"',
    ),
    (
        "padding-unknown",
        spec(convnet(padding="full")),
        'x.json: $.model.padding: expected one of "valid", "same", received "full"',
    ),
    (
        "activation-unknown",
        spec(convnet(activation="rellu")),
        'x.json: $.model.activation: expected one of "linear", "relu", "sigmoid", "tanh", "softmax", "elu", "selu", "gelu", "swish", "softplus", "leaky_relu", received "rellu" (did you mean \'relu\'?)',
    ),
    (
        "kernel-size-three-items",
        spec(convnet(kernel_size=[3, 3, 3])),
        "x.json: $.model.kernel_size: expected a list of 2 items, received [3, 3, 3]",
    ),
    (
        "kernel-size-zero",
        spec(convnet(kernel_size=0)),
        "x.json: $.model.kernel_size: expected an integer >= 1, received 0",
    ),
    (
        "l2-negative",
        spec(convnet(l2={"kernel": -1})),
        "x.json: $.model.l2.kernel: expected a number >= 0, received -1",
    ),
    (
        "l2-unknown-key",
        spec(convnet(l2={"weights": 0.1})),
        "x.json: $.model.l2.weights: unknown key 'weights'; expected one of: bias, kernel",
    ),
    (
        "template-unknown",
        spec(valid_spec(model={"template": "resnet"})),
        'x.json: $.model.template: expected one of "convnet", "mlp", received "resnet"',
    ),
    (
        "model-not-object",
        spec(valid_spec(model="convnet")),
        'x.json: $.model: expected an object, received "convnet"',
    ),
    (
        "layers-empty",
        spec(valid_spec(model={"layers": []})),
        "x.json: $.model.layers: expected a list of 1 to any items, received []",
    ),
    (
        "layer-type-unknown",
        spec(layers({"type": "conv3d"}, OUT)),
        'x.json: $.model.layers[0].type: expected one of "conv2d", "max_pool2d", "avg_pool2d", "dense", "dropout", "batch_norm", "flatten", "global_avg_pool2d", "activation", received "conv3d" (did you mean \'conv2d\'?)',
    ),
    (
        "layer-without-type",
        spec(layers({"units": 4}, OUT)),
        "x.json: $.model.layers[0].type: missing required key 'type'",
    ),
    (
        "layer-missing-required",
        spec(layers({"type": "flatten"}, {"type": "dense"})),
        "x.json: $.model.layers[1].units: missing required key 'units'",
    ),
    (
        "layer-unknown-key",
        spec(layers({"type": "flatten", "units": 3}, OUT)),
        "x.json: $.model.layers[0].units: unknown key 'units'; expected one of: type",
    ),
    (
        "pool-strides-text",
        spec(layers({"type": "max_pool2d", "strides": "two"}, {"type": "flatten"}, OUT)),
        'x.json: $.model.layers[0].strides: expected an integer or a list, received "two"',
    ),
    (
        "batch-norm-momentum-over-one",
        spec(layers({"type": "batch_norm", "momentum": 2}, {"type": "flatten"}, OUT)),
        "x.json: $.model.layers[0].momentum: expected a number <= 1, received 2",
    ),
    (
        "output-not-softmax",
        spec(layers({"type": "flatten"}, {"type": "dense", "units": 10})),
        "x.json: $.model.layers[1]: expected the last layer to be a dense layer with activation 'softmax', received dense with activation 'linear'",
    ),
    (
        "output-wrong-units",
        spec(layers({"type": "flatten"}, {"type": "dense", "units": 3, "activation": "softmax"})),
        "x.json: $.model.layers[1]: expected the output shape to be (10,), one unit per class of dataset 'digits'; received 3",
    ),
    (
        "shape-shrinks-away",
        spec(convnet(hidden_layers=4, padding="valid")),
        "x.json: $.model: layer 3 (max_pool2d): window 2x2 with padding 'valid' would shrink the spatial size below 1x1 (to 0x0); its input shape is 1x1x100, and dataset 'digits' has input shape 8x8x1; padding 'same' keeps small images from shrinking",
    ),
    (
        "pool-after-flatten",
        spec(layers({"type": "flatten"}, {"type": "global_avg_pool2d"}, OUT)),
        "x.json: $.model.layers[1]: layer 1 (global_avg_pool2d): expected a 3-D input (height, width, channels); its input shape is 64, and dataset 'digits' has input shape 8x8x1",
    ),
    # Data
    (
        "dataset-unknown",
        spec(valid_spec(data={"dataset": "mnst"})),
        'x.json: $.data.dataset: expected one of "digits", "mnist", "fashion_mnist", "cifar10", received "mnst" (did you mean \'mnist\'?)',
    ),
    (
        "dataset-number",
        spec(valid_spec(data={"dataset": 7})),
        "x.json: $.data.dataset: expected a string or an object, received 7",
    ),
    (
        "npz-path-empty",
        spec(valid_spec(data={"dataset": {"npz": ""}})),
        'x.json: $.data.dataset.npz: expected a non-empty string, received ""',
    ),
    (
        "npz-unknown-key",
        spec(valid_spec(data={"dataset": {"npz": "d.npz", "classes": 3}})),
        "x.json: $.data.dataset.classes: unknown key 'classes' (did you mean 'num_classes'?); expected one of: npz, num_classes",
    ),
    (
        "npz-num-classes-one",
        spec(valid_spec(data={"dataset": {"npz": "d.npz", "num_classes": 1}})),
        "x.json: $.data.dataset.num_classes: expected an integer >= 2, received 1",
    ),
    (
        "validation-zero",
        spec(section("data", validation=0)),
        "x.json: $.data.validation: expected a number > 0, received 0",
    ),
    (
        "validation-one",
        spec(section("data", validation=1)),
        "x.json: $.data.validation: expected a number < 1, received 1",
    ),
    (
        "validation-word",
        spec(section("data", validation="train")),
        'x.json: $.data.validation: expected one of "test", received "train"',
    ),
    (
        "validation-leaves-nothing",
        spec(section("data", validation=0.0001)),
        "x.json: $.data.validation: expected a fraction that leaves both training and validation samples; 0.0001 of 1347 training samples holds out 0",
    ),
    (
        "max-train-samples-zero",
        spec(section("data", max_train_samples=0)),
        "x.json: $.data.max_train_samples: expected an integer >= 1, received 0",
    ),
    (
        "npz-missing-file",
        spec(valid_spec(data={"dataset": {"npz": "nope.npz"}})),
        "x.json: $.data.dataset.npz: expected an existing .npz file, received 'nope.npz'",
    ),
    (
        "npz-not-a-zip",
        not_a_zip,
        "x.json: $.data.dataset.npz: d.npz: not a readable .npz file (File is not a zip file)",
    ),
    (
        "npz-missing-arrays",
        npz(y_test=None),
        "x.json: $.data.dataset.npz: d.npz: expected arrays x_train, y_train, x_test, y_test; missing y_test (found x_test, x_train, y_train)",
    ),
    (
        "npz-sample-mismatch",
        npz(y_train=np.arange(5)),
        "x.json: $.data.dataset.npz: d.npz: x_train has 6 samples but y_train has shape (5,)",
    ),
    (
        "npz-image-rank",
        npz(x_train=np.zeros((6, 16), np.float32)),
        "x.json: $.data.dataset.npz: d.npz: x_train must be (samples, height, width[, channels]), has (6, 16); x_train images are (16,) but x_test's are (4, 4)",
    ),
    (
        "npz-train-test-shapes",
        npz(x_test=np.zeros((3, 5, 5), np.float32)),
        "x.json: $.data.dataset.npz: d.npz: x_train images are (4, 4) but x_test's are (5, 5)",
    ),
    (
        "npz-negative-label",
        npz(y_train=np.array([0, 1, 2, -1, 0, 1])),
        "x.json: $.data.dataset.npz: d.npz: labels must be integers 0..classes-1, found int64 values from -1 to 2",
    ),
    (
        "npz-float-labels",
        npz(y_train=np.arange(6) / 2),
        "x.json: $.data.dataset.npz: d.npz: y_train must hold integers, has dtype float64",
    ),
    (
        "npz-label-over-classes",
        npz(num_classes=2),
        "x.json: $.data.dataset.npz: d.npz: labels must be below num_classes 2, found 2",
    ),
    (
        "npz-empty-training-set",
        npz(x_train=np.zeros((0, 4, 4), np.float32), y_train=np.zeros(0, np.int64)),
        "x.json: $.data.dataset.npz: d.npz: x_train has no samples",
    ),
    (
        "npz-string-images",
        npz(x_train=np.full((6, 4, 4), "a")),
        "x.json: $.data.dataset.npz: d.npz: x_train must hold numbers, has dtype <U1",
    ),
    (
        "npz-nan-pixel",
        npz(x_train=nan_pixels),
        "x.json: $.data.dataset.npz: d.npz: x_train has 1 NaN or infinite pixel value(s)",
    ),
    (
        "npz-object-labels",
        npz(y_test=np.array([0, "1", 2], dtype=object)),
        "x.json: $.data.dataset.npz: d.npz: y_test must hold integers, has dtype object",
    ),
    # Optimizer, training, resources
    (
        "optimizer-unknown",
        spec(valid_spec(optimizer={"name": "adamm"})),
        'x.json: $.optimizer.name: expected one of "sgd", "adam", "adamw", "rmsprop", received "adamm" (did you mean \'adam\'?)',
    ),
    (
        "optimizer-argument-elsewhere",
        spec(valid_spec(optimizer={"name": "adam", "momentum": 0.5})),
        "x.json: $.optimizer.momentum: momentum applies only to sgd, rmsprop; received it with optimizer 'adam', which takes: learning_rate, beta_1, beta_2, epsilon",
    ),
    (
        "learning-rate-zero",
        spec(section("optimizer", learning_rate=0)),
        "x.json: $.optimizer.learning_rate: expected a number > 0, received 0",
    ),
    (
        "momentum-one",
        spec(valid_spec(optimizer={"name": "sgd", "momentum": 1})),
        "x.json: $.optimizer.momentum: expected a number < 1, received 1",
    ),
    (
        "epochs-zero",
        spec(section("training", epochs=0)),
        "x.json: $.training.epochs: expected an integer >= 1, received 0",
    ),
    (
        "batch-size-string",
        spec(section("training", batch_size="32")),
        'x.json: $.training.batch_size: expected an integer, received "32"',
    ),
    (
        "seed-negative",
        spec(section("training", seed=-1)),
        "x.json: $.training.seed: expected an integer >= 0, received -1",
    ),
    (
        "seed-past-32-bits",
        spec(section("training", seed=2**32)),
        "x.json: $.training.seed: expected an integer <= 4294967295, received 4294967296",
    ),
    (
        "early-stopping-monitor-unknown",
        spec(section("training", early_stopping={"monitor": "val_acc"})),
        'x.json: $.training.early_stopping.monitor: expected one of "val_loss", "val_accuracy", "loss", "accuracy", received "val_acc" (did you mean \'val_accuracy\'?)',
    ),
    (
        "early-stopping-patience-negative",
        spec(section("training", early_stopping={"patience": -1})),
        "x.json: $.training.early_stopping.patience: expected an integer >= 0, received -1",
    ),
    (
        "training-unknown-key",
        spec(section("training", epoch=3)),
        "x.json: $.training.epoch: unknown key 'epoch' (did you mean 'epochs'?); expected one of: batch_size, deterministic, early_stopping, epochs, jit_compile, precision, seed, seeds, select, shuffle",
    ),
    (
        "threads-zero",
        spec(valid_spec(resources={"threads": 0})),
        "x.json: $.resources.threads: expected an integer >= 1, received 0",
    ),
    (
        "resources-unknown-key",
        spec(valid_spec(resources={"cpus": 2})),
        "x.json: $.resources.cpus: unknown key 'cpus'; expected one of: gpu, mem_mb, runtime, threads",
    ),
    # Budget
    (
        "budget-parameters",
        spec(valid_spec(model={"template": "mlp", "units": 30_000_000})),
        "x.json: $.model: expected a model of at most 1,000,000,000 parameters (config budget.max_params), received one of 2,250,000,010",
    ),
    (
        "budget-memory",
        spec(
            valid_spec(
                data={"dataset": "cifar10"},
                model={"template": "mlp", "units": 3000},
                training={"batch_size": 10**7},
            )
        ),
        "x.json: $.model: expected a training job within 262,144 MB of memory (config budget.max_mem_mb), received one estimated at 700,160 MB",
    ),
]


def test_the_catalog_has_at_least_60_kinds_each_once():
    names = [name for name, _, _ in CATALOG]
    assert len(names) >= 60 and len(set(names)) == len(names)


@pytest.mark.parametrize(("make", "message"), [c[1:] for c in CATALOG], ids=[c[0] for c in CATALOG])
def test_a_bad_input_gives_exactly_its_message(in_tmp, make, message):
    path = make(in_tmp)
    experiments, problems = compile_all([path])
    assert experiments == []
    assert [str(problem) for problem in problems] == [message]


def test_the_catalog_runs_in_bounded_memory_and_time(tmp_path):
    """Every case in a fresh process under a 2 GiB address-space limit and a timeout: no case
    may hang (a pipe, /dev/zero) or read without end."""
    code = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "import os, test_bad_inputs as catalog\n"
        "from netspec.spec.study import compile_all\n"
        "os.chdir(sys.argv[2])\n"
        "for index, (name, make, message) in enumerate(catalog.CATALOG):\n"
        "    folder = os.path.join(sys.argv[2], str(index)); os.mkdir(folder); os.chdir(folder)\n"
        "    from pathlib import Path\n"
        "    _, problems = compile_all([make(Path(folder))])\n"
        "    assert [str(p) for p in problems] != [], name\n"
        "print('all', len(catalog.CATALOG))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(Path(__file__).parent), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == f"all {len(CATALOG)}"
