"""Knowledge brokering: a question from an area, the path it takes through a hub, and the asker's
evaluation. The allowed state changes are in `transitions.py`; only `services.py` writes these rows."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from plek.atlas.models import Hub, Network, Organisation, OwnedModel, Programme, Region, Theme

TEXT_MAX_CHARS = 10_000
TITLE_MAX_CHARS = 300
NOTE_MAX_CHARS = 5_000


class Question(OwnedModel):
    """A knowledge question. `owner_hub` is the hub that handles it (chosen by the asker or routed by
    region); `visibility` says who else may read it. `asker` is who the question is for; `created_by`
    (from OwnedModel) who entered it: the same person when asked through the intake."""

    class State(models.TextChoices):
        SUBMITTED = "submitted", _("ingediend")
        TRIAGED = "triaged", _("in behandeling genomen")
        MATCHING = "matching", _("kennis zoeken")
        CONNECTED = "connected", _("in contact gebracht")
        ANSWERED = "answered", _("beantwoord")
        CLOSED = "closed", _("afgesloten")
        REFERRED = "referred", _("doorverwezen")
        DECLINED = "declined", _("afgewezen")
        MERGED = "merged", _("samengevoegd")

    class AnswerKind(models.TextChoices):
        DOCUMENTS = "documents", _("documenten en onderzoek")
        EXPERT = "expert", _("een deskundige")
        NETWORK = "network", _("een netwerk of praktijkgemeenschap")
        ADVICE = "advice", _("advies")
        OTHER = "other", _("anders")

    class AskerRole(models.TextChoices):
        PRACTICE = "practice", _("praktijk")
        POLICY = "policy", _("beleid")
        RESEARCH = "research", _("onderzoek")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    slug = models.SlugField(unique=True, max_length=140)
    title = models.CharField(_("titel"), max_length=TITLE_MAX_CHARS)
    text = models.TextField(_("vraag"), max_length=TEXT_MAX_CHARS)
    context = models.TextField(_("achtergrond"), max_length=TEXT_MAX_CHARS, blank=True)
    regions = models.ManyToManyField(Region, related_name="questions", verbose_name=_("gebieden"))
    themes = models.ManyToManyField(Theme, blank=True, related_name="questions", verbose_name=_("thema's"))
    answer_kind = models.CharField(
        _("gewenst antwoord"), max_length=20, choices=AnswerKind.choices, default=AnswerKind.DOCUMENTS
    )
    wanted_by = models.DateField(_("gewenst vóór"), null=True, blank=True)
    asker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,  # an erased account leaves its questions, anonymised
        blank=True,
        on_delete=models.SET_NULL,
        related_name="asked_questions",
        verbose_name=_("vraagsteller"),
    )
    asker_role = models.CharField(_("vraagsteller vanuit"), max_length=20, choices=AskerRole.choices)
    asker_organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="questions",
        verbose_name=_("organisatie van de vraagsteller"),
    )
    state = models.CharField(
        _("status"), max_length=20, choices=State.choices, default=State.SUBMITTED, db_index=True
    )
    submitted_at = models.DateTimeField(_("ingediend op"), default=timezone.now, db_index=True)
    state_changed_at = models.DateTimeField(_("status gewijzigd op"), default=timezone.now)
    broker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="brokered_questions",
        verbose_name=_("kennismakelaar"),
    )
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_questions",
        verbose_name=_("samengevoegd met"),
    )
    referred_to_hub = models.ForeignKey(
        Hub,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referred_questions",
        verbose_name=_("doorverwezen naar kennishub"),
    )
    referred_to_programme = models.ForeignKey(
        Programme,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referred_questions",
        verbose_name=_("doorverwezen naar nationaal programma"),
    )
    referred_to_network = models.ForeignKey(
        Network,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referred_questions",
        verbose_name=_("doorverwezen naar netwerk"),
    )

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("kennisvraag")
        verbose_name_plural = _("kennisvragen")
        indexes = [
            models.Index(fields=["owner_hub", "state", "submitted_at"], name="question_queue_idx"),
            models.Index(fields=["broker", "state"], name="question_broker_idx"),
            models.Index(fields=["asker", "-submitted_at"], name="question_asker_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("text"), TEXT_MAX_CHARS), name="question_text_max_length"
            ),
            models.CheckConstraint(
                condition=~models.Q(merged_into=models.F("pk")), name="question_not_merged_into_itself"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class QuestionEvent(models.Model):
    """One row per state change (the submission is the first: from None to submitted)."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="events")
    from_state = models.CharField(max_length=20, choices=Question.State.choices, null=True, blank=True)
    to_state = models.CharField(max_length=20, choices=Question.State.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)
    note = models.TextField(_("toelichting"), max_length=NOTE_MAX_CHARS, blank=True)
    # Public identifiers of what the transition set (broker, referral target, merge target), so a
    # timeline reads without joins and survives the target's deletion.
    details: models.JSONField[dict[str, str]] = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["question", "at"], name="question_event_idx")]
        verbose_name = _("statuswijziging kennisvraag")
        verbose_name_plural = _("statuswijzigingen kennisvragen")

    def __str__(self) -> str:
        return f"{self.question_id}: {self.from_state or '-'} → {self.to_state}"


class Evaluation(models.Model):
    """The asker's verdict when closing the question: how useful the answer was (1-5)."""

    question = models.OneToOneField(Question, on_delete=models.CASCADE, related_name="evaluation")
    usefulness = models.PositiveSmallIntegerField(_("bruikbaarheid (1-5)"))
    comment = models.TextField(_("opmerking"), max_length=NOTE_MAX_CHARS, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(usefulness__gte=1, usefulness__lte=5), name="evaluation_usefulness_1_5"
            )
        ]
        verbose_name = _("evaluatie")
        verbose_name_plural = _("evaluaties")

    def __str__(self) -> str:
        return f"{self.question_id}: {self.usefulness}/5"
