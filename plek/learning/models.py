"""Area learning: learning trajectories tied to an area process, their dynamic learning agenda
(every change kept as a dated version), sessions, timeline and learning history, and lessons.

Only `services.py` writes these rows. The agenda's history is exact: each change of an agenda item
is an `AgendaVersion` with the date it takes effect (`valid_from`), so the agenda as it stood on
any date, and the difference between two dates, are read back from the versions alone."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from plek.atlas.models import OwnedModel, Programme, Region, Theme
from plek.core.models import Scale, TimeStampedModel

TEXT_MAX = 10_000
TITLE_MAX = 300


class Background(models.TextChoices):
    PRACTICE = "practice", _("praktijk")
    POLICY = "policy", _("beleid")
    RESEARCH = "research", _("onderzoek")


class Trajectory(OwnedModel):
    """A learning trajectory (leertraject) tied to an area process. `visibility` private means: the
    trajectory's own members (participants with an account and the facilitator)."""

    class Phase(models.TextChoices):
        EXPLORATION = "exploration", _("verkenning")
        DESIGN = "design", _("ontwerp")
        IMPLEMENTATION = "implementation", _("uitvoering")
        EMBEDDING = "embedding", _("borging")
        CLOSED = "closed", _("afgerond")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    slug = models.SlugField(unique=True, max_length=140)
    title = models.CharField(_("titel"), max_length=TITLE_MAX)
    area_process = models.CharField(_("gebiedsproces"), max_length=TITLE_MAX)
    goal = models.TextField(_("doel"), max_length=TEXT_MAX)
    phase = models.CharField(_("fase"), max_length=20, choices=Phase.choices, default=Phase.EXPLORATION)
    started_on = models.DateField(_("gestart op"))
    ended_on = models.DateField(_("afgerond op"), null=True, blank=True)
    regions = models.ManyToManyField(Region, related_name="trajectories", verbose_name=_("gebieden"))
    themes = models.ManyToManyField(Theme, blank=True, related_name="trajectories", verbose_name=_("thema's"))
    programmes = models.ManyToManyField(
        Programme, blank=True, related_name="trajectories", verbose_name=_("nationale programma's")
    )
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="facilitated_trajectories",
        verbose_name=_("reflexief monitor"),
    )

    class Meta:
        ordering = ["-started_on", "-id"]
        verbose_name = _("leertraject")
        verbose_name_plural = _("leertrajecten")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_on__isnull=True) | models.Q(ended_on__gte=models.F("started_on")),
                name="trajectory_dates_in_order",
            )
        ]

    def __str__(self) -> str:
        return self.title


class Participant(models.Model):
    """Someone taking part, with their background and the scale they work at. With an account they
    are a member of the trajectory (they see it when it is private and add to its agenda)."""

    trajectory = models.ForeignKey(Trajectory, on_delete=models.CASCADE, related_name="participants")
    name = models.CharField(_("naam"), max_length=200)
    organisation = models.CharField(_("organisatie"), max_length=200, blank=True)
    background = models.CharField(_("achtergrond"), max_length=20, choices=Background.choices)
    scale = models.CharField(_("schaalniveau"), max_length=10, choices=Scale.choices, default=Scale.REGIONAL)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="trajectory_participations",
        verbose_name=_("account"),
    )

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("deelnemer")
        verbose_name_plural = _("deelnemers")
        constraints = [
            models.UniqueConstraint(
                fields=["trajectory", "user"],
                condition=models.Q(user__isnull=False),
                name="uniq_participant_user",
            )
        ]

    def __str__(self) -> str:
        return self.name


class AgendaStatus(models.TextChoices):
    NEW = "new", _("nieuw")
    ACTIVE = "active", _("actief")
    SOLVED = "solved", _("opgelost")
    DROPPED = "dropped", _("vervallen")
    REFORMULATED = "reformulated", _("geherformuleerd")


