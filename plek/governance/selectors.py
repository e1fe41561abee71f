"""Reads for governance pages, API, feed, exports and the digest (fixed number of queries per list)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _

from plek.accounts.models import BodyMembership
from plek.atlas.models import Hub
from plek.atlas.permissions import Viewer
from plek.governance import permissions
from plek.governance.models import (
    ConsultationComment,
    Decision,
    Event,
    Evidence,
    Follow,
    FollowUpAction,
    Meeting,
    MemberProfile,
    Proposal,
    SelfAssessment,
    Signal,
    SignalSupport,
    Standard,
    StandardVersion,
)

# ---- standards: sections and checklist ------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    text: str


_HEADING = re.compile(r"^##\s+(.+?)\s*#*\s*$")


def sections(body: str) -> list[Section]:
    """The sections of a standard's text: each '## ' heading starts one; text before the first heading
    is the introduction."""
    out: list[Section] = []
    title, lines = _("Inleiding"), []  # type: ignore[var-annotated]
    for line in (body or "").splitlines():
        match = _HEADING.match(line)
        if match:
            if "".join(lines).strip() or out:
                out.append(Section(slugify(title)[:190] or "inleiding", title, "\n".join(lines).strip()))
            title, lines = match.group(1), []
        else:
            lines.append(line)
    if "".join(lines).strip() or title != _("Inleiding"):
        out.append(Section(slugify(title)[:190] or "inleiding", title, "\n".join(lines).strip()))
    seen: set[str] = set()
    unique = []
    for s in out:
        key, n = s.key, 2
        while key in seen:
            key, n = f"{s.key}-{n}", n + 1
        seen.add(key)
        unique.append(Section(key, s.title, s.text))
    return unique


def checklist(version: StandardVersion) -> list[str]:
    return [line.strip() for line in version.checklist.splitlines() if line.strip()]


# ---- lists ----------------------------------------------------------------------------------------------


def signal_queryset() -> QuerySet[Signal]:
    return (
        Signal.objects.select_related("raised_by", "merged_into")
        .prefetch_related("regions", "themes")
        .annotate(support_count=Count("supports", distinct=True))
        .order_by("-created_at", "-id")
    )


def proposal_queryset(viewer: Viewer) -> QuerySet[Proposal]:
    qs = Proposal.objects.select_related("meeting", "author")
    if not permissions.is_body_member(viewer):
        drafts_ok = {"author_id": viewer.user_id} if viewer.is_authenticated else None
        from django.db.models import Q

        q = ~Q(state=Proposal.State.DRAFT)
        if drafts_ok:
            q |= Q(**drafts_ok)
        qs = qs.filter(q)
    return qs


def version_current(standard: Standard) -> StandardVersion | None:
    """The version people work on: the latest that is not superseded."""
    versions = list(standard.versions.all())
    for v in versions:  # newest first
        if v.state in (StandardVersion.State.CONSULTATION, StandardVersion.State.DRAFT):
            return v
    for v in versions:
        if v.state == StandardVersion.State.ADOPTED:
            return v
    return versions[0] if versions else None


def adopted_version(standard: Standard) -> StandardVersion | None:
    for v in standard.versions.all():
        if v.state == StandardVersion.State.ADOPTED:
            return v
    return None


def standards_with_versions() -> QuerySet[Standard]:
    return Standard.objects.prefetch_related(
        Prefetch("versions", queryset=StandardVersion.objects.order_by("-number"))
    )


# ---- single rows and small lists for the pages (getters raise the 404) -------------------------------


def signal_get(pk: int) -> Signal:
    signal = signal_queryset().filter(pk=pk).first()
    if signal is None:
        raise Http404
    return signal


def signal_find(pk: int) -> Signal | None:
    """A signal named in a form (merge target), or None."""
    return Signal.objects.filter(pk=pk).first()


def signal_supports(signal: Signal) -> list[SignalSupport]:
    return list(SignalSupport.objects.filter(signal=signal).select_related("user"))


def proposal_get(viewer: Viewer, pk: int) -> Proposal:
    """A proposal the viewer may see (drafts: the bodies and the author)."""
    proposal = proposal_queryset(viewer).filter(pk=pk).first()
    if proposal is None:
        raise Http404
    return proposal


def proposal_find(pk: int) -> Proposal | None:
    """A proposal named in a form (a signal taken up in it), or None."""
    return Proposal.objects.filter(pk=pk).first()


def proposals_open(limit: int = 50) -> list[Proposal]:
    """Proposals not closed, newest first (to take a signal up in)."""
    return list(Proposal.objects.exclude(state=Proposal.State.CLOSED).order_by("-created_at")[:limit])


def action_get(pk: int) -> FollowUpAction:
    action = FollowUpAction.objects.select_related("proposal").filter(pk=pk).first()
    if action is None:
        raise Http404
    return action


def meeting_list() -> QuerySet[Meeting]:
    return Meeting.objects.all()


def meeting_get(pk: int) -> Meeting:
    meeting = Meeting.objects.filter(pk=pk).first()
    if meeting is None:
        raise Http404
    return meeting


def meeting_find(pk: int) -> Meeting | None:
    """A meeting named in a form (to schedule or adopt at), or None."""
    return Meeting.objects.filter(pk=pk).first()


def steering_meetings(limit: int = 20) -> list[Meeting]:
    """The Steering group's meetings, latest first (choices for scheduling and adopting)."""
    return list(Meeting.objects.filter(body="steering").order_by("-starts_at")[:limit])


