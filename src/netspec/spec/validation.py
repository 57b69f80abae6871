"""Checking a spec against the generated schema (every error, in words) and filling defaults.

Each JSON Schema keyword that can fail has one small function in MESSAGES that says, in the
user's terms, what was expected and what was received. A keyword that is neither there nor in
STRUCTURE is refused when the schema is generated, never silently passed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache, lru_cache
from typing import TYPE_CHECKING

from netspec.errors import Problem, show, suggest
from netspec.registry import derived

if TYPE_CHECKING:
    import jsonschema

_TYPES = {
    "integer": "an integer",
    "number": "a number",
    "string": "a string",
    "boolean": "true or false",
    "object": "an object",
    "array": "a list",
    "null": "null",
}
_BOUNDS = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}
Message = list[tuple[tuple, str]]  # (path below the error's own, what is wrong)


def _expected(schema: dict) -> str:
    types = schema.get("type")
    if isinstance(types, str):
        types = [types]
    if not types:
        return "a value"
    return " or ".join(_TYPES[t] for t in types)


def _required(error) -> Message:
    missing = [key for key in error.schema["required"] if key not in error.instance]
    return [((key,), f"missing required key {key!r}") for key in missing]


def _unknown_keys(error) -> Message:
    known = sorted(error.schema.get("properties", {}))
    return [
        (
            (key,),
            f"unknown key {key!r}{suggest(key, known)}; expected one of: "
            f"{', '.join(known) or 'no keys'}",
        )
        for key in error.instance
        if key not in known
    ]


def _one_of(error) -> Message:
    schema, value = error.schema, error.instance
    allowed = schema["enum"] if error.validator == "enum" else [schema["const"]]
    names = ", ".join(show(a) for a in allowed)
    return [((), f"expected one of {names}, received {show(value)}{suggest(value, allowed)}")]


def _wrong_type(error) -> Message:
    return [((), f"expected {_expected(error.schema)}, received {show(error.instance)}")]


def _bound(error) -> Message:
    types = error.schema.get("type", ["number"])
    types = [types] if isinstance(types, str) else types
    expected = _expected({"type": [t for t in types if t in ("integer", "number")]})
    bound = f"{_BOUNDS[error.validator]} {show(error.schema[error.validator])}"
    return [((), f"expected {expected} {bound}, received {show(error.instance)}")]


def _count(error) -> Message:
    low, high = error.schema.get("minItems"), error.schema.get("maxItems")
    count = f"{low}" if low == high else f"{low or 0} to {high if high is not None else 'any'}"
    return [((), f"expected a list of {count} items, received {show(error.instance)}")]


def _distinct(error) -> Message:
    return [((), f"expected distinct values, received {show(error.instance)}")]


def _keys(error) -> Message:
    low, high = error.schema.get("minProperties"), error.schema.get("maxProperties")
    known = sorted(error.schema.get("properties", {}))
    of = f" of: {', '.join(known)}" if known else ""
    if low == high == 1:
        count = f"exactly one key{of}"
    elif high is None:
        count = f"at least {low} key{'s' if low != 1 else ''}{of}"
    else:
        count = f"{low or 0} to {high} keys{of}"
    return [((), f"expected an object with {count}, received {show(error.instance)}")]


def _non_empty(error) -> Message:
    return [((), f"expected a non-empty string, received {show(error.instance)}")]


MESSAGES: dict[str, Callable[[jsonschema.ValidationError], Message]] = {
    "required": _required,
    "additionalProperties": _unknown_keys,
    "enum": _one_of,
    "const": _one_of,
    "type": _wrong_type,
    **dict.fromkeys(_BOUNDS, _bound),
    "minItems": _count,
    "maxItems": _count,
    "minProperties": _keys,
    "maxProperties": _keys,
    "minLength": _non_empty,
    "uniqueItems": _distinct,
}
# Keywords that fail only through the keywords beneath them, or never: annotations, references,
# applicators. anyOf reports its most relevant alternative (jsonschema's best_match).
STRUCTURE = frozenset(
    {"$schema", "$ref", "$defs", "title", "description", "default"}
    | {"properties", "items", "if", "then", "else", "allOf", "anyOf"}
)
# Keywords whose value is a map from names to subschemas (the names are not keywords).
_NAMED = ("properties", "$defs")


def check_keywords(schema: object, where: str = "#") -> None:
    """Raise if the schema uses a keyword that validation cannot put into words."""
    if isinstance(schema, list):
        for index, item in enumerate(schema):
            check_keywords(item, f"{where}/{index}")
        return
    if not isinstance(schema, dict):
        return
    for key, value in schema.items():
        if key not in MESSAGES and key not in STRUCTURE:
            raise ValueError(
                f"schema keyword {key!r} at {where} has no message in "
                "netspec.spec.validation.MESSAGES; add one there, or use a keyword it knows"
            )
        if key in _NAMED:
            for name, sub in value.items():
                check_keywords(sub, f"{where}/{key}/{name}")
        elif isinstance(value, dict | list) and key not in ("enum", "const", "default", "required"):
            check_keywords(value, f"{where}/{key}")


def _is_integer(checker, instance) -> bool:
    # JSON Schema counts 100.0 as an integer; Keras would not: a count must be written 100.
    return isinstance(instance, int) and not isinstance(instance, bool)


@cache
def _validator_class() -> type:
    """Draft 2020-12 with a strict integer; imported on first use (a cached plan needs none)."""
    import jsonschema

    return jsonschema.validators.extend(
        jsonschema.Draft202012Validator,
        type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer),
    )


@derived
@cache
def inlined_schema() -> dict:
    """The schema with every local $ref replaced by its target: no reference resolution per check
    (the spec schema has no recursion), which makes validating a large study much faster."""
    schema = checked_schema()
    return _inline(schema, schema["$defs"])


@derived
@cache
def checked_schema() -> dict:
    """The generated spec schema, once every keyword in it is one that MESSAGES can explain."""
    from netspec.spec.schema import spec_schema

    schema = spec_schema()
    check_keywords(schema)
    return schema


def _inline(node: object, defs: dict) -> object:
    if isinstance(node, dict):
        if "$ref" in node:
            target = defs[node["$ref"].removeprefix("#/$defs/")]
            return _inline({**target, **{k: v for k, v in node.items() if k != "$ref"}}, defs)
        return {k: _inline(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline(item, defs) for item in node]
    return node


@derived
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


@derived
@cache
def _top_validator() -> jsonschema.Validator:
    schema = inlined_schema()
    return _validator_class()({**schema, "properties": {key: True for key in schema["properties"]}})


@derived
@cache
def _section_validator(key: str) -> jsonschema.Validator:
    return _validator_class()(inlined_schema()["properties"][key])


@derived
@lru_cache(maxsize=4096)
def _section(key: str, text: str) -> tuple:
    return _problems(_section_validator(key), json.loads(text))


def _problems(validator: jsonschema.Validator, instance: object) -> tuple:
    """(path, message) for every violation, in the validator's order."""
    found, mistyped = [], set()
    for error in validator.iter_errors(instance):
        for leaf in _leaves(error):
            path = tuple(leaf.absolute_path)
            if leaf.validator == "type":
                if path in mistyped:  # a branch's own type, after the value's: said once
                    continue
                mistyped.add(path)
            for extra_path, message in MESSAGES[leaf.validator](leaf):
                found.append((path + extra_path, message))
    return tuple(found)


