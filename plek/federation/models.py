"""Harvest sources and their runs, the host allow-list, the OAI-PMH provider's deleted records, and
knowledge imports run in the background."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from plek.atlas.models import Hub, Region, Theme
from plek.core.models import Visibility


class HarvestSource(models.Model):
    class Kind(models.TextChoices):
        OAI = "oai", _("OAI-PMH-repository")
        DCAT = "dcat", _("DCAT-catalogus")
        CKAN = "ckan", _("CKAN-API")
        FEED = "feed", _("RSS- of Atom-feed")
        PLEK = "plek", _("PLeK-instantie")

    class Schedule(models.TextChoices):
        MANUAL = "manual", _("alleen met de hand")
        HOURLY = "hourly", _("elk uur")
        DAILY = "daily", _("dagelijks")
        WEEKLY = "weekly", _("wekelijks")

    name = models.CharField(_("naam"), max_length=200)
    kind = models.CharField(_("soort bron"), max_length=10, choices=Kind.choices)
    base_url = models.URLField(_("basisadres"), max_length=500)
    set_spec = models.CharField(
        _("set of filter"),
        max_length=200,
        blank=True,
        help_text=_("OAI-PMH: een setSpec; CKAN: een zoekfilter (fq), bijvoorbeeld organization:rws."),
    )
    schedule = models.CharField(_("schema"), max_length=10, choices=Schedule.choices, default=Schedule.DAILY)
    owner_hub = models.ForeignKey(
        Hub, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("kennishub")
    )
    default_visibility = models.CharField(
        _("zichtbaarheid van geoogste kennis"),
        max_length=10,
        choices=Visibility.choices,
        default=Visibility.PUBLIC,
    )
    default_themes = models.ManyToManyField(
        Theme, blank=True, related_name="+", verbose_name=_("standaardthema's")
    )
    default_regions = models.ManyToManyField(
        Region, blank=True, related_name="+", verbose_name=_("standaardgebieden")
    )
    mapping_rules = models.JSONField(
        _("koppelregels"),
        default=dict,
        blank=True,
        help_text=_('Trefwoord → themaslug, bijvoorbeeld {"waterbeheer": "water", "stikstof": "natuur"}.'),
    )
    page_cap = models.PositiveIntegerField(_("maximaal aantal pagina's per run"), default=200)
    paused = models.BooleanField(_("gepauzeerd"), default=False)
    # Incremental harvesting: the high-water mark of the last complete run, and where an unfinished
    # run stopped (an OAI resumption token or a page offset), so the next run resumes.
    harvested_until = models.DateTimeField(null=True, blank=True)
    resume_state = models.JSONField(default=dict, blank=True)
    seen_ids = models.JSONField(default=list, blank=True)  # feeds: entry ids of the last fetch
    next_run_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("oogstbron")
        verbose_name_plural = _("oogstbronnen")

    def __str__(self) -> str:
        return self.name

    @property
    def source_key(self) -> str:
        return f"harvest:{self.pk}"


class HarvestRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("in de wachtrij")
        RUNNING = "running", _("bezig")
        DONE = "done", _("klaar")
        PARTIAL = "partial", _("deels gelukt")
        FAILED = "failed", _("mislukt")

    source = models.ForeignKey(HarvestSource, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    trigger = models.CharField(max_length=10, default="manual")  # manual | schedule | bench
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    pages = models.PositiveIntegerField(default=0)
    fetched = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    withdrawn = models.PositiveIntegerField(default=0)
    refused = models.PositiveIntegerField(default=0)
    # [{"id": original identifier, "reason": text}] for refused records (bounded), and notes such as
    # "kept the local edit of title" or "stopped at the page cap".
    problems = models.JSONField(default=list, blank=True)
    notes = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    queued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("oogstrun")
        verbose_name_plural = _("oogstruns")

    def __str__(self) -> str:
        return f"{self.source} #{self.pk}"


class AllowedHost(models.Model):
    """A host an administrator allows harvesting from although it resolves to an internal address."""

    host = models.CharField(_("host"), max_length=253, unique=True)
    note = models.CharField(_("toelichting"), max_length=200, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["host"]
        verbose_name = _("toegestane host")
        verbose_name_plural = _("toegestane hosts")

    def __str__(self) -> str:
        return self.host


class OaiTombstone(models.Model):
    """A record the OAI-PMH provider once exposed and now reports as deleted (deletedRecord=persistent)."""

    item_uuid = models.UUIDField(unique=True)
    datestamp = models.DateTimeField(db_index=True)
    # The setSpecs the item was in, space-separated with a space at both ends (" kind:x hub:y "),
    # so a set filter is one `contains` lookup on every database.
    set_specs = models.TextField(blank=True)

    class Meta:
        ordering = ["datestamp", "id"]

    def __str__(self) -> str:
        return str(self.item_uuid)


class ImportJob(models.Model):
    """A knowledge import of a large file, run by the worker: a dry run, or the import itself.

    The file's text is kept until the import itself is done (a dry run's confirmation imports the
    same text). Progress while running goes to the shared cache (the import is one transaction, so
    the database shows nothing until it commits); the report is stored here when it is finished."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("in de wachtrij")
        RUNNING = "running", _("bezig")
        DONE = "done", _("klaar")
        FAILED = "failed", _("mislukt")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=255)
    data = models.TextField(blank=True)
    dry_run = models.BooleanField(default=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)  # "line 4, field kind: …" (bounded)
    committed = models.BooleanField(default=False)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("kennisimport")
        verbose_name_plural = _("kennisimports")

    def __str__(self) -> str:
        return f"{self.name} #{self.pk}"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