def meetings_calendar(limit: int = 500) -> QuerySet[Meeting]:
    """Meetings for the iCalendar feed, oldest first."""
    return Meeting.objects.order_by("starts_at")[:limit]


def standard_get(slug: str) -> Standard:
    """A standard with its versions (newest first) and their comment counts."""
    standard = standard_list().filter(slug=slug).first()
    if standard is None:
        raise Http404
    return standard


def version_get(standard: Standard, number: int) -> StandardVersion:
    version = StandardVersion.objects.filter(standard=standard, number=number).first()
    if version is None:
        raise Http404
    return version


def assess_hubs(viewer: Viewer) -> list[Hub]:
    """The hubs whose self-assessment the viewer records: those they coordinate, all for admins."""
    if not viewer.is_authenticated:
        return []
    qs = Hub.objects.all() if viewer.is_admin else Hub.objects.filter(pk__in=viewer.coordinator_hub_ids)
    return list(qs.order_by("name"))


def self_assessment_last(hub: Hub, version: StandardVersion) -> SelfAssessment | None:
    return SelfAssessment.objects.filter(hub=hub, version=version).first()


def decision_find(pk: int) -> Decision | None:
    return decision_queryset().filter(pk=pk).first()


def decision_get(pk: int) -> Decision:
    d = decision_find(pk)
    if d is None:
        raise Http404
    return d


def follow_of(viewer: Viewer, target: str, target_id: int) -> Follow | None:
    """The viewer's follow of this signal, proposal or standard, if any."""
    if not viewer.is_authenticated:
        return None
    return Follow.objects.filter(user=viewer.user, target=target, target_id=target_id).first()


@dataclass
class AdoptionRow:
    hub: Any
    assessment: SelfAssessment


def adoption_overview(standard: Standard) -> list[AdoptionRow]:
    """Per hub its latest self-assessment against any version of the standard."""
    latest: dict[int, SelfAssessment] = {}
    for a in (
        SelfAssessment.objects.filter(version__standard=standard)
        .select_related("hub", "version")
        .order_by("-at", "-id")
    ):
        latest.setdefault(a.hub_id, a)
    return sorted((AdoptionRow(a.hub, a) for a in latest.values()), key=lambda r: r.hub.name)


