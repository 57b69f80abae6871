"""Field declarations: one spec field's JSON type, bounds, default and meaning, and its schema."""

from __future__ import annotations

import copy
from dataclasses import dataclass

NO_DEFAULT = object()  # a field without a default is required where its object is present
OPTIONAL = object()  # a field that may be left out, and then stays out (nothing is filled in)


@dataclass(frozen=True)
class Field:
    """One field of a spec object. `schema` holds its JSON Schema keywords (type, bounds, enum,
    $ref...); `default` is what netspec fills in when the field is left out."""

    schema: dict
    description: str
    default: object = NO_DEFAULT

    @property
    def required(self) -> bool:
        return self.default is NO_DEFAULT

    @property
    def has_default(self) -> bool:
        return self.default is not NO_DEFAULT and self.default is not OPTIONAL

    def json_schema(self) -> dict:
        out = copy.deepcopy(self.schema)
        if self.has_default:
            out["default"] = copy.deepcopy(self.default)
        out["description"] = self.description
        return out

    def with_default(self, default: object) -> Field:
        return Field(self.schema, self.description, default)


def _typed(kind: str, null: bool) -> dict:
    return {"type": [kind, "null"] if null else kind}


def _bounds(**bounds) -> dict:
    names = {
        "minimum": "minimum",
        "maximum": "maximum",
        "exclusive_minimum": "exclusiveMinimum",
        "exclusive_maximum": "exclusiveMaximum",
    }
    return {names[key]: value for key, value in bounds.items() if value is not None}


def integer(description: str, default=NO_DEFAULT, *, null=False, minimum=None, maximum=None):
    return Field(
        {**_typed("integer", null), **_bounds(minimum=minimum, maximum=maximum)},
        description,
        default,
    )


def number(
    description: str,
    default=NO_DEFAULT,
    *,
    null=False,
    minimum=None,
    maximum=None,
    exclusive_minimum=None,
    exclusive_maximum=None,
):
    bounds = _bounds(
        minimum=minimum,
        maximum=maximum,
        exclusive_minimum=exclusive_minimum,
        exclusive_maximum=exclusive_maximum,
    )
    return Field({**_typed("number", null), **bounds}, description, default)


def boolean(description: str, default=NO_DEFAULT) -> Field:
    return Field({"type": "boolean"}, description, default)


def string(description: str, default=NO_DEFAULT, *, non_empty=False) -> Field:
    return Field(
        {"type": "string", **({"minLength": 1} if non_empty else {})}, description, default
    )


def choice(values, description: str, default=NO_DEFAULT) -> Field:
    return Field({"enum": list(values)}, description, default)


def const(value, description: str) -> Field:
    return Field({"const": value}, description)


def ref(definition: str, description: str, default=NO_DEFAULT) -> Field:
    """A field whose type is a shared definition of the schema ($defs)."""
    return Field({"$ref": f"#/$defs/{definition}"}, description, default)


def object_schema(fields: dict[str, Field], description: str, *, types="object") -> dict:
    """A strict JSON object of these fields: unknown keys are errors, fields without defaults
    are required."""
    required = [name for name, declared in fields.items() if declared.required]
    return {
        "type": types,
        "additionalProperties": False,
        **({"required": required} if required else {}),
        "description": description,
        "properties": {name: declared.json_schema() for name, declared in fields.items()},
    }
