"""The spec's JSON Schema, generated from the declarations (layers, optimizers, templates,
datasets, sections). `netspec schema > schemas/spec.schema.json` writes the committed copy that
editors read; netspec itself validates against the schema generated here."""

from __future__ import annotations

import json
from functools import cache

from netspec.data.kinds import DATASETS, NPZ_FIELDS
from netspec.fields import Field, const, object_schema
from netspec.registry import derived
from netspec.spec import sections
from netspec.spec.layers import ACTIVATIONS, LAYERS
from netspec.spec.messages import KEYS_BY_NAME
from netspec.spec.optimizers import DEFAULT, LEARNING_RATE, OPTIMIZERS
from netspec.spec.templates import TEMPLATES

DRAFT = "https://json-schema.org/draft/2020-12/schema"
# Definitions every schema has; a declared kind may not take one of these names.
SHARED = (
    *("data", "npz", "model", "layer_list", "layer", "optimizer", "training", "resources"),
    *("sweep", "distribution"),
)


def _when(key: str, value: str, definition: str) -> dict:
    """if/then: the definition that applies when `key` is `value`."""
    return {
        "if": {"required": [key], "properties": {key: {"const": value}}},
        "then": {"$ref": f"#/$defs/{definition}"},
    }


def _kind_object(key: str, name: str, what: str, description: str, fields: dict) -> dict:
    return object_schema({key: const(name, what), **fields}, description)


def _data() -> dict:
    schema = object_schema(sections.DATA, "The dataset and how it is split.")
    dataset = {
        "type": ["string", "object"],
        "if": {"type": "string"},
        "then": {"enum": DATASETS.names()},
        "else": {"$ref": "#/$defs/npz"},
        "description": 'A registered dataset name, or {"npz": path} for your own arrays.',
    }
    schema["required"] = ["dataset"]
    schema["properties"] = {"dataset": dataset, **schema["properties"]}
    return schema


def _model() -> dict:
    return {
        "type": "object",
        "description": (
            'A template with its parameters ({"template": "convnet", ...}) or an explicit '
            '{"layers": [...]} list.'
        ),
        "if": {"required": ["template"]},
        "then": {
            "properties": {
                "template": {"enum": TEMPLATES.names(), "description": "Template name."}
            },
            "allOf": [_when("template", name, name) for name in TEMPLATES],
        },
        "else": {"$ref": "#/$defs/layer_list"},
    }


