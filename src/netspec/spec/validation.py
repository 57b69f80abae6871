"""Checking a spec against the generated schema: every error, each put into words by
netspec.spec.messages, section by section and memoised by content, so that a study of
thousands of variants validates its few dozen distinct sections once."""

from __future__ import annotations

import json
from functools import cache, lru_cache
from typing import TYPE_CHECKING

from netspec.errors import Problem
from netspec.registry import derived
from netspec.spec.messages import MESSAGES, check_keywords

if TYPE_CHECKING:
    import jsonschema


def _is_integer(checker, instance) -> bool:
    # JSON Schema counts 100.0 as an integer; Keras would not: a count must be written 100.
    return isinstance(instance, int) and not isinstance(instance, bool)


@cache
def validator_class() -> type:
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
    return inline(schema, schema["$defs"])


@derived
@cache
def checked_schema() -> dict:
    """The generated spec schema, once every keyword in it is one that MESSAGES can explain."""
    from netspec.spec.schema import spec_schema

    schema = spec_schema()
    check_keywords(schema)
    return schema


def inline(node: object, defs: dict) -> object:
    if isinstance(node, dict):
        if "$ref" in node:
            target = defs[node["$ref"].removeprefix("#/$defs/")]
            return inline({**target, **{k: v for k, v in node.items() if k != "$ref"}}, defs)
        return {k: inline(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [inline(item, defs) for item in node]
    return node


@derived
@cache
def _validator() -> jsonschema.Validator:
    return validator_class()(inlined_schema())


def schema_problems(instance: object, origin) -> list[Problem]:
    """Every schema violation of a resolved spec; `origin(path)` names the file a path came from.

    The top level (no cross-section rules) is checked on its own, then each section against its
    subschema, memoised by content: a study's thousand variants share a few dozen distinct
    `data`, `optimizer` or even `model` sections, and each distinct one is validated once.
    """
    if not isinstance(instance, dict):
        found = problems(_validator(), instance)
    else:
        found = list(problems(_top_validator(), instance))
        for key in inlined_schema()["properties"]:
            if key in instance:
                text = json.dumps(instance[key], sort_keys=True)
                found += [((key, *path), message) for path, message in _section(key, text)]
    return [Problem(origin(path), path, message) for path, message in found]


@derived
@cache
def _top_validator() -> jsonschema.Validator:
    schema = inlined_schema()
    return validator_class()({**schema, "properties": {key: True for key in schema["properties"]}})


@derived
@cache
def _section_validator(key: str) -> jsonschema.Validator:
    return validator_class()(inlined_schema()["properties"][key])


@derived
@lru_cache(maxsize=4096)
def _section(key: str, text: str) -> tuple:
    return problems(_section_validator(key), json.loads(text))


def problems(validator: jsonschema.Validator, instance: object) -> tuple:
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
