"""`<field>__ids_in=Ids(…)`: an `IN` over integer ids that skips Django's per-value work.

The region page ranks link rows by region with several lists of a few hundred region ids (a country's
scope holds every region), compiled a few times for each of its sections. For `__in=[…]` Django
resolves, hashes, prepares and normalises every value one by one: a third of the Python calls of a
signed-in visitor's region page. `Ids` holds the ids as one hashable value, checked to be integers
once, so the query building passes it through untouched; the lookup hands the whole list to the
driver as parameters. A plain list works too (it is checked and wrapped). Registered on integer and
foreign-key fields in `CoreConfig.ready`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db.models import Field, ForeignKey, IntegerField
from django.db.models.lookups import In


class Ids:
    """A sorted tuple of distinct integer ids, opaque to Django's value resolution."""

    __slots__ = ("ids",)

    def __init__(self, ids: Iterable[int]) -> None:
        values = set(ids)
        if not all(type(i) is int for i in values):
            raise TypeError("Ids holds integer ids only")
        self.ids = tuple(sorted(values))

    def __iter__(self) -> Iterator[int]:
        return iter(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    def __hash__(self) -> int:
        return hash(self.ids)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Ids) and other.ids == self.ids

    def __repr__(self) -> str:
        return f"Ids({list(self.ids)!r})"


class IdsIn(In):
    lookup_name = "ids_in"
    prepare_rhs = False

    def get_prep_lookup(self) -> Any:
        return self.rhs if isinstance(self.rhs, Ids) else Ids(self.rhs)

    def process_rhs(self, compiler: Any, connection: Any) -> tuple[str, tuple[int, ...]]:
        ids = tuple(self.rhs)
        if not ids:
            raise EmptyResultSet
        return "(" + ", ".join(["%s"] * len(ids)) + ")", ids


def register() -> None:
    field: type[Field[Any, Any]]
    for field in (IntegerField, ForeignKey):
        field.register_lookup(IdsIn)
