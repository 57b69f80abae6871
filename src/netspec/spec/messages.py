"""Each JSON Schema keyword that can fail, put into words: one small function per keyword in
MESSAGES says, in the user's terms, what was expected and what was received. A keyword that is
neither there nor in STRUCTURE is refused when the schema is generated, never silently passed."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from netspec.errors import show, suggest

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
# An annotation of an object whose `name` chooses which of its keys apply (the optimizer): name ->
# its keys. Validation ignores it; the words for an unknown key list the chosen name's keys only.
KEYS_BY_NAME = "x-keys-by-name"


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
    declared = sorted(error.schema.get("properties", {}))
    known, of = declared, ""
    by_name = error.schema.get(KEYS_BY_NAME, {})
    if by_name:  # an optimizer: the keys its name takes (the default name where none is given)
        default = error.schema.get("properties", {}).get("name", {}).get("default")
        name = error.instance.get("name", default)
        if isinstance(name, str) and name in by_name:
            known, of = by_name[name], f" {name}'s"
    return [
        (
            (key,),
            f"unknown key {key!r}{suggest(key, known)}; expected one of{of}: "
            f"{', '.join(known) or 'no keys'}",
        )
        for key in error.instance
        if key not in declared  # another name's key: netspec.spec.checks says whose it is
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
    {"$schema", "$ref", "$defs", "title", "description", "default", KEYS_BY_NAME}
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
                "netspec.spec.messages.MESSAGES; add one there, or use a keyword it knows"
            )
        if key in _NAMED:
            for name, sub in value.items():
                check_keywords(sub, f"{where}/{key}/{name}")
        elif isinstance(value, dict | list) and key not in (
            "enum",
            "const",
            "default",
            "required",
            KEYS_BY_NAME,
        ):
            check_keywords(value, f"{where}/{key}")
