"""Governance: the Initiative group and the Steering group, and the path from a signal in an area to a
decision and its follow-up.

* **Signals** — an obstacle or a solution, raised by anyone signed in or passed on from area learning
  or brokering (`source_type`, `source_id`, `source_url` keep the link).
* **Proposals** — agenda proposals drafted by Initiative group members from signals, put on a
  Steering group meeting agenda, decided, followed up.
* **Standards** — professional standards with versions, consultation comments per section, an
  adoption decision and self-assessments per hub.
* **Decisions** — the public decision log; a confidential decision shows only that it was taken.

The allowed state changes are in `transitions.py`; only `services.py` writes these rows."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from plek.accounts.models import BodyMembership
from plek.atlas.models import Hub, Region, Theme
from plek.core.models import Scale
from plek.knowledge.models import KnowledgeItem

TITLE_MAX = 300
TEXT_MAX = 10_000
NOTE_MAX = 5_000


class Background(models.TextChoices):
    PRACTICE = "practice", _("praktijk")
    POLICY = "policy", _("beleid")
    RESEARCH = "research", _("onderzoek")


class MemberProfile(models.Model):
    """Background and scale of a member of a body (builds on accounts.BodyMembership)."""

    membership = models.OneToOneField(
        BodyMembership, on_delete=models.CASCADE, related_name="governance_profile"
    )
    background = models.CharField(_("achtergrond"), max_length=20, choices=Background.choices)
    scale = models.CharField(_("schaalniveau"), max_length=10, choices=Scale.choices)
    organisation = models.CharField(_("organisatie"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("profiel lid orgaan")
        verbose_name_plural = _("profielen leden organen")

    def __str__(self) -> str:
        return f"{self.membership} ({self.background}, {self.scale})"


# ---- signals ---------------------------------------------------------------------------------------


class Signal(models.Model):
    class Kind(models.TextChoices):
        OBSTACLE = "obstacle", _("knelpunt")
        SOLUTION = "solution", _("oplossing")

    class State(models.TextChoices):
        NEW = "new", _("nieuw")
        REVIEW = "review", _("in behandeling")
        BUNDLED = "bundled", _("gebundeld in een voorstel")
        CLOSED = "closed", _("gesloten")

    kind = models.CharField(_("soort"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("titel"), max_length=TITLE_MAX)
    description = models.TextField(_("omschrijving"), max_length=TEXT_MAX)
    scale = models.CharField(_("schaalniveau"), max_length=10, choices=Scale.choices, blank=True)
    regions = models.ManyToManyField(Region, blank=True, related_name="+", verbose_name=_("gebieden"))
    themes = models.ManyToManyField(Theme, blank=True, related_name="+", verbose_name=_("thema's"))
    state = models.CharField(
        _("status"), max_length=20, choices=State.choices, default=State.NEW, db_index=True
    )
    close_reason = models.TextField(_("reden van sluiten"), max_length=NOTE_MAX, blank=True)
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="duplicates",
        verbose_name=_("samengevoegd met"),
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("gemeld op"), default=timezone.now, db_index=True)
    state_changed_at = models.DateTimeField(default=timezone.now)
    source_type = models.CharField(_("bron"), max_length=60, blank=True)
    source_id = models.PositiveBigIntegerField(null=True, blank=True)
    source_url = models.CharField(_("link naar de bron"), max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("signaal")
        verbose_name_plural = _("signalen")
        constraints = [
            models.UniqueConstraint(
                fields=["source_type", "source_id"],
                condition=~models.Q(source_type=""),
                name="governance_signal_one_per_source",
            )
        ]

    def __str__(self) -> str:
        return self.title


class SignalSupport(models.Model):
    signal = models.ForeignKey(Signal, on_delete=models.CASCADE, related_name="supports")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    comment = models.TextField(_("toelichting"), max_length=NOTE_MAX, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        constraints = [models.UniqueConstraint(fields=["signal", "user"], name="governance_support_once")]
        verbose_name = _("steunbetuiging")
        verbose_name_plural = _("steunbetuigingen")

    def __str__(self) -> str:
        return f"{self.user} → {self.signal_id}"


# ---- meetings and proposals -------------------------------------------------------------------------


class Meeting(models.Model):
    body = models.CharField(
        _("orgaan"), max_length=20, choices=BodyMembership.Body.choices, default=BodyMembership.Body.STEERING
    )
    title = models.CharField(_("titel"), max_length=TITLE_MAX)
    starts_at = models.DateTimeField(_("begint om"), db_index=True)
    ends_at = models.DateTimeField(_("eindigt om"))
    location = models.CharField(_("plaats"), max_length=300, blank=True)
    minutes = models.TextField(_("verslag"), max_length=TEXT_MAX * 3, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("vergadering")
        verbose_name_plural = _("vergaderingen")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gte=models.F("starts_at")), name="governance_meeting_ends_after"
            )
        ]

    def __str__(self) -> str:
        return self.title


class Proposal(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("concept")
        SUBMITTED = "submitted", _("ingediend")
        SCHEDULED = "scheduled", _("geagendeerd")
        DECIDED = "decided", _("besloten")
        FOLLOW_UP = "follow_up", _("in uitvoering")
        CLOSED = "closed", _("afgesloten")

    title = models.CharField(_("titel"), max_length=TITLE_MAX)
    rationale = models.TextField(_("onderbouwing"), max_length=TEXT_MAX)
    expected_effect = models.TextField(_("verwacht effect"), max_length=TEXT_MAX)
    decision_requested = models.TextField(_("gevraagd besluit"), max_length=TEXT_MAX)
    signals = models.ManyToManyField(Signal, blank=True, related_name="proposals", verbose_name=_("signalen"))
    state = models.CharField(
        _("status"), max_length=20, choices=State.choices, default=State.DRAFT, db_index=True
    )
    state_changed_at = models.DateTimeField(default=timezone.now)
    meeting = models.ForeignKey(
        Meeting,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="agenda",
        verbose_name=_("vergadering"),
    )
    agenda_position = models.PositiveSmallIntegerField(default=0)
    confidential = models.BooleanField(_("vertrouwelijk"), default=False)
    confidential_reason = models.CharField(_("reden van vertrouwelijkheid"), max_length=500, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("agendavoorstel")
        verbose_name_plural = _("agendavoorstellen")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(confidential=False) | ~models.Q(confidential_reason=""),
                name="governance_proposal_confidential_reason",
            )
        ]

    def __str__(self) -> str:
        return self.title


class Evidence(models.Model):
    """What a proposal cites: a knowledge item, or a typed reference to a scenario result, a learning
    history or another source (kind + URL + title; those apps are not imported)."""

    class Kind(models.TextChoices):
        KNOWLEDGE = "knowledge", _("kennisitem")
        SCENARIO = "scenario", _("scenario-uitkomst")
        LEARNING = "learning", _("leergeschiedenis")
        OTHER = "other", _("andere bron")

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="evidence")
    kind = models.CharField(_("soort"), max_length=20, choices=Kind.choices)
    knowledge_item = models.ForeignKey(
        KnowledgeItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    url = models.CharField(_("link"), max_length=500, blank=True)
    title = models.CharField(_("titel"), max_length=TITLE_MAX)

    class Meta:
        ordering = ["id"]
        verbose_name = _("onderbouwing")
        verbose_name_plural = _("onderbouwingen")

    def __str__(self) -> str:
        return self.title


class FollowUpAction(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("open")
        IN_PROGRESS = "in_progress", _("bezig")
        DONE = "done", _("afgerond")
        CANCELLED = "cancelled", _("vervallen")

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="actions")
    description = models.CharField(_("actie"), max_length=500)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("eigenaar"),
    )
    owner_name = models.CharField(_("eigenaar"), max_length=200)
    due_date = models.DateField(_("uiterlijk"))
    progress = models.PositiveSmallIntegerField(_("voortgang (%)"), default=0)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN)

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = _("vervolgactie")
        verbose_name_plural = _("vervolgacties")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="governance_action_progress_max_100"
            )
        ]

    def __str__(self) -> str:
        return self.description


# ---- standards -----------------------------------------------------------------------------------------


class Standard(models.Model):
    slug = models.SlugField(unique=True, max_length=140)
    title = models.CharField(_("titel"), max_length=TITLE_MAX)
    summary = models.TextField(_("samenvatting"), max_length=NOTE_MAX, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["title", "id"]
        verbose_name = _("professionele standaard")
        verbose_name_plural = _("professionele standaarden")

    def __str__(self) -> str:
        return self.title


class StandardVersion(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("concept")
        CONSULTATION = "consultation", _("in consultatie")
        ADOPTED = "adopted", _("vastgesteld")
        SUPERSEDED = "superseded", _("vervangen")

    standard = models.ForeignKey(Standard, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField(_("versie"))
    body = models.TextField(
        _("tekst"), max_length=TEXT_MAX * 3, help_text=_("Markdown; elke kop '## ' begint een onderdeel.")
    )
    checklist = models.TextField(
        _("checklist voor de zelfevaluatie"), max_length=TEXT_MAX, help_text=_("Eén criterium per regel.")
    )
    change_summary = models.TextField(_("samenvatting van de wijzigingen"), max_length=NOTE_MAX, blank=True)
    state = models.CharField(
        _("status"), max_length=20, choices=State.choices, default=State.DRAFT, db_index=True
    )
    state_changed_at = models.DateTimeField(default=timezone.now)
    consultation_closes_on = models.DateField(_("consultatie sluit op"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["standard", "-number"]
        verbose_name = _("versie van een standaard")
        verbose_name_plural = _("versies van standaarden")
        constraints = [
            models.UniqueConstraint(fields=["standard", "number"], name="governance_version_number_once")
        ]

    def __str__(self) -> str:
        return f"{self.standard} v{self.number}"


class ConsultationComment(models.Model):
    version = models.ForeignKey(StandardVersion, on_delete=models.CASCADE, related_name="comments")
    section = models.CharField(_("onderdeel"), max_length=200)
    text = models.TextField(_("reactie"), max_length=NOTE_MAX)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("consultatiereactie")
        verbose_name_plural = _("consultatiereacties")

    def __str__(self) -> str:
        return f"{self.version}: {self.section}"


class SelfAssessment(models.Model):
    """A hub's self-assessment against a version of a standard: per criterion met or not, with
    evidence (`items`: [{"criterion", "met", "evidence"}])."""

    hub = models.ForeignKey(Hub, on_delete=models.CASCADE, related_name="+")
    version = models.ForeignKey(StandardVersion, on_delete=models.CASCADE, related_name="assessments")
    items: models.JSONField[list[dict[str, object]]] = models.JSONField(default=list)
    met_count = models.PositiveSmallIntegerField(default=0)
    total_count = models.PositiveSmallIntegerField(default=0)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("zelfevaluatie")
        verbose_name_plural = _("zelfevaluaties")

    def __str__(self) -> str:
        return f"{self.hub} — {self.version}"


# ---- decisions, events, follows -------------------------------------------------------------------------


class Decision(models.Model):
    """A recorded decision of the Steering group: on a proposal (in a meeting) or adopting a standard."""

    class Outcome(models.TextChoices):
        ADOPTED = "adopted", _("aangenomen")
        AMENDED = "amended", _("aangenomen met wijzigingen")
        REJECTED = "rejected", _("verworpen")
        DEFERRED = "deferred", _("aangehouden")

    proposal = models.ForeignKey(
        Proposal, null=True, blank=True, on_delete=models.CASCADE, related_name="decisions"
    )
    standard_version = models.ForeignKey(
        StandardVersion, null=True, blank=True, on_delete=models.CASCADE, related_name="decisions"
    )
    meeting = models.ForeignKey(
        Meeting, null=True, blank=True, on_delete=models.SET_NULL, related_name="decisions"
    )
    outcome = models.CharField(_("uitkomst"), max_length=20, choices=Outcome.choices)
    text = models.TextField(_("besluittekst"), max_length=TEXT_MAX)
    reasons = models.TextField(_("overwegingen"), max_length=TEXT_MAX, blank=True)
    confidential = models.BooleanField(_("vertrouwelijk"), default=False)
    confidential_reason = models.CharField(_("reden van vertrouwelijkheid"), max_length=500, blank=True)
    decided_at = models.DateTimeField(_("besloten op"), default=timezone.now, db_index=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-decided_at", "-id"]
        verbose_name = _("besluit")
        verbose_name_plural = _("besluiten")

    def __str__(self) -> str:
        return f"{_('Besluit')} {self.pk}"

    @property
    def subject_title(self) -> str:
        if self.proposal_id is not None:
            return self.proposal.title  # type: ignore[union-attr]
        if self.standard_version_id is not None:
            return str(self.standard_version)
        return ""


class Event(models.Model):
    """One row per state change (and per notable step) of a signal, proposal or standard version;
    the timelines and the notification digest read these."""

    class Target(models.TextChoices):
        SIGNAL = "signal", _("signaal")
        PROPOSAL = "proposal", _("voorstel")
        STANDARD = "standard", _("standaard")

    target = models.CharField(max_length=20, choices=Target.choices)
    target_id = models.PositiveBigIntegerField()
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20, blank=True)
    summary = models.CharField(max_length=300, blank=True)
    note = models.TextField(max_length=NOTE_MAX, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["target", "target_id", "at"], name="governance_event_idx")]
        verbose_name = _("gebeurtenis")
        verbose_name_plural = _("gebeurtenissen")

    def __str__(self) -> str:
        return f"{self.target}:{self.target_id} {self.from_state or '-'} → {self.to_state}"


class Follow(models.Model):
    class Frequency(models.TextChoices):
        DAILY = "daily", _("dagelijks")
        WEEKLY = "weekly", _("wekelijks")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    target = models.CharField(max_length=20, choices=Event.Target.choices)
    target_id = models.PositiveBigIntegerField()
    frequency = models.CharField(
        _("samenvatting"), max_length=10, choices=Frequency.choices, default=Frequency.WEEKLY
    )
    last_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "target", "target_id"], name="governance_follow_once")
        ]
        verbose_name = _("volgen")
        verbose_name_plural = _("volgen")

    def __str__(self) -> str:
        return f"{self.user} volgt {self.target}:{self.target_id}"
