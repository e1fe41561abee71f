"""The knowledge base: practice, research and policy knowledge with provenance and history."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from plek.atlas.models import Organisation, OwnedModel, Person, Region, Theme
from plek.core.models import Scale


class KnowledgeItem(OwnedModel):
    class Category(models.TextChoices):
        PRACTICE = "practice", _("praktijkkennis")
        RESEARCH = "research", _("onderzoekskennis")
        POLICY = "policy", _("beleidskennis")

    class Kind(models.TextChoices):
        EXPERIENCE = "experience", _("ervaring")
        CASE = "case", _("praktijkvoorbeeld")
        LESSON = "lesson", _("les")
        AREA_PROFILE = "area_profile", _("gebiedsprofiel (gebieds-DNA)")
        STORY = "story", _("verhaal")
        PUBLICATION = "publication", _("publicatie")
        REPORT = "report", _("rapport")
        DATASET = "dataset", _("dataset")
        METHOD = "method", _("methode of instrument")
        MODEL = "model", _("model")
        POLICY_DOCUMENT = "policy_document", _("beleidsdocument")
        PROGRAMME_PRODUCT = "programme_product", _("kennisproduct van een programma")
        ANSWERED_QUESTION = "answered_question", _("beantwoorde kennisvraag")

    CATEGORY_OF = {
        "experience": "practice",
        "case": "practice",
        "lesson": "practice",
        "area_profile": "practice",
        "story": "practice",
        "publication": "research",
        "report": "research",
        "dataset": "research",
        "method": "research",
        "model": "research",
        "policy_document": "policy",
        "programme_product": "policy",
        "answered_question": "practice",
    }

    class Provenance(models.TextChoices):
        MADE_HERE = "made_here", _("hier gemaakt")
        IMPORTED = "imported", _("geïmporteerd")
        HARVESTED = "harvested", _("geoogst")

    class Language(models.TextChoices):
        NL = "nl", pgettext_lazy("taal van een tekst", "Nederlands")
        EN = "en", _("Engels")
        FY = "fy", _("Fries")
        DE = "de", _("Duits")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    slug = models.SlugField(unique=True, max_length=140)
    kind = models.CharField(_("soort"), max_length=30, choices=Kind.choices, db_index=True)
    category = models.CharField(_("categorie"), max_length=10, choices=Category.choices, db_index=True)
    title = models.CharField(_("titel"), max_length=300)
    summary = models.TextField(_("samenvatting"), max_length=2000, blank=True)
    body = models.TextField(_("tekst (Markdown)"), blank=True)
    language = models.CharField(_("taal"), max_length=5, choices=Language.choices, default=Language.NL)
    date = models.DateField(_("datum"), null=True, blank=True, db_index=True)
    author_people = models.ManyToManyField(
        Person, blank=True, related_name="knowledge_items", verbose_name=_("auteurs (personen)")
    )
    author_organisations = models.ManyToManyField(
        Organisation, blank=True, related_name="knowledge_items", verbose_name=_("auteurs (organisaties)")
    )
    themes = models.ManyToManyField(
        Theme, blank=True, related_name="knowledge_items", verbose_name=_("thema's")
    )
    regions = models.ManyToManyField(
        Region, blank=True, related_name="knowledge_items", verbose_name=_("gebieden")
    )
    scale = models.CharField(_("schaalniveau"), max_length=10, choices=Scale.choices, default=Scale.REGIONAL)
    doi = models.CharField("DOI", max_length=200, blank=True)
    handle = models.CharField("Handle", max_length=200, blank=True)
    isbn = models.CharField("ISBN", max_length=20, blank=True)
    url = models.URLField(_("webadres"), max_length=500, blank=True)
    licence = models.CharField(_("licentie"), max_length=100, blank=True, default="CC BY 4.0")
    provenance = models.CharField(
        _("herkomst"), max_length=20, choices=Provenance.choices, default=Provenance.MADE_HERE
    )
    source_name = models.CharField(_("bron"), max_length=200, blank=True)
    source_identifier = models.CharField(_("oorspronkelijke identificatie"), max_length=300, blank=True)
    version = models.PositiveIntegerField(_("versie"), default=1)
    # Fields changed here after the item was harvested: a later harvest leaves them alone.
    local_fields = models.JSONField(_("hier gewijzigde velden"), default=list, blank=True)
    # Set when every source that delivered the item withdrew it (the item is then private).
    withdrawn_at = models.DateTimeField(_("ingetrokken bij de bron"), null=True, blank=True)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("kennisitem")
        verbose_name_plural = _("kennisitems")
        indexes = [
            models.Index(fields=["visibility", "-date"]),
            # A signed-in viewer's own extra rows on the region page (permissions.level_split): their
            # hubs' hub-only items and their own hub-only and private ones, found without a scan.
            models.Index(fields=["owner_hub", "visibility"], name="knowledge_hub_level_idx"),
            models.Index(fields=["created_by", "visibility"], name="knowledge_author_level_idx"),
            # De-duplication of imported and harvested works by their identifiers.
            models.Index(fields=["doi"], name="knowledge_doi_idx"),
            models.Index(fields=["handle"], name="knowledge_handle_idx"),
            models.Index(fields=["url"], name="knowledge_url_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class KnowledgeVersion(models.Model):
    """A snapshot of an item's text at each version (the item's history of content)."""

    item = models.ForeignKey(KnowledgeItem, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True)
    body = models.TextField(blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        constraints = [models.UniqueConstraint(fields=["item", "version"], name="uniq_knowledge_version")]

    def __str__(self) -> str:
        return f"{self.item_id} v{self.version}"


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"kennis/{instance.item.uuid}/{uuid.uuid4().hex}-{filename[-80:]}"


class Attachment(models.Model):
    item = models.ForeignKey(KnowledgeItem, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=300)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    text = models.TextField(blank=True, help_text="extracted for search")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return self.original_name


class KnowledgeProvenance(models.Model):
    """Where a harvested or imported item came from: one row per source that delivers the work.

    The same work reached through two sources is one item with two rows. `source_key` names the
    source without a foreign key (harvest sources live in a higher layer): ``harvest:<id>`` or
    ``import``."""

    item = models.ForeignKey(KnowledgeItem, on_delete=models.CASCADE, related_name="provenances")
    source_key = models.CharField(max_length=60, db_index=True)
    source_name = models.CharField(_("bron"), max_length=200)
    original_identifier = models.CharField(_("oorspronkelijke identificatie"), max_length=500)
    original_url = models.URLField(_("oorspronkelijk webadres"), max_length=1000, blank=True)
    licence = models.CharField(_("licentie"), max_length=200, blank=True)
    datestamp = models.DateTimeField(_("datum bij de bron"), null=True, blank=True)
    harvested_at = models.DateTimeField(_("geoogst op"))
    last_seen = models.DateTimeField(_("laatst gezien"))
    deleted_at = models.DateTimeField(_("verwijderd bij de bron"), null=True, blank=True)
    # Hash of the mapped record: an unchanged record is skipped without writing.
    fingerprint = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["harvested_at", "id"]
        verbose_name = _("herkomst")
        verbose_name_plural = _("herkomsten")
        constraints = [
            models.UniqueConstraint(
                fields=["source_key", "original_identifier"], name="uniq_knowledge_provenance"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source_name}: {self.original_identifier}"


class EmbedRun(models.Model):
    """One run of `embed_all` (or a full reindex) in the worker, with its progress for the page and
    `plek search status`.

    Progress is written at most once a second (`done` of `total` documents checked, the current
    `kind`, a smoothed `rate` in documents per second) together with `heartbeat_at`: a RUNNING row
    whose heartbeat is older than the worker staleness limit was lost with its worker (kill -9) and
    is shown as interrupted; the vectors it stored stay, so the next run only embeds the rest. At most
    one row waits and one runs (a constraint); a second request joins the one there is."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("in de wachtrij")
        RUNNING = "running", _("bezig")
        DONE = "done", _("klaar")
        FAILED = "failed", _("mislukt")
        CANCELLED = "cancelled", _("gestopt")
        INTERRUPTED = "interrupted", _("onderbroken")

    class Mode(models.TextChoices):
        EMBED = "embed", _("vectoren bijwerken")
        REINDEX = "reindex", _("zoekindex en vectoren opnieuw opbouwen")

    class Stage(models.TextChoices):
        INDEX = "index", _("zoekindex")
        VECTORS = "vectors", _("vectoren")

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.EMBED)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    stage = models.CharField(max_length=10, choices=Stage.choices, blank=True)
    kind = models.CharField(max_length=30, blank=True)  # the document type being checked ("knowledge")
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    embedded = models.PositiveIntegerField(null=True, blank=True)  # texts run through the encoder
    rate = models.FloatField(null=True, blank=True)  # documents per second, smoothed
    cancel_requested = models.BooleanField(default=False)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("vectorrun")
        verbose_name_plural = _("vectorruns")
        constraints = [
            # One waiting and one running run at most, whoever asks (pages, command line, two nodes).
            models.UniqueConstraint(
                fields=["status"],
                condition=models.Q(status__in=["queued", "running"]),
                name="knowledge_embedrun_one_per_active_status",
            )
        ]

    def __str__(self) -> str:
        return f"{self.mode} #{self.pk} ({self.status})"
