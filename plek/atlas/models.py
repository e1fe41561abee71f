"""The Atlas: regions at every scale, themes, organisations, people, networks, hubs,
national programmes and typed relations between them."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from plek.core.models import Scale, TimeStampedModel, Visibility


class RegionManager(models.Manager["Region"]):
    """Shapes are large and read only by the map and the boundary import: leave them out unless asked
    for (`.defer(None)` or `.only(..., "geometry")`). This also applies to every many-to-many prefetch
    of regions, which would otherwise parse thousands of shapes for a list of names."""

    def get_queryset(self) -> models.QuerySet[Region]:
        return super().get_queryset().defer("geometry")


class Region(TimeStampedModel):
    objects = RegionManager()

    class Kind(models.TextChoices):
        COUNTRY = "country", _("land")
        PROVINCE = "province", _("provincie")
        MUNICIPALITY = "municipality", _("gemeente")
        WATER_BOARD = "water_board", _("waterschap")
        RES_REGION = "res_region", _("RES-regio")
        NOVEX_AREA = "novex_area", _("NOVEX-gebied")
        COROP_REGION = "corop_region", _("COROP-regio")
        SAFETY_REGION = "safety_region", _("veiligheidsregio")
        CUSTOM = "custom", _("eigen gebied")

    class CodeSystem(models.TextChoices):
        CBS = "cbs", "CBS"
        TOOI = "tooi", "TOOI"
        ISO = "iso", "ISO 3166"
        PLEK = "plek", _("PLeK (geen officiële code)")

    code = models.CharField(_("code"), max_length=40, unique=True)
    code_system = models.CharField(_("codestelsel"), max_length=10, choices=CodeSystem.choices)
    code_verified = models.BooleanField(_("code geverifieerd"), default=True)
    verification_note = models.CharField(_("toelichting verificatie"), max_length=300, blank=True)
    name = models.CharField(_("naam"), max_length=200)
    name_en = models.CharField(_("naam (Engels)"), max_length=200, blank=True)
    kind = models.CharField(_("soort"), max_length=20, choices=Kind.choices, db_index=True)
    scale = models.CharField(_("schaalniveau"), max_length=10, choices=Scale.choices, db_index=True)
    valid_from = models.DateField(_("geldig vanaf"), null=True, blank=True)
    valid_until = models.DateField(_("geldig tot"), null=True, blank=True)
    description = models.TextField(_("omschrijving"), blank=True)
    geometry: models.JSONField[Any] = models.JSONField(_("geometrie (GeoJSON)"), null=True, blank=True)
    parents = models.ManyToManyField(
        "self",
        through="RegionContainment",
        through_fields=("child", "parent"),
        symmetrical=False,
        related_name="children",
        blank=True,
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("gebied")
        verbose_name_plural = _("gebieden")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if get_language() == "en" and self.name_en:
            return self.name_en
        return self.name

    @property
    def label(self) -> str:
        """'provincie Noord-Holland', 'gemeente Amsterdam'."""
        if self.kind in (self.Kind.COUNTRY, self.Kind.CUSTOM):
            return self.display_name
        # The enum's label rather than get_kind_display(), which hashes every choice's lazy label on
        # each call (a region page shows ~150 labels).
        try:
            kind = str(self.Kind(self.kind).label)
        except ValueError:  # a kind outside the list shows as stored
            kind = str(self.kind)
        name = self.display_name
        if name.lower().startswith(kind.lower() + " "):
            return name  # "Waterschap Vallei en Veluwe", not "waterschap Waterschap ..."
        if get_language() == "en":
            return f"{name} ({kind})"
        return f"{kind} {name}"


class RegionContainment(models.Model):
    """`parent` contains `child` (or, with kind=overlaps, they overlap without containment)."""

    class Kind(models.TextChoices):
        CONTAINS = "contains", _("omvat")
        OVERLAPS = "overlaps", _("overlapt")

    parent = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="child_links")
    child = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="parent_links")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CONTAINS)
    verified = models.BooleanField(default=True)
    source = models.CharField(_("bron"), max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["parent", "child"], name="uniq_region_containment"),
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("child")), name="containment_not_self"
            ),
        ]
        verbose_name = _("gebiedsrelatie")
        verbose_name_plural = _("gebiedsrelaties")

    def __str__(self) -> str:
        return f"{self.parent} {self.get_kind_display()} {self.child}"


class Theme(models.Model):
    """A task (opgave) or transition; hierarchical."""

    slug = models.SlugField(unique=True, max_length=80)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    label_nl = models.CharField(_("naam (Nederlands)"), max_length=120)
    label_en = models.CharField(_("naam (Engels)"), max_length=120)
    description = models.TextField(_("omschrijving"), blank=True)
    description_en = models.TextField(_("omschrijving (Engels)"), blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "label_nl"]
        verbose_name = _("thema")
        verbose_name_plural = _("thema's")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.label_en if get_language() == "en" else self.label_nl

    @property
    def explanation(self) -> str:
        """What the theme covers, in the current language (Dutch when there is no English)."""
        return (self.description_en if get_language() == "en" else "") or self.description


class OwnedModel(TimeStampedModel):
    """Something people write: it has a visibility, an owning hub and an author."""

    visibility = models.CharField(
        _("zichtbaarheid"),
        max_length=10,
        choices=Visibility.choices,
        default=Visibility.PUBLIC,
        db_index=True,
    )
    owner_hub = models.ForeignKey(
        "atlas.Hub",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("beherende hub"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_synthetic = models.BooleanField(_("synthetische demodata"), default=False)

    class Meta:
        abstract = True


class Organisation(OwnedModel):
    class Kind(models.TextChoices):
        MUNICIPALITY = "municipality", _("gemeente")
        PROVINCE = "province", _("provincie")
        WATER_BOARD = "water_board", _("waterschap")
        MINISTRY = "ministry", _("ministerie")
        AGENCY = "agency", _("uitvoeringsorganisatie")
        RESEARCH_INSTITUTE = "research_institute", _("onderzoeksinstituut")
        UNIVERSITY = "university", _("universiteit")
        UAS = "uas", _("hogeschool")
        KNOWLEDGE_NETWORK = "knowledge_network", _("kennisnetwerk")
        COMPANY = "company", _("bedrijf")
        CIVIL_SOCIETY = "civil_society", _("maatschappelijke organisatie")
        RESIDENTS = "residents", _("bewonersinitiatief")

    slug = models.SlugField(unique=True, max_length=120)
    name = models.CharField(_("naam"), max_length=200)
    kind = models.CharField(_("soort"), max_length=30, choices=Kind.choices, db_index=True)
    description = models.TextField(_("omschrijving"), blank=True)
    website = models.URLField(_("website"), blank=True)
    regions = models.ManyToManyField(
        Region, blank=True, related_name="organisations", verbose_name=_("werkgebied")
    )
    themes = models.ManyToManyField(
        Theme, blank=True, related_name="organisations", verbose_name=_("thema's")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisatie")
        verbose_name_plural = _("organisaties")

    def __str__(self) -> str:
        return self.name


class Person(OwnedModel):
    """A knowledge holder. Each group of fields has its own visibility, chosen by the person."""

    class KnowledgeKind(models.TextChoices):
        PRACTICE = "practice", _("praktijkkennis")
        RESEARCH = "research", _("onderzoekskennis")
        POLICY = "policy", _("beleidskennis")

    # Field groups and the fields they govern; the person's consent decides each group's visibility.
    FIELD_GROUPS: dict[str, tuple[str, ...]] = {
        "contact": ("email", "phone"),
        "affiliation": ("role", "organisations"),
        "expertise": ("expertise", "themes", "knowledge_kinds"),
        "regions": ("regions",),
    }

    slug = models.SlugField(unique=True, max_length=120)
    name = models.CharField(_("naam"), max_length=200)
    role = models.CharField(_("functie"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("telefoon"), max_length=40, blank=True)
    expertise = models.TextField(_("expertise"), blank=True)
    knowledge_kinds: models.JSONField[list[str]] = models.JSONField(
        _("soorten kennis"), default=list, blank=True
    )
    organisations = models.ManyToManyField(
        Organisation, blank=True, related_name="people", verbose_name=_("organisaties")
    )
    themes = models.ManyToManyField(
        Theme, blank=True, related_name="people", verbose_name=_("expertisethema's")
    )
    regions = models.ManyToManyField(Region, blank=True, related_name="people", verbose_name=_("gebieden"))
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="person"
    )

    class ConsentBasis(models.TextChoices):
        SELF = "self", _("door de persoon zelf op de eigen pagina")
        FORM = "form", _("formulier")
        EMAIL = "email", _("e-mail")
        PAPER = "paper", _("op papier")
        VERBAL = "verbal", _("mondeling, vastgelegd door de kennishub")

    # Consent as data: when, how, recorded by whom, for which field groups. Without consent the
    # profile is private (owner, its author and administrators only) whatever visibility was asked
    # for; the asked-for visibility waits in `visibility_requested` until consent is recorded.
    consent_at = models.DateTimeField(_("toestemming gegeven op"), null=True, blank=True)
    consent_basis = models.CharField(
        _("toestemming gegeven via"), max_length=10, choices=ConsentBasis.choices, blank=True
    )
    consent_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("toestemming vastgelegd door"),
    )
    consent_groups: models.JSONField[list[str]] = models.JSONField(
        _("toestemming voor de onderdelen"), default=list, blank=True
    )
    visibility_requested = models.CharField(
        _("gevraagde zichtbaarheid"), max_length=10, choices=Visibility.choices, blank=True
    )
    contact_visibility = models.CharField(
        _("zichtbaarheid contactgegevens"),
        max_length=10,
        choices=Visibility.choices,
        default=Visibility.PRIVATE,
    )
    affiliation_visibility = models.CharField(
        _("zichtbaarheid functie en organisaties"),
        max_length=10,
        choices=Visibility.choices,
        default=Visibility.MEMBERS,
    )
    expertise_visibility = models.CharField(
        _("zichtbaarheid expertise"), max_length=10, choices=Visibility.choices, default=Visibility.MEMBERS
    )
    regions_visibility = models.CharField(
        _("zichtbaarheid gebieden"), max_length=10, choices=Visibility.choices, default=Visibility.MEMBERS
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("kennishouder")
        verbose_name_plural = _("kennishouders")
        indexes = [
            models.Index(fields=["visibility", "name"]),
            models.Index(fields=["expertise_visibility"]),
            models.Index(fields=["regions_visibility"]),
        ]

    def __str__(self) -> str:
        return self.name


class Hub(TimeStampedModel):
    """A regional knowledge hub; every hub is tailored to its region."""

    slug = models.SlugField(unique=True, max_length=120)
    name = models.CharField(_("naam"), max_length=200)
    introduction = models.TextField(_("introductie"), blank=True)
    website = models.URLField(_("website"), blank=True)
    regions = models.ManyToManyField(Region, related_name="hubs", verbose_name=_("gebieden"))
    themes = models.ManyToManyField(Theme, blank=True, related_name="hubs", verbose_name=_("thema's"))
    offers_brokering = models.BooleanField(_("kennis makelen en schakelen"), default=True)
    offers_area_learning = models.BooleanField(_("gebiedsleren faciliteren"), default=True)
    offers_strategy = models.BooleanField(_("strategische keuzes ondersteunen"), default=True)
    preferences: models.JSONField[dict[str, Any]] = models.JSONField(
        _("instellingen"), default=dict, blank=True
    )
    is_synthetic = models.BooleanField(_("synthetische demodata"), default=False)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="HubMembership", related_name="hubs", blank=True
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("kennishub")
        verbose_name_plural = _("kennishubs")

    def __str__(self) -> str:
        return self.name


class HubMembership(models.Model):
    class Role(models.TextChoices):
        COORDINATOR = "coordinator", _("coördinator (kennismakelaar)")
        MEMBER = "member", _("lid")

    hub = models.ForeignKey(Hub, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hub_memberships"
    )
    role = models.CharField(_("rol"), max_length=20, choices=Role.choices, default=Role.MEMBER)
    since = models.DateField(_("sinds"), auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["hub", "user"], name="uniq_hub_membership")]
        verbose_name = _("lidmaatschap kennishub")
        verbose_name_plural = _("lidmaatschappen kennishub")

    def __str__(self) -> str:
        return f"{self.user} — {self.hub} ({self.get_role_display()})"


class Network(OwnedModel):
    class Kind(models.TextChoices):
        KNOWLEDGE = "knowledge", _("kennisnetwerk")
        LEARNING = "learning", _("leernetwerk")
        PRACTICE = "practice", _("praktijkgemeenschap")

    slug = models.SlugField(unique=True, max_length=120)
    name = models.CharField(_("naam"), max_length=200)
    kind = models.CharField(
        _("soort"), max_length=20, choices=Kind.choices, default=Kind.KNOWLEDGE, db_index=True
    )
    scale = models.CharField(_("schaalniveau"), max_length=10, choices=Scale.choices, db_index=True)
    description = models.TextField(_("omschrijving"), blank=True)
    website = models.URLField(_("website"), blank=True)
    regions = models.ManyToManyField(Region, blank=True, related_name="networks", verbose_name=_("gebieden"))
    themes = models.ManyToManyField(Theme, blank=True, related_name="networks", verbose_name=_("thema's"))
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="subnetworks",
        verbose_name=_("onderdeel van"),
    )
    linked = models.ManyToManyField("self", blank=True, verbose_name=_("verbonden netwerken"))
    programmes = models.ManyToManyField(  # type: ignore[var-annotated]
        "Programme", blank=True, related_name="networks", verbose_name=_("nationale programma's")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("netwerk")
        verbose_name_plural = _("netwerken")

    def __str__(self) -> str:
        return self.name


class NetworkMember(models.Model):
    class Role(models.TextChoices):
        MEMBER = "member", _("lid")
        COORDINATOR = "coordinator", _("coördinator")
        PARTNER = "partner", _("partner")
        FUNDER = "funder", _("financier")

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="member_links")
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.CASCADE, related_name="network_links"
    )
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="network_links"
    )
    role = models.CharField(_("rol"), max_length=20, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(person__isnull=False, organisation__isnull=True)
                | models.Q(person__isnull=True, organisation__isnull=False),
                name="network_member_person_xor_org",
            )
        ]
        verbose_name = _("netwerklid")
        verbose_name_plural = _("netwerkleden")

    def __str__(self) -> str:
        return f"{self.person or self.organisation} in {self.network}"


class Programme(TimeStampedModel):
    class Status(models.TextChoices):
        PREPARATION = "preparation", _("in voorbereiding")
        ACTIVE = "active", _("lopend")
        REVISED = "revised", _("herzien")
        STOPPED = "stopped", _("gestopt")
        COMPLETED = "completed", _("afgerond")

    class Verification(models.TextChoices):
        VERIFIED = "verified", _("geverifieerd")
        PARTLY = "partly_verified", _("deels geverifieerd")
        UNVERIFIED = "unverified", _("niet geverifieerd")

    slug = models.SlugField(unique=True, max_length=120)
    abbr = models.CharField(_("afkorting"), max_length=30, blank=True)
    name = models.CharField(_("naam"), max_length=300)
    description = models.TextField(_("omschrijving"), blank=True)
    lead_ministry = models.CharField(_("eerstverantwoordelijk ministerie"), max_length=100, blank=True)
    partners = models.TextField(_("partners"), blank=True)
    start_year = models.PositiveSmallIntegerField(_("startjaar"), null=True, blank=True)
    start_note = models.CharField(_("start (toelichting)"), max_length=300, blank=True)
    horizon_year = models.PositiveSmallIntegerField(_("horizon"), null=True, blank=True)
    horizon_note = models.CharField(_("horizon (toelichting)"), max_length=300, blank=True)
    knowledge_programme = models.TextField(_("kennisprogramma"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    scale = models.CharField(_("schaalniveau"), max_length=10, choices=Scale.choices, default=Scale.NATIONAL)
    source_url = models.URLField(_("bron"), max_length=500, blank=True)
    verification = models.CharField(
        _("verificatie"), max_length=20, choices=Verification.choices, default=Verification.VERIFIED
    )
    verification_note = models.CharField(_("toelichting verificatie"), max_length=300, blank=True)
    regions = models.ManyToManyField(
        Region, blank=True, related_name="programmes", verbose_name=_("gebieden")
    )
    themes = models.ManyToManyField(Theme, blank=True, related_name="programmes", verbose_name=_("thema's"))

    class Meta:
        ordering = ["name"]
        verbose_name = _("nationaal programma")
        verbose_name_plural = _("nationale programma's")

    def __str__(self) -> str:
        return f"{self.name} ({self.abbr})" if self.abbr else self.name


class DatePrecision(models.TextChoices):
    DAY = "day", _("dag")
    MONTH = "month", _("maand")
    QUARTER = "quarter", _("kwartaal")
    YEAR = "year", _("jaar")


class ProgrammeStatusChange(models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="status_history")
    status = models.CharField(_("status"), max_length=20, choices=Programme.Status.choices)
    date = models.DateField(_("datum"))
    date_precision = models.CharField(max_length=10, choices=DatePrecision.choices, default=DatePrecision.DAY)
    note = models.CharField(_("toelichting"), max_length=500, blank=True)

    class Meta:
        ordering = ["date", "id"]
        verbose_name = _("statuswijziging")
        verbose_name_plural = _("statuswijzigingen")

    def __str__(self) -> str:
        return f"{self.programme}: {self.status} ({self.date})"


class Milestone(models.Model):
    class Kind(models.TextChoices):
        DEADLINE = "deadline", _("deadline")
        ADOPTION = "adoption", _("vaststelling")
        REVIEW = "review", _("evaluatie")
        REPORT = "report", _("rapportage")

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="milestones")
    date = models.DateField(_("datum"), db_index=True)
    date_precision = models.CharField(max_length=10, choices=DatePrecision.choices, default=DatePrecision.DAY)
    kind = models.CharField(_("soort"), max_length=20, choices=Kind.choices)
    label = models.CharField(_("omschrijving"), max_length=300)
    verified = models.BooleanField(_("geverifieerd"), default=True)

    class Meta:
        ordering = ["date", "id"]
        verbose_name = _("mijlpaal")
        verbose_name_plural = _("mijlpalen")

    def __str__(self) -> str:
        return f"{self.date} {self.label}"


class ProgrammeBudget(models.Model):
    """Money of a national programme, with its source: for the whole programme (no year), for one
    year, and for one region where that is public. Lines that are not public are shown to
    administrators only."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="budget_lines")
    year = models.PositiveSmallIntegerField(_("jaar"), null=True, blank=True)
    region = models.ForeignKey(
        Region,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="programme_budget_lines",
        verbose_name=_("gebied"),
    )
    amount_eur = models.DecimalField(_("bedrag (euro)"), max_digits=15, decimal_places=0)
    description = models.CharField(_("omschrijving"), max_length=300, blank=True)
    source = models.CharField(_("bron"), max_length=300)
    source_url = models.URLField(_("bron (webadres)"), max_length=500, blank=True)
    verified = models.BooleanField(_("geverifieerd"), default=False)
    public = models.BooleanField(_("openbaar"), default=True)

    class Meta:
        ordering = ["programme", "year", "region", "id"]
        verbose_name = _("budgetregel van een programma")
        verbose_name_plural = _("budget van programma's")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_eur__gte=0), name="programme_budget_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(year__isnull=True) | models.Q(year__gte=1900, year__lte=2200),
                name="programme_budget_year_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.programme_id} {self.year or ''} {self.amount_eur}"


