"""Users, API tokens and membership of the national bodies (Initiative and Steering group).

Hub roles (coordinator, member) live with the Hub in plek.atlas, which sits above accounts.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person who signs in. Platform administrators have `is_superuser`."""

    display_name = models.CharField(_("weergavenaam"), max_length=150, blank=True)

    @property
    def is_platform_admin(self) -> bool:
        return bool(self.is_active and self.is_superuser)

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def shown_name(self) -> str:
        """The name to greet someone by: their display name, full name or knowledge-holder profile
        name; the login name only when there is nothing else (one query, only in that case)."""
        named = self.display_name or self.get_full_name()
        if named:
            return named
        # The profile table straight through its account index (a join from the user made SQLite scan
        # every profile: 4 ms at national scale); the model comes from the relation, not an import.
        profiles = self._meta.get_field("person").related_model._default_manager  # type: ignore[union-attr]
        person = profiles.filter(account_id=self.pk).values_list("name", flat=True).first()
        return person or self.username


class BodyMembership(models.Model):
    """Membership of the Initiative group or the Steering group (used by governance)."""

    class Body(models.TextChoices):
        INITIATIVE = "initiative", _("Initiatiefgroep")
        STEERING = "steering", _("Stuurgroep")

    class Role(models.TextChoices):
        MEMBER = "member", _("lid")
        CHAIR = "chair", _("voorzitter")
        SECRETARY = "secretary", _("secretaris")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="body_memberships"
    )
    body = models.CharField(_("orgaan"), max_length=20, choices=Body.choices)
    role = models.CharField(_("rol"), max_length=20, choices=Role.choices, default=Role.MEMBER)
    since = models.DateField(_("sinds"), null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "body"], name="uniq_body_membership")]
        verbose_name = _("lidmaatschap orgaan")
        verbose_name_plural = _("lidmaatschappen organen")

    def __str__(self) -> str:
        return f"{self.user} — {self.get_body_display()}"


class ApiToken(models.Model):
    """A bearer token for the API. Only a hash is stored; the token is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("naam"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API-sleutel")
        verbose_name_plural = _("API-sleutels")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @classmethod
    def new_raw(cls) -> str:
        return "plek_" + secrets.token_urlsafe(32)
