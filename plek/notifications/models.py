"""Notifications: one row per person per event (the in-app list), delivered by e-mail at once or in a
daily digest as the person prefers (`NotificationPreference`, one row per kind they changed)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from plek.notifications.kinds import KINDS, Channel

TITLE_MAX = 300


class Notification(models.Model):
    class Mail(models.TextChoices):
        NONE = "none", _("geen e-mail")
        PENDING = "pending", _("wordt verstuurd")
        DIGEST = "digest", _("in het dagelijks overzicht")
        SENT = "sent", _("verstuurd")
        FAILED = "failed", _("niet verstuurd")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("soort"), max_length=40, choices=[(k, v.label) for k, v in KINDS.items()])
    title = models.CharField(_("titel"), max_length=TITLE_MAX)
    body = models.TextField(_("tekst"), blank=True)
    url = models.CharField(max_length=500, blank=True)  # a path on this site
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    mail = models.CharField(max_length=10, choices=Mail.choices, default=Mail.NONE, db_index=True)
    mailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread_idx")]
        verbose_name = _("melding")
        verbose_name_plural = _("meldingen")

    def __str__(self) -> str:
        return f"{self.recipient_id}: {self.kind}"


class NotificationPreference(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=40, choices=[(k, v.label) for k, v in KINDS.items()])
    channel = models.CharField(max_length=10, choices=Channel.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_once")]
        verbose_name = _("voorkeur voor meldingen")
        verbose_name_plural = _("voorkeuren voor meldingen")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.kind} {self.channel}"
