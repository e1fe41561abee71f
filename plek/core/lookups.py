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
from functools import cached_property
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db.models import BigIntegerField, F, Field, ForeignKey, Func, IntegerField
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


class TierRank(Func):
    """`CAST(CASE WHEN f = a THEN r0 WHEN f IN (…) THEN r1 … ELSE default END AS BIGINT) * span + f`
    over an integer field `f`: the rank of a link by the group its region falls in, ties broken by
    the region id (`plek.atlas.picture.RegionScope`). One expression with the ids as parameters,
    where `Case(When(…), …)` costs Django a resolve and a hash per branch and per value: a region
    page builds it for a dozen sections."""

    output_field = BigIntegerField()

    def __init__(self, field: str, groups: Iterable[tuple[int, Ids]], *, default: int, span: int) -> None:
        super().__init__(F(field))
        self.field_name = field
        self.groups = tuple((int(rank), ids if isinstance(ids, Ids) else Ids(ids)) for rank, ids in groups)
        self.default = int(default)
        self.span = int(span)

    @cached_property
    def identity(self) -> tuple[Any, ...]:
        return (TierRank, self.field_name, self.groups, self.default, self.span)

    def as_sql(  # type: ignore[override]  # takes no function/template: the SQL is built here
        self, compiler: Any, connection: Any, **extra_context: Any
    ) -> tuple[str, tuple[Any, ...]]:
        column, column_params = compiler.compile(self.source_expressions[0])
        whens: list[str] = []
        params: list[Any] = []
        for rank, ids in self.groups:
            if not ids:
                continue
            if len(ids) == 1:
                whens.append(f"WHEN {column} = %s THEN {rank}")
            else:
                whens.append(f"WHEN {column} IN ({', '.join(['%s'] * len(ids))}) THEN {rank}")
            params += [*column_params, *ids]
        case = f"CASE {' '.join(whens)} ELSE {self.default} END" if whens else str(self.default)
        sql = f"(CAST({case} AS BIGINT) * {self.span} + {column})"
        return sql, (*params, *column_params)
