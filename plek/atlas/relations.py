"""Typed relations of one Atlas entity, with the other end resolved (fixed number of queries)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from plek.atlas.models import Hub, Network, Organisation, Person, Programme, Region, Relation
from plek.atlas.permissions import Viewer, can_view, visible_q

END_MODELS: dict[str, Any] = {
    "region": Region,
    "organisation": Organisation,
    "person": Person,
    "network": Network,
    "hub": Hub,
    "programme": Programme,
}
PLURAL = {
    "organisation": "organisaties",
    "person": "kennishouders",
    "network": "netwerken",
    "hub": "kennishubs",
    "programme": "programmas",
}


@dataclass
class RelatedEnd:
    relation: Relation
    outgoing: bool  # True: this entity is the source
    other: Any
    other_type: str

    @property
    def plural(self) -> str | None:
        return PLURAL.get(self.other_type)


def relations_of(kind: str, obj: Any, viewer: Viewer, limit: int = 100) -> list[RelatedEnd]:
    rows = list(
        Relation.objects.filter(visible_q(viewer))
        .filter(Q(source_type=kind, source_id=obj.pk) | Q(target_type=kind, target_id=obj.pk))
        .order_by("kind", "id")[:limit]
    )
    wanted: dict[str, set[int]] = defaultdict(set)
    for rel in rows:
        outgoing = rel.source_type == kind and rel.source_id == obj.pk
        other_type, other_id = (
            (rel.target_type, rel.target_id) if outgoing else (rel.source_type, rel.source_id)
        )
        wanted[other_type].add(other_id)
    found = {t: END_MODELS[t].objects.in_bulk(list(ids)) for t, ids in wanted.items() if t in END_MODELS}
    out = []
    for rel in rows:
        outgoing = rel.source_type == kind and rel.source_id == obj.pk
        other_type, other_id = (
            (rel.target_type, rel.target_id) if outgoing else (rel.source_type, rel.source_id)
        )
        other = found.get(other_type, {}).get(other_id)
        if other is None or not can_view(viewer, other):
            continue
        out.append(RelatedEnd(relation=rel, outgoing=outgoing, other=other, other_type=other_type))
    return out