def _leaves(error: jsonschema.ValidationError):
    """The errors to report for one violation: an anyOf's alternatives that got furthest (the
    deepest path), else its most relevant one; any other error itself."""
    if error.validator != "anyOf" or not error.context:
        yield error
        return
    deepest = max(len(e.absolute_path) for e in error.context)
    if deepest > len(error.absolute_path):
        for alternative in error.context:
            if len(alternative.absolute_path) == deepest:
                yield from _leaves(alternative)
        return
    from jsonschema.exceptions import best_match

    yield from _leaves(best_match(error.context))


def section_problems(key: str, value: object, origin) -> list[Problem]:
    """The schema violations of one top-level section on its own (a sweep, before its points)."""
    found = _section(key, json.dumps(value, sort_keys=True))
    return [Problem(origin((key, *path)), (key, *path), message) for path, message in found]


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
    return _validator_class()(json.loads(text))


@derived
@cache
def _defaults_json(definition: str) -> str:
    return json.dumps(_fill({}, inlined_schema_of(definition)))


def inlined_schema_of(definition: str) -> dict:
    return _inline({"$ref": f"#/$defs/{definition}"}, checked_schema()["$defs"])


def defaults_of(definition: str) -> dict:
    """The defaults of one $defs entry, e.g. defaults_of('conv2d') for a layer made in code."""
    return json.loads(_defaults_json(definition))
