"""Schema and registries agree by construction: each enum is exactly its registry's keys."""

from __future__ import annotations

import inspect

import pytest

from netspec.datasets import DATASETS
from netspec.layers import ACTIVATIONS, LAYERS
from netspec.optimizers import OPTIMIZERS
from netspec.schema import spec_schema
from netspec.templates import TEMPLATES

DEFS = spec_schema()["$defs"]


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
    used = {key for kind in OPTIMIZERS.values() for key in kind.defaults}
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


keras = pytest.importorskip("keras")


def test_registry_names_exist_in_keras():
    for kind in LAYERS.values():
        assert inspect.isclass(getattr(keras.layers, kind.keras_class))
    for name in ACTIVATIONS:
        assert callable(keras.activations.get(name))
    for name, kind in OPTIMIZERS.items():
        signature = inspect.signature(getattr(keras.optimizers, kind.keras_class))
        for key, default in kind.defaults.items():
            if (name, key) != ("sgd", "momentum"):  # the seed's 0.9, on purpose
                assert signature.parameters[key].default == default, (name, key)
