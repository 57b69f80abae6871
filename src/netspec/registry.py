"""Registries: name -> declaration for each kind of thing a spec can name, with one clear error."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Generic, Protocol, TypeVar

from netspec.errors import suggest

NAME = re.compile(r"[a-z][a-z0-9_]*")


class Declared(Protocol):
    name: str


T = TypeVar("T", bound=Declared)

# Caches of what is derived from the registries (the schema, its validators, defaults): cleared
# whenever an entry is added or removed, so a declaration registered later is seen everywhere.
_DERIVED: list[Callable[[], None]] = []


def derived(function):
    """Mark a memoised function (functools.cache / lru_cache) as derived from the registries."""
    _DERIVED.append(function.cache_clear)
    return function


class Registry(Generic[T]):
    """The declarations of one kind (layer types, optimizers, templates, datasets), by name.

    Entries are added with `register(Declaration(name=..., ...))`; everything else in netspec
    (the schema, validation, shape inference, the Keras build) reads them from here.
    """

    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, T] = {}

    def register(self, entry: T) -> T:
        if not NAME.fullmatch(entry.name):
            raise ValueError(
                f"a {self.kind} name must match {NAME.pattern}; received {entry.name!r}"
            )
        if entry.name in self._entries:
            raise ValueError(f"{self.kind} {entry.name!r} is already registered")
        self._entries[entry.name] = entry
        _changed()
        return entry

    def unregister(self, name: str) -> None:
        del self._entries[name]
        _changed()

    def get(self, name: str) -> T:
        """The declaration called `name`, or a ValueError that lists the known ones."""
        try:
            return self._entries[name]
        except (KeyError, TypeError):
            known = ", ".join(self._entries)
            raise ValueError(
                f"unknown {self.kind} {name!r}{suggest(name, self._entries)}; expected one of: "
                f"{known}"
            ) from None

    __getitem__ = get

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def names(self) -> list[str]:
        return list(self._entries)

    def values(self):
        return self._entries.values()

    def items(self):
        return self._entries.items()


def _changed() -> None:
    for clear in _DERIVED:
        clear()
