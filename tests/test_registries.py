"""Schema and registries agree by construction: each enum is exactly its registry's keys."""

from __future__ import annotations

import inspect

import pytest
from conftest import ROOT, valid_spec, write_spec

from netspec.data.kinds import DATASETS
from netspec.errors import SpecError
from netspec.fields import Field, number
from netspec.spec.compile import compile_spec
from netspec.spec.layers import ACTIVATIONS, LAYERS, Cost, LayerKind, same_shape
from netspec.spec.optimizers import OPTIMIZERS
from netspec.spec.schema import schema_text, spec_schema
from netspec.spec.templates import TEMPLATES
from netspec.spec.validation import checked_schema

DEFS = spec_schema()["$defs"]  # as declared by netspec itself (before any test registers more)


def test_layer_types_match_the_registry():
    assert DEFS["layer"]["properties"]["type"]["enum"] == list(LAYERS)
    for name in LAYERS:
        assert DEFS[name]["properties"]["type"]["const"] == name
        branch = [
            b for b in DEFS["layer"]["allOf"] if b["if"]["properties"]["type"]["const"] == name
        ]
        assert branch and branch[0]["then"] == {"$ref": f"#/$defs/{name}"}


def test_templates_match_the_registry():
    assert DEFS["model"]["then"]["properties"]["template"]["enum"] == list(TEMPLATES)
    for name in TEMPLATES:
        assert DEFS[name]["properties"]["template"]["const"] == name


def test_optimizers_match_the_registry():
    properties = DEFS["optimizer"]["properties"]
    assert properties["name"]["enum"] == list(OPTIMIZERS)
    used = {key for kind in OPTIMIZERS.values() for key in kind.fields}
    assert used == set(properties) - {"name", "learning_rate"}


def test_datasets_match_the_registry():
    assert DEFS["data"]["properties"]["dataset"]["then"]["enum"] == list(DATASETS)


def test_activations_match_the_registry():
    assert DEFS["activation_name"]["enum"] == list(ACTIVATIONS)


def test_every_object_in_the_schema_is_strict_and_described():
    def walk(node, where):
        if isinstance(node, dict):
            is_object = "object" in (node.get("type") or [])  # "object" or a list holding it
            if is_object and "properties" in node and "allOf" not in node:  # else branches are
                assert node.get("additionalProperties") is False, where
            for key, sub in node.get("properties", {}).items():
                assert "description" in sub or "$ref" in sub, f"{where}.{key}"
            for key, value in node.items():
                if key != "if":  # conditions select a branch; they define no properties
                    walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, item in enumerate(node):
                walk(item, f"{where}[{index}]")

    walk(spec_schema(), "#")


def test_registry_names_exist_in_keras():
    keras = pytest.importorskip("keras")

    for kind in LAYERS.values():
        assert inspect.isclass(getattr(keras.layers, kind.keras_class))
    for name in ACTIVATIONS:
        assert callable(keras.activations.get(name))
    for name, kind in OPTIMIZERS.items():
        signature = inspect.signature(getattr(keras.optimizers, kind.keras_class))
        for key, declared in kind.fields.items():
            if (name, key) != ("sgd", "momentum"):  # the seed's 0.9, on purpose
                assert signature.parameters[key].default == declared.default, (name, key)


def test_the_committed_schema_is_the_generated_one():
    """schemas/spec.schema.json is output: regenerate it with `netspec schema > schemas/...`."""
    committed = (ROOT / "schemas" / "spec.schema.json").read_text()
    assert committed == schema_text(), "stale: run netspec schema > schemas/spec.schema.json"


def test_a_schema_keyword_that_validation_cannot_explain_is_refused():
    odd = LayerKind(
        name="odd_dense",
        keras_class="Dense",
        description="A dense layer whose unit count must be even.",
        fields={"units": Field({"type": "integer", "multipleOf": 2}, "Units.")},
        cost=same_shape,
    )
    LAYERS.register(odd)
    try:
        with pytest.raises(ValueError, match=r"schema keyword 'multipleOf' at #/\$defs/odd_dense"):
            checked_schema()  # what validation reads
    finally:
        LAYERS.unregister("odd_dense")
    assert "odd_dense" not in spec_schema()["$defs"]


def test_an_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown optimizer 'adamm' \(did you mean 'adam'\?\)"):
        OPTIMIZERS.get("adamm")
    with pytest.raises(ValueError, match="already registered"):
        LAYERS.register(LAYERS.get("dense"))


@pytest.fixture
def noise_layer():
    """A layer type added in one declaration, as docs/design.md shows."""

    def cost(layer, shape):
        return Cost(shape)

    kind = LAYERS.register(
        LayerKind(
            name="gaussian_noise",
            keras_class="GaussianNoise",
            description="Additive zero-mean Gaussian noise while training.",
            fields={"stddev": number("Standard deviation of the noise.", 0.1, minimum=0)},
            cost=cost,
        )
    )
    yield kind
    LAYERS.unregister("gaussian_noise")


def test_a_layer_type_declared_once_is_validated_checked_built_and_in_the_schema(
    noise_layer, in_tmp
):
    schema = spec_schema()
    assert "gaussian_noise" in schema["$defs"]["layer"]["properties"]["type"]["enum"]
    assert schema["$defs"]["gaussian_noise"]["properties"]["stddev"]["default"] == 0.1
    layers = [
        {"type": "flatten"},
        {"type": "gaussian_noise"},
        {"type": "dense", "units": 10, "activation": "softmax"},
    ]
    spec = write_spec(in_tmp, "noisy.json", valid_spec(model={"layers": layers}))
    experiment = compile_spec(spec)
    assert experiment.layers[1] == {"type": "gaussian_noise", "stddev": 0.1}  # default filled
    assert [row.output_shape for row in experiment.summary.layers] == [(64,), (64,), (10,)]

    bad = valid_spec(model={"layers": [{"type": "gaussian_noise", "stddev": -1}, *layers]})
    with pytest.raises(SpecError) as caught:
        compile_spec(write_spec(in_tmp, "bad.json", bad))
    assert str(caught.value) == (
        "bad.json: $.model.layers[0].stddev: expected a number >= 0, received -1"
    )
    shrink = valid_spec(
        model={"layers": [{"type": "gaussian_noise"}, {"type": "global_avg_pool2d"}, *layers]}
    )
    compile_spec(write_spec(in_tmp, "ok.json", shrink))  # shape inference walks through it

    pytest.importorskip("keras")
    from netspec.train.keras_build import build

    model = build(experiment)
    noise = model.layers[1]
    assert type(noise).__name__ == "GaussianNoise" and noise.stddev == 0.1
    assert model.output_shape == (None, 10)