class Relation(OwnedModel):
    """A typed, dated link between two Atlas entities, with its source."""

    class Kind(models.TextChoices):
        MEMBER_OF = "member_of", _("is lid van")
        WORKS_WITH = "works_with", _("werkt samen met")
        FUNDS = "funds", _("financiert")
        PART_OF = "part_of", _("is onderdeel van")
        KNOWLEDGE_PARTNER = "knowledge_partner", _("is kennispartner van")
        ADVISES = "advises", _("adviseert")
        COORDINATES = "coordinates", _("coördineert")

    class EntityType(models.TextChoices):
        REGION = "region", _("gebied")
        ORGANISATION = "organisation", _("organisatie")
        PERSON = "person", _("kennishouder")
        NETWORK = "network", _("netwerk")
        HUB = "hub", _("kennishub")
        PROGRAMME = "programme", _("nationaal programma")

    kind = models.CharField(_("soort"), max_length=30, choices=Kind.choices, db_index=True)
    source_type = models.CharField(max_length=20, choices=EntityType.choices)
    source_id = models.PositiveBigIntegerField()
    target_type = models.CharField(max_length=20, choices=EntityType.choices)
    target_id = models.PositiveBigIntegerField()
    valid_from = models.DateField(_("geldig vanaf"), null=True, blank=True)
    valid_until = models.DateField(_("geldig tot"), null=True, blank=True)
    source_note = models.CharField(_("bron"), max_length=300, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["source_type", "source_id"]),
            models.Index(fields=["target_type", "target_id"]),
            # Covers the graph's edge query (relations from a set of nodes, visible to the viewer)
            # so it is answered from the index alone.
            models.Index(
                fields=[
                    "source_type",
                    "source_id",
                    "target_type",
                    "target_id",
                    "kind",
                    "visibility",
                    "owner_hub",
                    "created_by",
                ],
                name="relation_edges_from_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "source_type", "source_id", "target_type", "target_id"], name="uniq_relation"
            )
        ]
        verbose_name = _("relatie")
        verbose_name_plural = _("relaties")

    def __str__(self) -> str:
        return f"{self.source_type}:{self.source_id} {self.kind} {self.target_type}:{self.target_id}"