OPEN_STATUSES = (AgendaStatus.NEW, AgendaStatus.ACTIVE, AgendaStatus.REFORMULATED)


class AgendaItem(models.Model):
    """One item of a trajectory's learning agenda. Its fields mirror the latest version (for lists);
    the versions are the record."""

    class Kind(models.TextChoices):
        QUESTION = "question", _("leervraag")
        CHALLENGE = "challenge", _("uitdaging")

    trajectory = models.ForeignKey(Trajectory, on_delete=models.CASCADE, related_name="agenda_items")
    number = models.PositiveIntegerField(_("nummer"))
    kind = models.CharField(_("soort"), max_length=20, choices=Kind.choices, default=Kind.QUESTION)
    text = models.TextField(_("leervraag of uitdaging"), max_length=2000)
    ambition = models.TextField(_("ambitie"), max_length=2000, blank=True)
    barrier = models.TextField(_("systeembelemmering"), max_length=2000, blank=True)
    owner = models.CharField(_("eigenaar"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=AgendaStatus.choices, default=AgendaStatus.NEW, db_index=True
    )
    actions: models.JSONField[list[dict[str, Any]]] = models.JSONField(_("acties"), default=list, blank=True)
    opened_on = models.DateField(_("op de agenda sinds"))
    changed_on = models.DateField(_("laatst gewijzigd per"))

    class Meta:
        ordering = ["trajectory", "number"]
        verbose_name = _("agendapunt")
        verbose_name_plural = _("agendapunten")
        constraints = [
            models.UniqueConstraint(fields=["trajectory", "number"], name="uniq_agenda_item_number")
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.text[:80]}"


VERSIONED_FIELDS = ("kind", "text", "ambition", "barrier", "owner", "status", "actions")


class AgendaVersion(models.Model):
    """The state of an agenda item from `valid_from` on (until the next version's date)."""

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="versions")
    valid_from = models.DateField(_("geldt vanaf"), db_index=True)
    kind = models.CharField(max_length=20, choices=AgendaItem.Kind.choices)
    text = models.TextField(max_length=2000)
    ambition = models.TextField(max_length=2000, blank=True)
    barrier = models.TextField(max_length=2000, blank=True)
    owner = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=20, choices=AgendaStatus.choices)
    actions: models.JSONField[list[dict[str, Any]]] = models.JSONField(default=list, blank=True)
    note = models.CharField(_("toelichting bij de wijziging"), max_length=1000, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["item", "valid_from", "id"]
        indexes = [models.Index(fields=["item", "valid_from", "id"], name="agenda_version_idx")]
        verbose_name = _("versie van een agendapunt")
        verbose_name_plural = _("versies van agendapunten")

    def __str__(self) -> str:
        return f"{self.item_id} @ {self.valid_from}"

    def values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in VERSIONED_FIELDS}


class BarrierHandoff(models.Model):
    """A barrier passed on to the Initiative group as a signal (the governance app keeps the signal;
    this row keeps the link back, so the agenda shows it was passed on)."""

    item = models.OneToOneField(AgendaItem, on_delete=models.CASCADE, related_name="handoff")
    signal_url = models.CharField(max_length=500, blank=True)
    passed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    passed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("doorgegeven belemmering")
        verbose_name_plural = _("doorgegeven belemmeringen")

    def __str__(self) -> str:
        return f"{self.item_id} → {self.signal_url}"


