"""Indicators with observations and targets; scenario studies of the spatial puzzle."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from plek.atlas.models import OwnedModel
from plek.core.models import TimeStampedModel


class LandUse(models.TextChoices):
    """The land uses a study can claim; suitability columns and exclusions use these codes."""

    HOUSING = "wonen", _("wonen")
    WATER = "water", _("waterberging")
    NATURE = "natuur", _("natuur")
    ENERGY = "energie", _("energie (zon en wind)")
    AGRICULTURE = "landbouw", _("landbouw")
    INDUSTRY = "bedrijven", _("bedrijventerreinen")
    FOREST = "bos", _("bos")
    RECREATION = "recreatie", _("recreatie")
    INFRASTRUCTURE = "infra", _("infrastructuur")
    CLIMATE = "klimaat", _("klimaatadaptatie")


class Indicator(OwnedModel):
    class Direction(models.TextChoices):
        HIGHER = "higher", _("hoger is beter")
        LOWER = "lower", _("lager is beter")

    slug = models.SlugField(_("code"), unique=True, max_length=80)
    name = models.CharField(_("naam"), max_length=200)
    unit = models.CharField(_("eenheid"), max_length=60)
    theme = models.ForeignKey(
        "atlas.Theme",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("thema"),
    )
    source = models.CharField(_("bron"), max_length=300, blank=True)
    description = models.TextField(_("omschrijving"), blank=True)
    direction = models.CharField(
        _("richting"), max_length=10, choices=Direction.choices, default=Direction.HIGHER
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def higher_is_better(self) -> bool:
        return self.direction == self.Direction.HIGHER


class Observation(TimeStampedModel):
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="observations")
    region = models.ForeignKey("atlas.Region", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("jaar"))
    # "" for the whole year; StatLine's quarters "KW01".."KW04" and months "MM01".."MM12".
    # Trends read whole years only.
    period = models.CharField(_("periode binnen het jaar"), max_length=4, blank=True, default="")
    value = models.FloatField(_("waarde"))
    source = models.CharField(_("bron"), max_length=300, blank=True)
    note = models.CharField(_("toelichting"), max_length=500, blank=True)

    class Meta:
        ordering = ["indicator", "region", "year", "period"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "region", "year", "period"], name="strategy_observation_unique_period"
            )
        ]


class Target(TimeStampedModel):
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="targets")
    region = models.ForeignKey("atlas.Region", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("doeljaar"))
    value = models.FloatField(_("doelwaarde"))
    note = models.CharField(_("toelichting"), max_length=500, blank=True)

    class Meta:
        ordering = ["indicator", "region", "year"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "region", "year"], name="strategy_target_unique")
        ]


class Study(OwnedModel):
    """A scenario study: the land of a region, the claims on it and how they may combine."""

    slug = models.SlugField(_("code"), unique=True, max_length=80)
    name = models.CharField(_("naam"), max_length=200)
    region = models.ForeignKey(
        "atlas.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("gebied")
    )
    description = models.TextField(_("omschrijving"), blank=True)
    penalty = models.FloatField(_("boete per tekort-hectare"), null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class LandUnit(models.Model):
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="units")
    code = models.CharField(_("code"), max_length=60)
    area_ha = models.FloatField(_("oppervlakte (ha)"))
    current_use = models.CharField(_("huidig gebruik"), max_length=20, choices=LandUse.choices)
    suitability = models.JSONField(_("geschiktheid"), default=dict)  # {land use: 0..1}
    excluded = models.JSONField(_("uitgesloten gebruik"), default=list)  # [land use, ...]
    x = models.FloatField(null=True, blank=True)  # grid column or centroid longitude
    y = models.FloatField(null=True, blank=True)
    geometry = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["study", "id"]
        constraints = [models.UniqueConstraint(fields=["study", "code"], name="strategy_landunit_unique")]

    def __str__(self) -> str:
        return self.code


class LandClaim(models.Model):
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="claims")
    land_use = models.CharField(_("landgebruik"), max_length=20, choices=LandUse.choices)
    wanted_ha = models.FloatField(_("gevraagd (ha)"))
    minimum_ha = models.FloatField(_("minimum (ha)"), default=0)
    priority = models.FloatField(_("prioriteit"), default=1)

    class Meta:
        ordering = ["study", "land_use"]
        constraints = [models.UniqueConstraint(fields=["study", "land_use"], name="strategy_claim_unique")]

    def __str__(self) -> str:
        return f"{self.land_use} {self.wanted_ha:g} ha"


class Compatibility(models.Model):
    """Combined use: one hectare of `use_a` also serves `use_b` for `fraction` hectare."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="compatibilities")
    use_a = models.CharField(max_length=20, choices=LandUse.choices)
    use_b = models.CharField(max_length=20, choices=LandUse.choices)
    fraction = models.FloatField(default=1.0)

    class Meta:
        ordering = ["study", "use_a", "use_b"]
        constraints = [
            models.UniqueConstraint(fields=["study", "use_a", "use_b"], name="strategy_compat_unique")
        ]

    def __str__(self) -> str:
        return f"{self.use_a}+{self.use_b} ({self.fraction:g})"


class Variant(TimeStampedModel):
    """A scenario: changes to claims (wanted, minimum, priority) and exclusions of the study.

    changes = {"claims": {use: {"wanted_ha": .., "minimum_ha": .., "priority": ..}},
               "exclude": {use: [current use, ...]}}  # e.g. no housing on current water land"""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="variants")
    slug = models.SlugField(max_length=80)
    name = models.CharField(_("naam"), max_length=200)
    description = models.TextField(_("omschrijving"), blank=True)
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["study", "id"]
        constraints = [models.UniqueConstraint(fields=["study", "slug"], name="strategy_variant_unique")]

    def __str__(self) -> str:
        return self.name


class SolveRun(TimeStampedModel):
    """One solve of a variant; results are stored per input hash and method, so they can be cited."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("in de wachtrij")
        RUNNING = "running", _("bezig")
        DONE = "done", _("klaar")
        FAILED = "failed", _("mislukt")
        CANCELLED = "cancelled", _("geannuleerd")

    class Method(models.TextChoices):
        FAST = "fast", _("snelle prijsmethode")
        HIGHS = "highs", _("HiGHS (exact LP)")

    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="runs")
    input_hash = models.CharField(max_length=64, db_index=True)
    method = models.CharField(max_length=10, choices=Method.choices, default=Method.FAST)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.FloatField(default=0.0)
    stage = models.CharField(max_length=60, blank=True)
    cancel_requested = models.BooleanField(default=False)
    objective = models.FloatField(null=True, blank=True)
    seconds = models.FloatField(null=True, blank=True)
    summary = models.JSONField(default=dict, blank=True)  # per claim, conflicts, transitions
    allocation = models.JSONField(default=dict, blank=True)  # {unit code: [use, hectares, ...]}
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.variant_id}:{self.method}:{self.input_hash[:12]}"