class Invitation(models.Model):
    """An e-mailed invitation to take a role: the invitee sets their own password from the link.
    Only a hash of the secret in the link is kept; the link expires and works once."""

    class Role(models.TextChoices):
        HUB_MEMBER = "hub_member", _("lid van de kennishub")
        HUB_EXPERT = "hub_expert", _("expert (kennishouder) bij de kennishub")
        HUB_COORDINATOR = "hub_coordinator", _("coördinator van de kennishub")
        BODY_MEMBER = "body_member", _("lid van een orgaan")
        BODY_SECRETARY = "body_secretary", _("secretaris van een orgaan")

    email = models.EmailField(_("e-mailadres"))
    role = models.CharField(_("rol"), max_length=20, choices=Role.choices)
    hub = models.ForeignKey(
        Hub,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="invitations",
        verbose_name=_("kennishub"),
    )
    body = models.CharField(_("orgaan"), max_length=20, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("verloopt op"))
    accepted_at = models.DateTimeField(_("aangenomen op"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("uitnodiging")
        verbose_name_plural = _("uitnodigingen")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(role__in=["body_member", "body_secretary"], hub__isnull=True)
                    & ~models.Q(body="")
                )
                | (
                    ~models.Q(role__in=["body_member", "body_secretary"])
                    & models.Q(hub__isnull=False, body="")
                ),
                name="invitation_hub_or_body",
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} — {self.get_role_display()}"

    @property
    def target_label(self) -> str:
        """The hub's name or the body's name, as people read it."""
        if self.hub_id:
            return str(self.hub)
        from plek.accounts.models import BodyMembership

        return str(dict(BodyMembership.Body.choices).get(self.body, self.body))
