"""What a variant changes relative to its base, field by field (for the report)."""

from __future__ import annotations

from netspec.spec.loading import PROSE

MISSING = object()


def flatten(value: object, prefix: str = "") -> dict[str, object]:
    """{"model": {"l2": {"kernel": 0.1}}} -> {"model.l2.kernel": 0.1}; lists stay whole."""
    if isinstance(value, dict) and value:
        out = {}
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else key))
        return out
    return {prefix: value}


def differences(base: dict, variant: dict) -> list[tuple[str, object, object]]:
    """(field, base value, variant value) for every field that differs; MISSING where unset."""
    old = {k: v for k, v in flatten(base).items() if k.split(".")[0] not in PROSE}
    new = {k: v for k, v in flatten(variant).items() if k.split(".")[0] not in PROSE}
    return [
        (key, old.get(key, MISSING), new.get(key, MISSING))
        for key in sorted(set(old) | set(new))
        if old.get(key, MISSING) != new.get(key, MISSING)
    ]