class Session(TimeStampedModel):
    class Kind(models.TextChoices):
        REFLECTION = "reflection", _("reflectiesessie")
        EYE_OPENER = "eye_opener", _("eye-openerworkshop")
        INTERVISION = "intervision", _("intervisie")
        COMMUNITY = "community", _("bijeenkomst praktijkgemeenschap")

    trajectory = models.ForeignKey(Trajectory, on_delete=models.CASCADE, related_name="sessions")
    kind = models.CharField(_("soort"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("titel"), max_length=TITLE_MAX)
    date = models.DateField(_("datum"))
    method = models.CharField(_("methode"), max_length=300, blank=True)
    agenda = models.TextField(_("agenda van de sessie"), max_length=TEXT_MAX, blank=True)
    notes = models.TextField(_("verslag"), max_length=TEXT_MAX, blank=True)
    reflections = models.TextField(_("reflecties"), max_length=TEXT_MAX, blank=True)
    outcomes = models.TextField(_("uitkomsten"), max_length=TEXT_MAX, blank=True)
    participants = models.ManyToManyField(
        Participant, blank=True, related_name="sessions", verbose_name=_("deelnemers")
    )
    items_discussed = models.ManyToManyField(
        AgendaItem, blank=True, related_name="sessions", verbose_name=_("besproken agendapunten")
    )

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("sessie")
        verbose_name_plural = _("sessies")

    def __str__(self) -> str:
        return self.title


class TimelineEvent(models.Model):
    class Kind(models.TextChoices):
        MILESTONE = "milestone", _("mijlpaal")
        TURNING_POINT = "turning_point", _("kantelpunt")
        HIGH = "high", _("hoogtepunt")
        LOW = "low", _("dieptepunt")

    trajectory = models.ForeignKey(Trajectory, on_delete=models.CASCADE, related_name="events")
    date = models.DateField(_("datum"))
    kind = models.CharField(_("soort"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("titel"), max_length=TITLE_MAX)
    actors = models.CharField(_("betrokkenen"), max_length=500, blank=True)
    significance = models.TextField(_("betekenis"), max_length=TEXT_MAX, blank=True)

    class Meta:
        ordering = ["date", "id"]
        verbose_name = _("gebeurtenis")
        verbose_name_plural = _("gebeurtenissen")

    def __str__(self) -> str:
        return self.title


class Quote(models.Model):
    """A quote beside the learning historian's commentary (a learning history's two columns)."""

    trajectory = models.ForeignKey(Trajectory, on_delete=models.CASCADE, related_name="quotes")
    event = models.ForeignKey(
        TimelineEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="quotes"
    )
    text = models.TextField(_("citaat"), max_length=3000)
    speaker = models.CharField(_("wie (leeg: anoniem)"), max_length=200, blank=True)
    commentary = models.TextField(_("commentaar"), max_length=TEXT_MAX, blank=True)
    date = models.DateField(_("datum"), null=True, blank=True)

    class Meta:
        ordering = ["date", "id"]
        verbose_name = _("citaat")
        verbose_name_plural = _("citaten")

    def __str__(self) -> str:
        return self.text[:60]


class Lesson(OwnedModel):
    """An insight with its evidence and the conditions under which it holds. It can be published
    as practice knowledge (a knowledge item of kind "lesson")."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    slug = models.SlugField(unique=True, max_length=140)
    trajectory = models.ForeignKey(
        Trajectory, null=True, blank=True, on_delete=models.SET_NULL, related_name="lessons"
    )
    title = models.CharField(_("titel"), max_length=TITLE_MAX)
    insight = models.TextField(_("inzicht"), max_length=TEXT_MAX)
    evidence = models.TextField(_("onderbouwing"), max_length=TEXT_MAX, blank=True)
    conditions = models.TextField(_("geldt als"), max_length=TEXT_MAX, blank=True)
    regions = models.ManyToManyField(Region, related_name="lessons", verbose_name=_("gebieden"))
    themes = models.ManyToManyField(Theme, blank=True, related_name="lessons", verbose_name=_("thema's"))
    scale = models.CharField(_("schaalniveau"), max_length=10, choices=Scale.choices, default=Scale.REGIONAL)
    date = models.DateField(_("datum"))
    knowledge_item = models.OneToOneField(
        "knowledge.KnowledgeItem",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="learning_lesson",
        verbose_name=_("gepubliceerd als kennis"),
    )

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("les")
        verbose_name_plural = _("lessen")

    def __str__(self) -> str:
        return self.title
