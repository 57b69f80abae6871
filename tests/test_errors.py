"""Every kind of spec error names its file and JSON path, says what was expected and received."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import valid_spec, write_spec

from netspec.errors import SpecError
from netspec.spec.compile import compile_spec


def convnet(**params):
    return valid_spec(model={"template": "convnet", "padding": "same", **params})


def layers(*items):
    return valid_spec(model={"layers": list(items)})


def with_(section, **values):
    spec = valid_spec()
    spec.setdefault(section, {}).update(values)
    return spec


def data(**values):
    return valid_spec(data={"dataset": "digits", **values})


def npz(name="d.npz", **arrays):
    def make(folder):
        np.savez(folder / name, **arrays)
        return valid_spec(data={"dataset": {"npz": name}}, model=SMALL_MLP)

    return make


GOOD_ARRAYS = dict(
    x_train=np.zeros((6, 4, 4), np.float32),
    y_train=np.arange(6) % 3,
    x_test=np.zeros((3, 4, 4), np.float32),
    y_test=np.arange(3),
)
SMALL_MLP = {"template": "mlp", "units": 4}


def spec_npz(**changes):
    arrays = {**GOOD_ARRAYS, **changes}
    arrays = {k: v for k, v in arrays.items() if v is not None}
    return npz(**arrays)


# (id, spec (dict, raw text, or a function of the folder), file in the message, path, fragment)
CASES = [
    ("json-syntax", '{"data": {"dataset": "digits",}}', "x.json:1:31", None, "invalid JSON"),
    ("json-duplicate-key", '{"data": {}, "data": {}}', "x.json", None, "'data' appears twice"),
    ("top-not-object", "[1, 2]", "x.json", None, "expected a JSON object"),
    (
        "missing-required",
        {"model": valid_spec()["model"]},
        "x.json",
        "$.data",
        "missing required key 'data'",
    ),
    (
        "unknown-top-key",
        {**valid_spec(), "optimiser": {}},
        "x.json",
        "$.optimiser",
        "did you mean 'optimizer'?",
    ),
    ("unknown-template-key", convnet(unitz=3), "x.json", "$.model.unitz", "did you mean 'units'?"),
    (
        "wrong-type",
        convnet(units="100"),
        "x.json",
        "$.model.units",
        'expected an integer, received "100"',
    ),
    (
        "below-minimum",
        convnet(units=0),
        "x.json",
        "$.model.units",
        "expected an integer >= 1, received 0",
    ),
    (
        "float-for-integer",
        convnet(units=100.0),
        "x.json",
        "$.model.units",
        "expected an integer, received 100.0",
    ),
    (
        "exclusive-maximum",
        convnet(dropout=1.0),
        "x.json",
        "$.model.dropout",
        "expected a number < 1, received 1.0",
    ),
    (
        "unknown-dataset",
        valid_spec(data={"dataset": "digitz"}),
        "x.json",
        "$.data.dataset",
        "did you mean 'digits'?",
    ),
    (
        "unknown-template",
        valid_spec(model={"template": "convnett"}),
        "x.json",
        "$.model.template",
        "did you mean 'convnet'?",
    ),
    (
        "unknown-layer-type",
        layers({"type": "conv2"}),
        "x.json",
        "$.model.layers[0].type",
        "did you mean 'conv2d'?",
    ),
    (
        "unknown-activation",
        convnet(activation="relux"),
        "x.json",
        "$.model.activation",
        "did you mean 'relu'?",
    ),
    (
        "unknown-optimizer",
        with_("optimizer", name="adma"),
        "x.json",
        "$.optimizer.name",
        "did you mean 'adam'?",
    ),
    (
        "layer-missing-field",
        layers({"type": "conv2d"}),
        "x.json",
        "$.model.layers[0].filters",
        "missing required key 'filters'",
    ),
    (
        "layer-unknown-field",
        layers({"type": "dense", "units": 10, "unit": 3}),
        "x.json",
        "$.model.layers[0].unit",
        "unknown key 'unit'",
    ),
    (
        "size-wrong-length",
        convnet(kernel_size=[3, 3, 3]),
        "x.json",
        "$.model.kernel_size",
        "expected a list of 2 items",
    ),
    (
        "validation-word",
        data(validation="val"),
        "x.json",
        "$.data.validation",
        'expected one of "test", received "val"',
    ),
    (
        "validation-fraction-range",
        data(validation=1.5),
        "x.json",
        "$.data.validation",
        "expected a number < 1, received 1.5",
    ),
    (
        "learning-rate-zero",
        with_("optimizer", learning_rate=0),
        "x.json",
        "$.optimizer.learning_rate",
        "expected a number > 0, received 0",
    ),
    (
        "epochs-zero",
        with_("training", epochs=0),
        "x.json",
        "$.training.epochs",
        "expected an integer >= 1, received 0",
    ),
    (
        "monitor-name",
        with_("training", early_stopping={"monitor": "val_acc"}),
        "x.json",
        "$.training.early_stopping.monitor",
        "did you mean 'val_accuracy'?",
    ),
    (
        "threads-zero",
        valid_spec(resources={"threads": 0}),
        "x.json",
        "$.resources.threads",
        "expected an integer >= 1, received 0",
    ),
    (
        "boolean-expected",
        convnet(batch_norm="yes"),
        "x.json",
        "$.model.batch_norm",
        'expected true or false, received "yes"',
    ),
    (
        "model-neither",
        valid_spec(model={}),
        "x.json",
        "$.model.layers",
        "missing required key 'layers'",
    ),
    ("template-and-layers", convnet(layers=[]), "x.json", "$.model.layers", "unknown key 'layers'"),
    (
        "extends-missing",
        {**valid_spec(), "extends": "_nope.json"},
        "x.json",
        "$.extends",
        "_nope.json not found",
    ),
    (
        "extends-not-string",
        {**valid_spec(), "extends": 3},
        "x.json",
        "$.extends",
        "expected a string path",
    ),
    (
        "momentum-with-adam",
        with_("optimizer", momentum=0.5),
        "x.json",
        "$.optimizer.momentum",
        "momentum applies only to sgd, rmsprop",
    ),
    (
        "nesterov-with-adam",
        with_("optimizer", nesterov=True),
        "x.json",
        "$.optimizer.nesterov",
        "nesterov applies only to sgd",
    ),
    (
        "shape-shrinks",
        valid_spec(model={"template": "convnet", "hidden_layers": 1}),
        "x.json",
        "$.model",
        "layer 3 (max_pool2d): window 2x2 with padding 'valid' would shrink",
    ),
    (
        "shape-rank",
        layers({"type": "flatten"}, {"type": "conv2d", "filters": 2}),
        "x.json",
        "$.model.layers[1]",
        "expected a 3-D input",
    ),
    (
        "output-classes",
        layers({"type": "flatten"}, {"type": "dense", "units": 5, "activation": "softmax"}),
        "x.json",
        "$.model.layers[1]",
        "expected the output shape to be (10,)",
    ),
    (
        "output-activation",
        layers({"type": "flatten"}, {"type": "dense", "units": 10}),
        "x.json",
        "$.model.layers[1]",
        "activation 'softmax'",
    ),
    (
        "holdout-empty",
        data(validation=0.2, max_train_samples=2),
        "x.json",
        "$.data.validation",
        "holds out 0",
    ),
    (
        "npz-missing-file",
        valid_spec(data={"dataset": {"npz": "nope.npz"}}, model=SMALL_MLP),
        "x.json",
        "$.data.dataset.npz",
        "expected an existing .npz file",
    ),
    ("npz-missing-keys", spec_npz(y_test=None), "x.json", "$.data.dataset.npz", "missing y_test"),
    (
        "npz-lengths",
        spec_npz(y_train=np.arange(5)),
        "x.json",
        "$.data.dataset.npz",
        "x_train has 6 samples but y_train has shape (5,)",
    ),
    (
        "npz-label-range",
        lambda f: {
            **npz(**GOOD_ARRAYS)(f),
            "data": {"dataset": {"npz": "d.npz", "num_classes": 2}},
        },
        "x.json",
        "$.data.dataset.npz",
        "labels must be below num_classes 2",
    ),
]


@pytest.mark.parametrize(
    ("content", "file", "path", "fragment"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_error_names_file_path_and_problem(in_tmp, content, file, path, fragment):
    if callable(content):
        content = content(in_tmp)
    spec = write_spec(in_tmp, "x.json", content)
    with pytest.raises(SpecError) as caught:
        compile_spec(spec)
    prefix = f"{file}: {path}: " if path else f"{file}: "
    lines = str(caught.value).splitlines()
    assert any(line.startswith(prefix) and fragment in line for line in lines), lines


def test_there_are_at_least_25_error_kinds():
    assert len(CASES) >= 25


def test_experiment_id_must_be_a_safe_name(in_tmp):
    spec = write_spec(in_tmp, "Bad Name.json", valid_spec())
    with pytest.raises(SpecError, match=r"Bad Name.json: expected a file name .* 'Bad Name'"):
        compile_spec(spec)


def test_extends_cycle_is_named(in_tmp):
    write_spec(in_tmp, "a.json", {**valid_spec(), "extends": "b.json"})
    write_spec(in_tmp, "b.json", {"extends": "a.json"})
    with pytest.raises(
        SpecError,
        match=r"b.json: \$.extends: extends forms a cycle: a.json -> "
        r"b.json -> .*a.json",
    ):
        compile_spec(in_tmp / "a.json")


def test_inherited_mistake_names_the_parent_file(in_tmp):
    write_spec(in_tmp, "_base.json", valid_spec(model={"template": "convnet", "units": 0}))
    spec = write_spec(in_tmp, "child.json", {"extends": "_base.json", "model": {"dropout": 0.1}})
    with pytest.raises(SpecError, match=r"^_base.json: \$.model.units: expected an integer >= 1"):
        compile_spec(spec)


def test_several_mistakes_are_all_reported_in_one_run(in_tmp):
    """Schema mistakes in some sections do not hide semantic ones in the others."""
    spec = valid_spec(
        data={"dataset": "digits", "validation": 0.1, "max_train_samples": 3},
        model={"template": "convnet", "units": 0, "activaton": "relu"},
        optimizer={"name": "adam", "momentum": 0.5},
        training={"epochs": "ten"},
    )
    with pytest.raises(SpecError) as caught:
        compile_spec(write_spec(in_tmp, "x.json", spec))
    assert [p.path for p in caught.value.problems] == [
        ("data", "validation"),
        ("model", "activaton"),
        ("model", "units"),
        ("optimizer", "momentum"),
        ("training", "epochs"),
    ]