# ---- decisions --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DecisionView:
    """A decision as this viewer may see it: a confidential decision shows only that it was taken."""

    pk: int
    decided_at: dt.datetime
    confidential: bool
    confidential_reason: str
    masked: bool
    outcome: str
    outcome_label: str
    subject: str
    subject_url: str
    text: str
    reasons: str
    meeting_title: str
    meeting_url: str

    @property
    def url(self) -> str:
        return reverse("governance:decision", args=[self.pk])


def decision_queryset() -> QuerySet[Decision]:
    return Decision.objects.select_related("proposal", "standard_version__standard", "meeting")


def decisions_of_proposal(proposal: Proposal) -> list[Decision]:
    """The decisions taken on a proposal (unmasked; show each through `decision_view`)."""
    return list(decision_queryset().filter(proposal=proposal))


def proposal_evidence(proposal: Proposal) -> list[Evidence]:
    """The evidence attached to a proposal, with its knowledge items (one query; show it only where
    `permissions.content_visible` allows the proposal's content)."""
    return list(proposal.evidence.select_related("knowledge_item"))


def proposal_signal_ids(proposal: Proposal) -> list[int]:
    """The ids of the signals a proposal answers, ascending."""
    return sorted(proposal.signals.values_list("pk", flat=True))


def decision_view(viewer: Viewer | None, d: Decision) -> DecisionView:
    masked = d.confidential and (viewer is None or not permissions.is_body_member(viewer))
    subject, subject_url = "", ""
    if not masked:
        if d.proposal_id is not None:
            subject, subject_url = d.proposal.title, reverse("governance:proposal", args=[d.proposal_id])  # type: ignore[union-attr]
        elif d.standard_version_id is not None:
            sv = d.standard_version
            subject = str(sv)
            subject_url = reverse("governance:standard", args=[sv.standard.slug])  # type: ignore[union-attr]
    meeting = d.meeting
    return DecisionView(
        pk=d.pk,
        decided_at=d.decided_at,
        confidential=d.confidential,
        confidential_reason=d.confidential_reason,
        masked=masked,
        outcome="" if masked else d.outcome,
        outcome_label="" if masked else str(Decision.Outcome(d.outcome).label),
        subject=subject,
        subject_url=subject_url,
        text="" if masked else d.text,
        reasons="" if masked else d.reasons,
        meeting_title=meeting.title if meeting is not None else "",
        meeting_url=reverse("governance:meeting", args=[meeting.pk]) if meeting is not None else "",
    )


# ---- bodies -----------------------------------------------------------------------------------------------


@dataclass
class Composition:
    body: str
    label: str
    members: list[Any]
    matrix: list[tuple[str, list[int]]]  # (background label, counts per scale)
    scales: list[str]
    missing: list[str]  # backgrounds or scales nobody represents
    balanced: bool


def compositions() -> list[Composition]:
    from plek.core.models import Scale
    from plek.governance.models import Background

    rows = list(
        BodyMembership.objects.select_related("user", "governance_profile").order_by(
            "body", "role", "user__username"
        )
    )
    out = []
    for body in BodyMembership.Body:
        members = [m for m in rows if m.body == body.value]
        counts = {(b.value, s.value): 0 for b in Background for s in Scale}
        for m in members:
            profile: MemberProfile | None = getattr(m, "governance_profile", None)
            if profile is not None:
                counts[(profile.background, profile.scale)] += 1
        matrix = [(str(b.label), [counts[(b.value, s.value)] for s in Scale]) for b in Background]
        missing = [str(b.label) for b in Background if not any(counts[(b.value, s.value)] for s in Scale)]
        missing += [str(s.label) for s in Scale if not any(counts[(b.value, s.value)] for b in Background)]
        out.append(
            Composition(
                body=body.value,
                label=str(body.label),
                members=members,
                matrix=matrix,
                scales=[str(s.label) for s in Scale],
                missing=missing,
                balanced=bool(members) and not missing,
            )
        )
    return out


