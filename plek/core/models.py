"""Shared kernel: the visibility vocabulary and the change history every write leaves."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Openbaar")
    MEMBERS = "members", _("Leden van het platform")
    HUB = "hub", _("Leden van de kennishub")
    PRIVATE = "private", _("Privé")


class Scale(models.TextChoices):
    LOCAL = "local", _("Lokaal")
    REGIONAL = "regional", _("Regionaal")
    NATIONAL = "national", _("Nationaal")


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("aangemaakt"), auto_now_add=True)
    updated_at = models.DateTimeField(_("gewijzigd"), auto_now=True)

    class Meta:
        abstract = True


class ChangeLog(models.Model):
    """One row per write: who, when, what changed. Written by services only."""

    class Action(models.TextChoices):
        CREATE = "create", _("aangemaakt")
        UPDATE = "update", _("gewijzigd")
        DELETE = "delete", _("verwijderd")

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    object_repr = models.CharField(max_length=300)
    action = models.CharField(max_length=10, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    changes: models.JSONField[dict[str, Any]] = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=40, default="web")

    class Meta:
        indexes = [models.Index(fields=["content_type", "object_id", "-at"])]
        ordering = ["-at", "-id"]
        verbose_name = _("wijziging")
        verbose_name_plural = _("wijzigingen")

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.object_repr}"


class SearchOutbox(models.Model):
    """Pending changes for the search index, written in the same transaction as the change itself.

    The index is derived state: the worker (or, in development and tests, the request itself after
    commit) applies these rows; `plek search reindex` rebuilds everything from the database."""

    class Op(models.TextChoices):
        UPSERT = "upsert", "upsert"
        DELETE = "delete", "delete"

    entity_type = models.CharField(max_length=30)
    entity_id = models.PositiveBigIntegerField()
    op = models.CharField(max_length=10, choices=Op.choices, default=Op.UPSERT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["id"], name="outbox_fifo")]
        verbose_name = "search outbox row"

    def __str__(self) -> str:
        return f"{self.op} {self.entity_type}:{self.entity_id}"


class WorkerHeartbeat(models.Model):
    """One row per running `plek worker` process, touched every few seconds. A task left RUNNING by a
    worker whose heartbeat stopped (killed, machine lost) is put back in the queue or failed — see
    `plek.core.workers.tasks_recover_stale`."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    host = models.CharField(max_length=255, blank=True)
    pid = models.IntegerField(default=0)
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.host}:{self.pid})"


class SearchVector(models.Model):
    """The meaning of a searchable document as a sentence embedding (512 float32 numbers, L2-normalised),
    with what is needed to show it as a candidate. Derived state like the search index: written by the
    same outbox (``plek.knowledge.indexing.outbox_apply``) and rebuilt by ``plek search reindex``; each
    application process keeps all vectors in memory for top-k by numpy (``plek.knowledge.vectors``).

    A changed document gets a new row (higher id), so processes catch up by reading rows past the
    highest id they hold."""

    key = models.CharField(max_length=64, unique=True)  # "knowledge:123"
    entity_type = models.CharField(max_length=30)
    entity_id = models.PositiveBigIntegerField()
    text_hash = models.CharField(max_length=40)  # of the embedded text: unchanged text is not re-embedded
    vector = models.BinaryField()
    meta = models.JSONField(default=dict)  # slug, title, kind, scale, themes, regions, visibility, text

    class Meta:
        verbose_name = "search vector"

    def __str__(self) -> str:
        return self.key
