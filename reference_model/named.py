"""Tuples of named objects, the worlds' collections: replace or insert by name, find by name."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeVar


class Named(Protocol):
    @property
    def name(self) -> str: ...


N = TypeVar("N", bound=Named)


def put(items: tuple[N, ...], item: N) -> tuple[N, ...]:
    """Insert or replace by name, kept sorted by name."""
    rest = [i for i in items if i.name != item.name]
    return tuple(sorted([*rest, item], key=lambda i: i.name))


def find(items: Iterable[N], name: str) -> N | None:
    return next((i for i in items if i.name == name), None)