# ---- events and the digest ----------------------------------------------------------------------------------


def events_for(target: str, ids: list[int]) -> list[Event]:
    return list(
        Event.objects.filter(target=target, target_id__in=ids).select_related("actor").order_by("at", "id")
    )


def digest_lines(
    viewer: Viewer, row: Follow, *, since: dt.datetime, until: dt.datetime, base_url: str
) -> list[str]:
    if row.target == "standard":
        ids = list(StandardVersion.objects.filter(standard_id=row.target_id).values_list("pk", flat=True))
        obj: Any = Standard.objects.filter(pk=row.target_id).first()
        url = reverse("governance:standard", args=[obj.slug]) if obj else ""
    elif row.target == "proposal":
        ids = [row.target_id]
        obj = Proposal.objects.filter(pk=row.target_id).first()
        url = reverse("governance:proposal", args=[row.target_id])
        if obj is not None and not permissions.proposal_visible(viewer, obj):
            obj = None
    else:
        ids = [row.target_id]
        obj = Signal.objects.filter(pk=row.target_id).first()
        url = reverse("governance:signal", args=[row.target_id])
    if obj is None:
        return []
    events = list(
        Event.objects.filter(target=row.target, target_id__in=ids, at__gt=since, at__lte=until).order_by(
            "at", "id"
        )
    )
    if not events:
        return []
    masked = row.target == "proposal" and obj.confidential and not permissions.is_body_member(viewer)
    title = _("Vertrouwelijk voorstel") if masked else str(obj)
    lines = [f"* {title} — {base_url}{url}"]
    for e in events:
        when = e.at.strftime("%Y-%m-%d %H:%M")
        if masked:
            lines.append(f"  - {when}: {_('er is iets veranderd')}")
        elif e.to_state:
            lines.append(
                f"  - {when}: {e.from_state or '-'} → {e.to_state}" + (f" ({e.note})" if e.note else "")
            )
        else:
            lines.append(f"  - {when}: {summary_text(e.summary)}")
    return lines


def summary_text(summary: str) -> str:
    """Event summaries stored as codes (a decision's outcome, a new support) in the reader's language."""
    if summary in Decision.Outcome.values:
        return str(Decision.Outcome(summary).label)
    if summary == "support":
        return _("Nieuwe steun")
    if summary == "edited":
        return _("Concept gewijzigd")
    return summary


# ---- reads for the API -----------------------------------------------------------------------------------


@dataclass
class SignalFilters:
    state: str = ""
    kind: str = ""


def signal_list(*, filters: SignalFilters) -> QuerySet[Signal]:
    qs = signal_queryset()
    if filters.state:
        qs = qs.filter(state=filters.state)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    return qs


@dataclass
class ProposalFilters:
    state: str = ""


def proposal_list(*, viewer: Viewer, filters: ProposalFilters) -> QuerySet[Proposal]:
    qs = proposal_queryset(viewer)
    return qs.filter(state=filters.state) if filters.state else qs


def standard_list() -> QuerySet[Standard]:
    """Standards by title, each with its versions (newest first) and their comment counts."""
    versions = StandardVersion.objects.annotate(comment_count=Count("comments")).order_by("-number")
    return Standard.objects.prefetch_related(Prefetch("versions", queryset=versions)).order_by("title", "id")


def version_comments(version: StandardVersion) -> list[ConsultationComment]:
    return list(ConsultationComment.objects.filter(version=version).select_related("author"))


def latest_self_assessment(hub: Any, version: StandardVersion) -> SelfAssessment | None:
    return SelfAssessment.objects.filter(hub=hub, version=version).select_related("hub", "version").first()


def follows_of(user_id: int) -> QuerySet[Follow]:
    """What a person follows, in the order they started."""
    return Follow.objects.filter(user_id=user_id).order_by("id")
