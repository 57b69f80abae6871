"""The spec schema: loading it, checking a spec against it (every error, in words), filling defaults."""

from __future__ import annotations

import json
from functools import cache, lru_cache
from importlib import resources
from typing import TYPE_CHECKING

from netspec.errors import Problem, show, suggest

_TYPES = {
    "integer": "an integer",
    "number": "a number",
    "string": "a string",
    "boolean": "true or false",
    "object": "an object",
    "array": "a list",
    "null": "null",
}


def _is_integer(checker, instance) -> bool:
    # JSON Schema counts 100.0 as an integer; Keras would not: a count must be written 100.
    return isinstance(instance, int) and not isinstance(instance, bool)


if TYPE_CHECKING:
    import jsonschema


@cache
def _validator_class() -> type:
    """Draft 2020-12 with a strict integer; imported on first use (a cached plan needs none)."""
    import jsonschema

    return jsonschema.validators.extend(
        jsonschema.Draft202012Validator,
        type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer),
    )


@cache
def spec_schema() -> dict:
    with resources.files("netspec").joinpath("schemas/spec.schema.json").open() as handle:
        return json.load(handle)


@cache
def inlined_schema() -> dict:
    """The schema with every local $ref replaced by its target: no reference resolution per check
    (the spec schema has no recursion), which makes validating a thousand specs ~2x faster."""
    return _inline(spec_schema())


def _inline(node: object) -> object:
    if isinstance(node, dict):
        if "$ref" in node:
            target = spec_schema()["$defs"][node["$ref"].removeprefix("#/$defs/")]
            node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
            return _inline(node)
        return {k: _inline(v) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline(item) for item in node]
    return node


@cache
def _validator() -> jsonschema.Validator:
    return _validator_class()(inlined_schema())


def schema_problems(instance: object, origin) -> list[Problem]:
    """Every schema violation of a resolved spec; `origin(path)` names the file a path came from.

    The top level (no cross-section rules) is checked on its own, then each section against its
    subschema, memoised by content: a study's thousand variants share a few dozen distinct
    `data`, `optimizer` or even `model` sections, and each distinct one is validated once.
    """
    if not isinstance(instance, dict):
        found = _problems(_validator(), instance)
    else:
        found = list(_problems(_top_validator(), instance))
        for key in inlined_schema()["properties"]:
            if key in instance:
                text = json.dumps(instance[key], sort_keys=True)
                found += [((key, *path), message) for path, message in _section(key, text)]
    return [Problem(origin(path), path, message) for path, message in found]


@cache
def _top_validator() -> jsonschema.Validator:
    schema = inlined_schema()
    return _validator_class()({**schema, "properties": {key: True for key in schema["properties"]}})


@cache
def _section_validator(key: str) -> jsonschema.Validator:
    return _validator_class()(inlined_schema()["properties"][key])


@lru_cache(maxsize=4096)
def _section(key: str, text: str) -> tuple:
    return _problems(_section_validator(key), json.loads(text))


def _problems(validator: jsonschema.Validator, instance: object) -> tuple:
    """(path, message) for every violation, in the validator's order."""
    found = []
    for error in validator.iter_errors(instance):
        for leaf in _leaves(error):
            for extra_path, message in _describe(leaf):
                found.append((tuple(leaf.absolute_path) + extra_path, message))
    return tuple(found)


def _leaves(error: jsonschema.ValidationError):
    """The specific errors under an if/then branch, or the error itself."""
    if error.validator in ("anyOf", "oneOf") and error.context:
        # Report the alternatives that got furthest (deepest path) rather than "not valid under any".
        deepest = max(len(e.absolute_path) for e in error.context)
        if deepest > len(error.absolute_path):
            yield from (e for e in error.context if len(e.absolute_path) == deepest)
            return
    yield error


def _expected(schema: dict) -> str:
    types = schema.get("type")
    if isinstance(types, str):
        types = [types]
    if not types:
        return "a value"
    return " or ".join(_TYPES[t] for t in types)


def _describe(error: jsonschema.ValidationError) -> list[tuple[tuple, str]]:
    kind, schema, value = error.validator, error.schema, error.instance
    if kind == "required":
        missing = [key for key in schema["required"] if key not in value]
        return [((key,), f"missing required key {key!r}") for key in missing]
    if kind == "additionalProperties":
        known = sorted(schema.get("properties", {}))
        extras = [key for key in value if key not in known]
        return [
            (
                (key,),
                f"unknown key {key!r}{suggest(key, known)}; expected one of: "
                f"{', '.join(known) or 'no keys'}",
            )
            for key in extras
        ]
    if kind in ("enum", "const"):
        allowed = schema["enum"] if kind == "enum" else [schema["const"]]
        names = ", ".join(show(a) for a in allowed)
        return [((), f"expected one of {names}, received {show(value)}{suggest(value, allowed)}")]
    if kind == "type":
        return [((), f"expected {_expected(schema)}, received {show(value)}")]
    bounds = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}
    if kind in bounds:
        expected = _expected({"type": [t for t in _listed(schema) if t in ("integer", "number")]})
        bound = schema[kind]
        return [((), f"expected {expected} {bounds[kind]} {show(bound)}, received {show(value)}")]
    if kind in ("minItems", "maxItems"):
        low, high = schema.get("minItems"), schema.get("maxItems")
        count = f"{low}" if low == high else f"{low or 0} to {high if high is not None else 'any'}"
        return [((), f"expected a list of {count} items, received {show(value)}")]
    if kind == "minLength":
        return [((), f"expected a non-empty string, received {show(value)}")]
    return [((), f"{error.message}")]


def _listed(schema: dict) -> list[str]:
    types = schema.get("type", ["number"])
    return [types] if isinstance(types, str) else types


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
    """Evaluate an `if` of the spec schema (type, required, const properties) without jsonschema."""
    if "type" in condition and not _validator_class().TYPE_CHECKER.is_type(
        instance, condition["type"]
    ):
        return False
    if "required" in condition or "properties" in condition:
        if not isinstance(instance, dict):
            return True  # JSON Schema: object keywords ignore non-objects
        if any(key not in instance for key in condition.get("required", ())):
            return False
        for key, sub in condition.get("properties", {}).items():
            if key in instance and instance[key] != sub["const"]:
                return False
    return True


@cache
def _defaults_json(definition: str) -> str:
    return json.dumps(_fill({}, _inline({"$ref": f"#/$defs/{definition}"})))


def defaults_of(definition: str) -> dict:
    """The defaults of one $defs entry, e.g. defaults_of('conv2d') for a layer made in code."""
    return json.loads(_defaults_json(definition))
