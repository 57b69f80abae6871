"""A schema-valid spec with every default its schema declares filled in, the branch of each
`if` decided by the validator itself; section by section, memoised by content like validation."""

from __future__ import annotations

import json
from functools import cache, lru_cache
from typing import TYPE_CHECKING

from netspec.registry import derived
from netspec.spec.validation import checked_schema, inline, inlined_schema, validator_class

if TYPE_CHECKING:
    import jsonschema


def with_defaults(instance: object) -> object:
    """A copy of a schema-valid spec with every default the schema declares filled in.

    Section by section (the top level has no conditionals), memoised by content like validation.
    """
    schema = inlined_schema()
    if not isinstance(instance, dict):
        return _fill(instance, schema)
    filled = dict(instance)
    for key, sub in schema["properties"].items():
        if key in filled:
            filled[key] = json.loads(_filled_section(key, json.dumps(filled[key])))
        elif "default" in sub:
            filled[key] = _fill(json.loads(json.dumps(sub["default"])), sub)
    return filled


@derived
@lru_cache(maxsize=4096)
def _filled_section(key: str, text: str) -> str:
    return json.dumps(_fill(json.loads(text), inlined_schema()["properties"][key]))


def _fill(instance: object, schema: dict) -> object:
    for branch in schema.get("allOf", ()):
        instance = _fill(instance, branch)
    if "if" in schema:
        taken = "then" if _holds(schema["if"], instance) else "else"
        if taken in schema:
            instance = _fill(instance, schema[taken])
    if isinstance(instance, dict):
        filled = dict(instance)
        for key, sub in schema.get("properties", {}).items():
            if key not in filled and "default" in sub:
                filled[key] = json.loads(json.dumps(sub["default"]))
            if key in filled:
                filled[key] = _fill(filled[key], sub)
        return filled
    if isinstance(instance, list) and "items" in schema:
        return [_fill(item, schema["items"]) for item in instance]
    return instance


def _holds(condition: dict, instance: object) -> bool:
    """Whether an `if` holds, decided by the validator itself."""
    return _condition(json.dumps(condition, sort_keys=True)).is_valid(instance)


@lru_cache(maxsize=256)
def _condition(text: str) -> jsonschema.Validator:
    return validator_class()(json.loads(text))


@derived
@cache
def _defaults_json(definition: str) -> str:
    return json.dumps(_fill({}, inlined_schema_of(definition)))


def inlined_schema_of(definition: str) -> dict:
    return inline({"$ref": f"#/$defs/{definition}"}, checked_schema()["$defs"])


def defaults_of(definition: str) -> dict:
    """The defaults of one $defs entry, e.g. defaults_of('conv2d') for a layer made in code."""
    return json.loads(_defaults_json(definition))
