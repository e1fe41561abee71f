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
    # A national programme's own knowledge question (registered by the programme, not by an area).
    programme = models.ForeignKey(
        Programme,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="knowledge_questions",
        verbose_name=_("kennisvraag van programma"),
    )
    # The asker agrees that people the hub introduces may see their e-mail address.
    share_contact = models.BooleanField(_("contactgegevens delen bij een introductie"), default=False)
    # When the question last moved up a level because it waited too long (`question_escalate`).
    escalated_at = models.DateTimeField(_("opgeschaald op"), null=True, blank=True)

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


class ProgrammeBroker(models.Model):
    """A broker (contact person) of a national programme: questions referred to the programme land in
    their inbox and they may answer them."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="brokers")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="programme_brokerships"
    )
    since = models.DateField(_("sinds"), default=timezone.localdate)

    class Meta:
        ordering = ["programme", "user"]
        constraints = [models.UniqueConstraint(fields=["programme", "user"], name="programme_broker_once")]
        verbose_name = _("kennismakelaar van een programma")
        verbose_name_plural = _("kennismakelaars van programma's")

    def __str__(self) -> str:
        return f"{self.programme}: {self.user}"


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


class MatchFeedback(models.Model):
    """A broker's verdict on one matching candidate for one question: accepted candidates are kept
    on the question; rejected ones never come back for it. Score, rank and reason are stored as they
    were shown, for tuning the engine."""

    class Decision(models.TextChoices):
        ACCEPTED = "accepted", _("geaccepteerd")
        REJECTED = "rejected", _("afgewezen")

    class Kind(models.TextChoices):
        KNOWLEDGE = "knowledge", _("kennis")
        PERSON = "person", _("persoon")
        NETWORK = "network", _("netwerk")
        HUB = "hub", _("kennishub")
        ORGANISATION = "organisation", _("organisatie")
        QUESTION = "question", _("eerdere vraag")

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="match_feedback")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    target_id = models.PositiveBigIntegerField()
    title = models.CharField(max_length=500)  # as shown, so the list reads without joins
    decision = models.CharField(max_length=10, choices=Decision.choices)
    score = models.FloatField(default=0)
    rank = models.PositiveIntegerField(default=0)
    reason = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["question", "kind", "target_id"], name="match_feedback_once")
        ]
        verbose_name = _("beoordeling van een match")
        verbose_name_plural = _("beoordelingen van matches")

    def __str__(self) -> str:
        return f"{self.question_id}: {self.kind}:{self.target_id} {self.decision}"


class Introduction(models.Model):
    """The broker connects the asker with a person or a network. The person (or the network's
    contact) answers through a private link; contact details are shown to either side only after
    the introduced side accepted and only as far as each side agreed."""

    class Status(models.TextChoices):
        PENDING = "pending", _("wacht op antwoord")
        ACCEPTED = "accepted", _("geaccepteerd")
        DECLINED = "declined", _("afgeslagen")

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="introductions")
    person = models.ForeignKey(
        "atlas.Person", null=True, blank=True, on_delete=models.CASCADE, related_name="introductions"
    )
    network = models.ForeignKey(
        Network, null=True, blank=True, on_delete=models.CASCADE, related_name="introductions"
    )
    # Introduced as the contact person of this organisation (the organisation matched the question).
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="introductions"
    )
    message = models.TextField(_("bericht"), max_length=NOTE_MAX_CHARS)
    token = models.CharField(max_length=64, unique=True)  # sha256 of the secret in the e-mailed link
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    response_note = models.TextField(_("toelichting"), max_length=NOTE_MAX_CHARS, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(person__isnull=False, network__isnull=True)
                | models.Q(person__isnull=True, network__isnull=False),
                name="introduction_one_target",
            ),
        ]
        verbose_name = _("introductie")
        verbose_name_plural = _("introducties")

    def __str__(self) -> str:
        return f"{self.question_id}: {self.person_id or self.network_id} {self.status}"


class Answer(models.Model):
    """The synthesis that answers a question, with its sources and contributors. Publishing it makes
    a knowledge item of kind "answered question" (`knowledge_item`)."""

    question = models.OneToOneField(Question, on_delete=models.CASCADE, related_name="answer")
    text = models.TextField(_("antwoord"), max_length=TEXT_MAX_CHARS * 2)
    source_items = models.ManyToManyField(
        "knowledge.KnowledgeItem", blank=True, related_name="answer_sources", verbose_name=_("bronnen")
    )
    source_people = models.ManyToManyField(
        "atlas.Person", blank=True, related_name="answer_sources", verbose_name=_("deskundigen")
    )
    contributors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("bijdragers")
    )
    from_existing = models.BooleanField(
        _("beantwoord met bestaande kennis"), default=False
    )  # answered without new introductions
    knowledge_item = models.OneToOneField(
        "knowledge.KnowledgeItem",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="answered_question",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("antwoord")
        verbose_name_plural = _("antwoorden")

    def __str__(self) -> str:
        return f"{self.question_id}"


class OverlapRun(models.Model):
    """One run of the overlap job; clusters of the latest finished run are shown."""

    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    questions = models.PositiveIntegerField(default=0)
    clusters = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M}: {self.clusters}"


class OverlapCluster(models.Model):
    """Similar questions across hubs, regions and programmes. The members are stored whatever their
    visibility; pages and API show each viewer only the members they may see (and hide a cluster that
    has fewer than two of them)."""

    run = models.ForeignKey(OverlapRun, on_delete=models.CASCADE, related_name="cluster_rows")
    theme = models.ForeignKey(Theme, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    terms = models.CharField(max_length=300)  # the shared words that hold the cluster together
    questions = models.ManyToManyField(Question, related_name="overlap_clusters")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.terms
