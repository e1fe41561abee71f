"""The decision log as a section of `plek export` (registered in plek/platform/registry.py).
A confidential decision exports only that it was taken (date, meeting, reason of confidentiality),
whoever exports."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from plek.atlas.exporters import Section, site_base
from plek.atlas.permissions import Viewer
from plek.governance.models import Decision


def _queryset(viewer: Viewer) -> QuerySet[Any]:
    return Decision.objects.select_related("proposal", "standard_version__standard", "meeting").order_by("pk")


def _items(viewer: Viewer, rows: list[Decision]) -> list[dict[str, Any]]:
    out = []
    for d in rows:
        masked = d.confidential or (d.proposal is not None and d.proposal.confidential)
        out.append(
            {
                "id": d.pk,
                "decided_at": d.decided_at.isoformat(),
                "meeting": d.meeting.title if d.meeting else None,
                "confidential": masked,
                "confidential_reason": d.confidential_reason if masked else "",
                "outcome": None if masked else d.outcome,
                "subject": None if masked else d.subject_title,
                "text": None if masked else d.text,
                "reasons": None if masked else d.reasons,
            }
        )
    return out


def _jsonld(i: dict[str, Any]) -> dict[str, Any]:
    node: dict[str, Any] = {
        "@id": f"{site_base()}/governance/besluiten/{i['id']}/",
        "@type": "CreativeWork",
        "additionalType": "Decision",
        "dateCreated": i["decided_at"],
    }
    if i["confidential"]:
        node["name"] = "Besluit genomen (vertrouwelijk)"
    else:
        node.update(name=i["subject"], text=i["text"], abstract=i["reasons"])
    return node


DECISIONS_SECTION = Section("decisions", "decision", _queryset, _items, _jsonld)
