"""Trajectories as data: the full export of one trajectory (JSON and Markdown downloads, the API)
and the `learning_trajectories` section of `plek export` (only what the viewer may see)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from plek.atlas.exporters import Section, entity_iri, site_base
from plek.atlas.permissions import Viewer
from plek.learning.models import AgendaStatus, Lesson, Trajectory
from plek.learning.permissions import lesson_q, trajectory_q


def _agenda(trajectory: Trajectory) -> list[dict[str, Any]]:
    out = []
    for item in trajectory.agenda_items.all():
        out.append(
            {
                "number": item.number,
                "kind": item.kind,
                "text": item.text,
                "ambition": item.ambition,
                "barrier": item.barrier,
                "owner": item.owner,
                "status": item.status,
                "actions": item.actions,
                "opened_on": item.opened_on.isoformat(),
                "versions": [
                    {
                        "valid_from": v.valid_from.isoformat(),
                        **{
                            k: v.values()[k]
                            for k in ("kind", "text", "ambition", "barrier", "owner", "status", "actions")
                        },
                        "note": v.note,
                    }
                    for v in item.versions.all()
                ],
            }
        )
    return out


def trajectory_data(*, viewer: Viewer, trajectory: Trajectory) -> dict[str, Any]:
    """Everything of one trajectory the viewer may see (they may see the trajectory)."""
    trajectory = (
        Trajectory.objects.filter(pk=trajectory.pk)
        .select_related("owner_hub", "facilitator")
        .prefetch_related(
            "regions",
            "themes",
            "programmes",
            "participants",
            "agenda_items__versions",
            "sessions__items_discussed",
            "sessions__participants",
            "events",
            "quotes",
        )
        .get()
    )
    lessons = Lesson.objects.filter(lesson_q(viewer), trajectory=trajectory).prefetch_related(
        "regions", "themes"
    )
    return {
        "uuid": str(trajectory.uuid),
        "slug": trajectory.slug,
        "title": trajectory.title,
        "area_process": trajectory.area_process,
        "goal": trajectory.goal,
        "phase": trajectory.phase,
        "started_on": trajectory.started_on.isoformat(),
        "ended_on": trajectory.ended_on.isoformat() if trajectory.ended_on else None,
        "regions": sorted(r.code for r in trajectory.regions.all()),
        "themes": sorted(t.slug for t in trajectory.themes.all()),
        "programmes": sorted(p.slug for p in trajectory.programmes.all()),
        "facilitator": str(trajectory.facilitator) if trajectory.facilitator else None,
        "visibility": trajectory.visibility,
        "owner_hub": trajectory.owner_hub.slug if trajectory.owner_hub else None,
        "participants": [
            {"name": p.name, "organisation": p.organisation, "background": p.background, "scale": p.scale}
            for p in trajectory.participants.all()
        ],
        "agenda": _agenda(trajectory),
        "sessions": [
            {
                "kind": s.kind,
                "title": s.title,
                "date": s.date.isoformat(),
                "method": s.method,
                "participants": sorted(p.name for p in s.participants.all()),
                "agenda": s.agenda,
                "notes": s.notes,
                "reflections": s.reflections,
                "outcomes": s.outcomes,
                "items_discussed": sorted(i.number for i in s.items_discussed.all()),
            }
            for s in sorted(trajectory.sessions.all(), key=lambda s: (s.date, s.pk))
        ],
        "timeline": [
            {
                "date": e.date.isoformat(),
                "kind": e.kind,
                "title": e.title,
                "actors": e.actors,
                "significance": e.significance,
            }
            for e in trajectory.events.all()
        ],
        "quotes": [
            {
                "text": q.text,
                "speaker": q.speaker or None,
                "commentary": q.commentary,
                "date": q.date.isoformat() if q.date else None,
            }
            for q in trajectory.quotes.all()
        ],
        "lessons": [
            {
                "slug": lesson.slug,
                "title": lesson.title,
                "insight": lesson.insight,
                "evidence": lesson.evidence,
                "conditions": lesson.conditions,
                "regions": sorted(r.code for r in lesson.regions.all()),
                "themes": sorted(t.slug for t in lesson.themes.all()),
                "scale": lesson.scale,
                "date": lesson.date.isoformat(),
            }
            for lesson in lessons
        ],
    }


def trajectory_markdown(data: dict[str, Any]) -> str:
    """A plain learning history of the trajectory (Dutch headings; the content is as written)."""
    lines = [
        f"# {data['title']}",
        "",
        f"*Gebiedsproces:* {data['area_process']}  ",
        f"*Doel:* {data['goal']}  ",
    ]
    lines += [f"*Gestart:* {data['started_on']}  ", f"*Gebieden:* {', '.join(data['regions'])}", ""]
    lines += ["## Deelnemers", ""]
    lines += [
        f"- {p['name']} ({p['organisation'] or '-'}; {p['background']}, {p['scale']})"
        for p in data["participants"]
    ]
    lines += ["", "## Leeragenda", ""]
    for item in data["agenda"]:
        lines.append(f"### {item['number']}. {item['text']}")
        lines.append("")
        lines.append(
            f"- Status: {AgendaStatus(item['status']).label} (sinds {item['versions'][-1]['valid_from'] if item['versions'] else item['opened_on']})"
        )
        if item["ambition"]:
            lines.append(f"- Ambitie: {item['ambition']}")
        if item["barrier"]:
            lines.append(f"- Belemmering: {item['barrier']}")
        for action in item["actions"]:
            lines.append(
                f"- Actie: {action.get('what')} — {action.get('who') or '-'} — {action.get('due') or '-'}"
            )
        lines.append(
            "- Geschiedenis: " + "; ".join(f"{v['valid_from']} {v['status']}" for v in item["versions"])
        )
        lines.append("")
    lines += ["## Tijdlijn", ""]
    lines += [
        f"- {e['date']} · {e['kind']} · **{e['title']}** — {e['significance']}" for e in data["timeline"]
    ]
    lines += ["", "## Citaten en commentaar", ""]
    for q in data["quotes"]:
        lines.append(f"> {q['text']}")
        lines.append(f"> — {q['speaker'] or 'anoniem'}")
        lines.append("")
        if q["commentary"]:
            lines += [q["commentary"], ""]
    lines += ["## Sessies", ""]
    for s in data["sessions"]:
        lines += [f"### {s['date']} — {s['title']} ({s['kind']})", ""]
        for label, key in (("Reflecties", "reflections"), ("Uitkomsten", "outcomes")):
            if s[key]:
                lines += [f"**{label}:** {s[key]}", ""]
    lines += ["## Lessen", ""]
    for lesson in data["lessons"]:
        lines += [f"### {lesson['title']}", "", lesson["insight"], ""]
        if lesson["conditions"]:
            lines += [f"*Geldt als:* {lesson['conditions']}", ""]
    return "\n".join(lines).rstrip() + "\n"


# ---- plek export ---------------------------------------------------------------------------------------


def _queryset(viewer: Viewer) -> QuerySet[Any]:
    return (
        Trajectory.objects.filter(trajectory_q(viewer))
        .select_related("owner_hub")
        .prefetch_related("regions", "themes", "agenda_items")
        .order_by("pk")
    )


def _items(viewer: Viewer, rows: list[Trajectory]) -> list[dict[str, Any]]:
    return [
        {
            "uuid": str(t.uuid),
            "slug": t.slug,
            "title": t.title,
            "area_process": t.area_process,
            "goal": t.goal,
            "phase": t.phase,
            "started_on": t.started_on.isoformat(),
            "regions": sorted(r.code for r in t.regions.all()),
            "themes": sorted(x.slug for x in t.themes.all()),
            "visibility": t.visibility,
            "owner_hub": t.owner_hub.slug if t.owner_hub else None,
            "agenda": [
                {"number": i.number, "text": i.text, "barrier": i.barrier, "status": i.status}
                for i in t.agenda_items.all()
            ],
        }
        for t in rows
    ]


def _jsonld(t: dict[str, Any]) -> dict[str, Any]:
    return {
        "@id": f"{site_base()}/leertrajecten/{t['slug']}/",
        "@type": "Project",
        "identifier": t["uuid"],
        "name": t["title"],
        "description": t["goal"],
        "startDate": t["started_on"],
        "areaServed": [{"@id": entity_iri("region", c)} for c in t["regions"]],
        "about": [{"@id": f"{site_base()}/themas/{s}/"} for s in t["themes"]],
    }


TRAJECTORY_SECTION = Section("learning_trajectories", "trajectory", _queryset, _items, _jsonld)
