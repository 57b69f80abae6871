"""A spec can never run code: every name is looked up in a registry, hostile names are refused."""

from __future__ import annotations

import pytest
from conftest import valid_spec, write_spec

from netspec.errors import SpecError
from netspec.spec.compile import compile_spec

HOSTILE = [
    "os.system",
    "__import__",
    "eval",
    "keras.layers.Lambda",
    "builtins.exec",
    "subprocess.Popen",
    "netspec.cli.main",
    "lambda x: x",
    "",
    "RELU",
]

PLACES = {
    "activation": (
        lambda v: valid_spec(model={"template": "convnet", "activation": v}),
        "$.model.activation",
        '"relu"',
    ),
    "layer-type": (
        lambda v: valid_spec(model={"layers": [{"type": v}]}),
        "$.model.layers[0].type",
        '"conv2d"',
    ),
    "layer-activation": (
        lambda v: valid_spec(
            model={"layers": [{"type": "flatten"}, {"type": "dense", "units": 10, "activation": v}]}
        ),
        "$.model.layers[1].activation",
        '"softmax"',
    ),
    "template": (lambda v: valid_spec(model={"template": v}), "$.model.template", '"convnet"'),
    "optimizer": (lambda v: valid_spec(optimizer={"name": v}), "$.optimizer.name", '"adam"'),
    "dataset": (lambda v: valid_spec(data={"dataset": v}), "$.data.dataset", '"digits"'),
    "monitor": (
        lambda v: valid_spec(training={"early_stopping": {"monitor": v}}),
        "$.training.early_stopping.monitor",
        '"val_loss"',
    ),
}


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("place", PLACES)
def test_hostile_names_are_refused_with_the_allowed_values(tmp_path, monkeypatch, place, value):
    monkeypatch.chdir(tmp_path)
    make, path, allowed = PLACES[place]
    with pytest.raises(SpecError) as caught:
        compile_spec(write_spec(tmp_path, "x.json", make(value)))
    message = str(caught.value)
    assert f"x.json: {path}: expected one of" in message
    assert allowed in message  # the allowed values are listed


def test_hostile_extends_outside_the_project_is_just_a_missing_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    spec = {**valid_spec(), "extends": "/proc/self/../nope.json"}
    with pytest.raises(SpecError, match=r"\$.extends: expected an existing spec file"):
        compile_spec(write_spec(tmp_path, "x.json", spec))