def _layers() -> dict:
    defs = {
        "layer_list": object_schema(
            {
                "layers": Field(
                    {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/layer"}},
                    "The layers in order.",
                )
            },
            "An explicit model; its last layer must be a softmax dense layer with one unit per "
            "class.",
        ),
        "layer": {
            "type": "object",
            "required": ["type"],
            "description": "One layer; 'type' selects which.",
            "properties": {"type": {"enum": LAYERS.names(), "description": "Layer type."}},
            "allOf": [_when("type", name, name) for name in LAYERS],
        },
    }
    for kind in LAYERS.values():
        defs[kind.name] = _kind_object(
            "type", kind.name, "Layer type.", kind.description, kind.fields
        )
    return defs


def _optimizer() -> dict:
    """One object for every optimizer: `name`, `learning_rate`, and each argument that some
    optimizer takes, described with who takes it (checks.py refuses it for the others)."""
    fields: dict[str, Field] = {}
    takers: dict[str, list[str]] = {}
    for kind in OPTIMIZERS.values():
        for key, declared in kind.fields.items():
            if key in fields and fields[key].schema != declared.schema:
                raise ValueError(
                    f"optimizer argument {key!r} is declared differently by {kind.name}"
                )
            fields.setdefault(key, declared)
            takers.setdefault(key, []).append(
                f"{kind.name}: default {json.dumps(declared.default)}"
            )
    properties = {
        "name": {"enum": OPTIMIZERS.names(), "default": DEFAULT, "description": "Optimizer."},
        "learning_rate": LEARNING_RATE.json_schema(),
    }
    for key, declared in fields.items():
        properties[key] = {
            **declared.schema,
            "description": f"{declared.description} ({'; '.join(takers[key])}).",
        }
    return {
        "type": "object",
        "additionalProperties": False,
        "description": (
            "The optimizer. Each name takes learning_rate plus its own arguments (Keras names); "
            "defaults are Keras', except sgd's momentum 0.9 (the seed's)."
        ),
        "properties": properties,
        # which keys each name takes: the words for an unknown key list the chosen name's only
        KEYS_BY_NAME: {
            kind.name: sorted(["name", "learning_rate", *kind.fields])
            for kind in OPTIMIZERS.values()
        },
    }


def _shared() -> dict:
    return {
        "size": {
            "description": "A window size: one integer for both axes or [height, width].",
            "type": ["integer", "array"],
            "minimum": 1,
            "items": {"type": "integer", "minimum": 1},
            "minItems": 2,
            "maxItems": 2,
        },
        "activation_name": {"description": "Activation function name.", "enum": list(ACTIVATIONS)},
        "l2": object_schema(
            {
                "kernel": Field({"type": "number", "minimum": 0}, "L2 factor on the weights.", 0),
                "bias": Field({"type": "number", "minimum": 0}, "L2 factor on the biases.", 0),
            },
            "L2 regularization factors.",
        ),
    }


def build_schema() -> dict:
    """The spec schema as the declarations define it now."""
    names = [*LAYERS, *TEMPLATES]
    clashes = sorted(set(names) & {*SHARED, "size", "activation_name", "l2"})
    if clashes or len(set(names)) != len(names):
        raise ValueError(
            f"a layer type or template takes a reserved or shared name: {clashes or names}"
        )
    defs = {
        "data": _data(),
        "npz": object_schema(
            NPZ_FIELDS, "Your own data: an .npz file with x_train, y_train, x_test, y_test."
        ),
        "model": _model(),
        **{
            kind.name: _kind_object(
                "template", kind.name, "Template name.", kind.description, kind.fields
            )
            for kind in TEMPLATES.values()
        },
        **_layers(),
        "optimizer": _optimizer(),
        "training": object_schema(sections.TRAINING, "How the model is fitted."),
        "resources": object_schema(
            sections.RESOURCES,
            "What a training job asks of the machine or cluster; each key left out takes the "
            "config's default.",
        ),
        "sweep": sections.SWEEP,
        "distribution": sections.DISTRIBUTION,
        **_shared(),
    }
    return {
        "$schema": DRAFT,
        "title": "netspec experiment spec",
        "description": (
            "One experiment: which data, which model, how to optimize and train it, and the "
            "resources it needs. Written by hand; netspec fills the defaults given here. "
            "Generated from netspec's declarations by `netspec schema`: do not edit."
        ),
        "type": "object",
        "additionalProperties": False,
        "required": ["data", "model"],
        "properties": {
            "$schema": {
                "type": "string",
                "description": "Path or URL of this schema, for editors; ignored by netspec.",
            },
            "description": {
                "type": "string",
                "description": "What this variant is, in words. Prose: editing it retrains nothing.",
            },
            "extends": {
                "type": "string",
                "description": "Path of a parent spec, relative to this file. Objects deep-merge (this file wins), lists replace.",
            },
            "data": {"$ref": "#/$defs/data"},
            "model": {"$ref": "#/$defs/model"},
            "optimizer": {"$ref": "#/$defs/optimizer", "default": {}},
            "training": {"$ref": "#/$defs/training", "default": {}},
            "resources": {"$ref": "#/$defs/resources", "default": {}},
            "sweep": {"$ref": "#/$defs/sweep"},
        },
        "$defs": defs,
    }


@derived
@cache
def spec_schema() -> dict:
    """The generated schema, memoised until a declaration is registered. Validation refuses it
    when it holds a keyword that validation cannot put into words (validation.checked_schema):
    the schema is data for validation, and this module imports nothing of it."""
    return build_schema()


def schema_text() -> str:
    """The committed file's exact text."""
    return json.dumps(spec_schema(), indent=2) + "\n"
