"""Validation of Atlas input, shared by pages and the API (one code path for the rules)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from plek.atlas.models import Hub, Network, Organisation, Person, Programme, Region, Relation, Theme
from plek.atlas.permissions import Viewer
from plek.atlas.widgets import AreaPicker


class CodeMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Chooses by public identifier (region code, theme slug) so the API can send those."""

    default_error_messages = {
        **forms.ModelMultipleChoiceField.default_error_messages,
        "invalid_choice": _("Onbekende waarde: %(value)s."),
        "invalid_pk_value": _("Onbekende waarde: %(pk)s."),
    }


AREA_HELP = _(
    "Typ een naam of code (gemeente, provincie, RES-regio, waterschap, NOVEX-gebied, COROP-regio, "
    "veiligheidsregio of eigen gebied) en kies uit de lijst. Meer gebieden: scheid ze met een puntkomma."
)


def _regions_field(label: Any, required: bool = False) -> CodeMultipleChoiceField:
    return CodeMultipleChoiceField(
        queryset=Region.objects.order_by("kind", "name"),
        to_field_name="code",
        required=required,
        label=label,
        widget=AreaPicker(),
        help_text=AREA_HELP,
    )


class CustomAreaForm(forms.Form):
    name = forms.CharField(label=_("Naam"), max_length=200)
    name_en = forms.CharField(label=_("Naam (Engels)"), max_length=200, required=False)
    description = forms.CharField(
        label=_("Omschrijving"), required=False, max_length=5000, widget=forms.Textarea
    )
    municipalities = CodeMultipleChoiceField(
        queryset=Region.objects.filter(kind=Region.Kind.MUNICIPALITY),
        to_field_name="code",
        label=_("Gemeenten"),
        help_text=_("Typ de naam of code van een gemeente en kies uit de lijst; voeg zo alle gemeenten toe."),
        widget=AreaPicker(kinds=[Region.Kind.MUNICIPALITY]),
    )


def _themes_field() -> CodeMultipleChoiceField:
    return CodeMultipleChoiceField(
        queryset=Theme.objects.all(), to_field_name="slug", required=False, label=_("Thema's")
    )


def slug_initials(form: forms.ModelForm) -> None:
    """Fields that choose a single related object by slug start from that object's slug."""
    for name, field in form.fields.items():
        to_field = getattr(field, "to_field_name", None)
        if (
            isinstance(field, forms.ModelChoiceField)
            and not isinstance(field, forms.ModelMultipleChoiceField)
            and to_field
        ):
            related = getattr(form.instance, name, None) if form.instance.pk else None
            if related is not None:
                form.initial[name] = getattr(related, to_field)


class OwnedForm(forms.ModelForm):
    owner_hub = forms.ModelChoiceField(
        queryset=Hub.objects.all(), to_field_name="slug", required=False, label=_("Beherende kennishub")
    )

    def __init__(self, *args: Any, viewer: Viewer | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.viewer = viewer
        if viewer is not None and not viewer.is_admin:
            # One's own hubs, plus the hub that already owns the record (an author or the person
            # themself may edit it without being a member of that hub).
            self.fields["owner_hub"].queryset = Hub.objects.filter(  # type: ignore[attr-defined]
                Q(pk__in=sorted(viewer.hub_ids)) | Q(pk=self.instance.owner_hub_id)
            )
        slug_initials(self)

    def clean_owner_hub(self) -> Hub | None:
        hub: Hub | None = self.cleaned_data.get("owner_hub")
        if "owner_hub" not in self.data and self.instance.pk:
            return self.instance.owner_hub  # not sent: keep the owning hub
        if self.cleaned_data.get("visibility") == "hub" and hub is None and "owner_hub" in self.data:
            raise forms.ValidationError(_("Kies de kennishub voor zichtbaarheid 'leden van de kennishub'."))
        return hub


class OrganisationForm(OwnedForm):
    regions = _regions_field(_("Werkgebied"))
    themes = _themes_field()

    class Meta:
        model = Organisation
        fields = ["name", "kind", "description", "website", "regions", "themes", "visibility", "owner_hub"]


class PersonForm(OwnedForm):
    regions = _regions_field(_("Gebieden"))
    themes = _themes_field()
    organisations = forms.ModelMultipleChoiceField(
        queryset=Organisation.objects.all(), to_field_name="slug", required=False, label=_("Organisaties")
    )
    knowledge_kinds = forms.MultipleChoiceField(
        choices=Person.KnowledgeKind.choices,
        required=False,
        label=_("Soorten kennis"),
        widget=forms.CheckboxSelectMultiple,
    )

    consent_groups = forms.MultipleChoiceField(
        choices=[(g, g) for g in Person.FIELD_GROUPS],
        required=False,
        label=_("Toestemming voor de onderdelen"),
        help_text=_("Leeg: alle onderdelen (contact, affiliation, expertise, regions)."),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_to_visible(self, "organisations")
        labels = {
            "contact": _("contactgegevens"),
            "affiliation": _("functie en organisaties"),
            "expertise": _("expertise"),
            "regions": _("gebieden"),
        }
        self.fields["consent_groups"].choices = [(g, labels[g]) for g in Person.FIELD_GROUPS]  # type: ignore[attr-defined]
        self.fields["consent_basis"].help_text = _(
            "Hoe de persoon toestemming gaf om dit profiel te tonen. Zonder toestemming blijft het"
            " profiel privé: alleen de persoon zelf, wie het aanmaakte en beheerders zien het."
        )
        if self.instance.pk and self.instance.visibility_requested and not self.is_bound:
            self.initial["visibility"] = self.instance.visibility_requested

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("consent_at") and not cleaned.get("consent_basis"):
            self.add_error("consent_basis", _("Geef aan hoe de toestemming is gegeven."))
        return cleaned

    class Meta:
        model = Person
        fields = [
            "name",
            "role",
            "email",
            "phone",
            "expertise",
            "knowledge_kinds",
            "organisations",
            "themes",
            "regions",
            "visibility",
            "contact_visibility",
            "affiliation_visibility",
            "expertise_visibility",
            "regions_visibility",
            "owner_hub",
            "consent_at",
            "consent_basis",
            "consent_groups",
        ]


def limit_to_visible(form: OwnedForm, *names: str) -> None:
    """Related choices a writer may not see cannot be chosen (nor probed for by trying)."""
    if form.viewer is None:
        return
    from plek.atlas.permissions import visible_q

    for name in names:
        field = form.fields[name]
        field.queryset = field.queryset.filter(visible_q(form.viewer))  # type: ignore[attr-defined]


class NetworkForm(OwnedForm):
    regions = _regions_field(_("Gebieden"))
    themes = _themes_field()
    parent = forms.ModelChoiceField(
        queryset=Network.objects.all(), to_field_name="slug", required=False, label=_("Onderdeel van")
    )
    programmes = forms.ModelMultipleChoiceField(
        queryset=Programme.objects.all(),
        to_field_name="slug",
        required=False,
        label=_("Nationale programma's"),
    )

    class Meta:
        model = Network
        fields = [
            "name",
            "kind",
            "scale",
            "description",
            "website",
            "regions",
            "themes",
            "parent",
            "programmes",
            "visibility",
            "owner_hub",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_to_visible(self, "parent")

    def clean_parent(self) -> Network | None:
        parent: Network | None = self.cleaned_data.get("parent")
        if parent is not None and self.instance.pk and parent.pk == self.instance.pk:
            raise forms.ValidationError(_("Een netwerk kan geen onderdeel van zichzelf zijn."))
        return parent


class HubForm(forms.ModelForm):
    regions = _regions_field(_("Gebieden"), required=True)
    themes = _themes_field()

    def __init__(self, *args: Any, viewer: Viewer | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.viewer = viewer

    class Meta:
        model = Hub
        fields = [
            "name",
            "introduction",
            "website",
            "regions",
            "themes",
            "offers_brokering",
            "offers_area_learning",
            "offers_strategy",
        ]


class ProgrammeForm(forms.ModelForm):
    regions = _regions_field(_("Gebieden"))
    themes = _themes_field()

    def __init__(self, *args: Any, viewer: Viewer | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.viewer = viewer

    class Meta:
        model = Programme
        fields = [
            "name",
            "abbr",
            "description",
            "lead_ministry",
            "partners",
            "start_year",
            "horizon_year",
            "knowledge_programme",
            "status",
            "scale",
            "source_url",
            "regions",
            "themes",
        ]


class RegionForm(forms.ModelForm):
    parents = _regions_field(_("Ligt in"))

    def __init__(self, *args: Any, viewer: Viewer | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.viewer = viewer
        self.fields["code_system"].required = False

    class Meta:
        model = Region
        fields = [
            "code",
            "code_system",
            "name",
            "name_en",
            "kind",
            "scale",
            "valid_from",
            "valid_until",
            "description",
        ]

    def clean_code_system(self) -> str:
        # Custom areas have no official code system; PLeK's own is the default.
        return self.cleaned_data.get("code_system") or Region.CodeSystem.PLEK

    def clean_code(self) -> str:
        code: str = self.cleaned_data["code"].strip()
        if not code.replace("-", "").replace("_", "").isalnum():
            raise forms.ValidationError(_("Een code bestaat uit letters, cijfers en streepjes."))
        return code

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end and end < start:
            self.add_error("valid_until", _("De einddatum ligt voor de begindatum."))
        return data


class ThemeForm(forms.ModelForm):
    parent = forms.ModelChoiceField(queryset=Theme.objects.all(), to_field_name="slug", required=False)

    def __init__(self, *args: Any, viewer: Viewer | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.viewer = viewer
        slug_initials(self)

    class Meta:
        model = Theme
        fields = ["slug", "label_nl", "label_en", "description", "parent", "position"]


ENTITY_CHOICES = Relation.EntityType.choices


class RelationForm(OwnedForm):
    source = forms.CharField(label=_("Van (identificatie)"), max_length=120)
    target = forms.CharField(label=_("Naar (identificatie)"), max_length=120)

    class Meta:
        model = Relation
        fields = [
            "kind",
            "source_type",
            "target_type",
            "valid_from",
            "valid_until",
            "source_note",
            "visibility",
            "owner_hub",
        ]

    def clean(self) -> dict[str, Any]:
        from plek.atlas.selectors import entity_by_identifier

        data = super().clean() or {}
        for end in ("source", "target"):
            kind, ident = data.get(f"{end}_type"), data.get(end)
            if kind and ident:
                obj = entity_by_identifier(kind, ident)
                if obj is None:
                    self.add_error(end, _("Onbekend: %(id)s.") % {"id": ident})
                else:
                    data[f"{end}_obj"] = obj
        if data.get("valid_from") and data.get("valid_until") and data["valid_until"] < data["valid_from"]:
            self.add_error("valid_until", _("De einddatum ligt voor de begindatum."))
        return data

    def save(self, commit: bool = True) -> Relation:
        relation: Relation = super().save(commit=False)
        relation.source_id = self.cleaned_data["source_obj"].pk
        relation.target_id = self.cleaned_data["target_obj"].pk
        if commit:
            relation.save()
        return relation


FORMS: dict[str, Any] = {
    "region": RegionForm,
    "theme": ThemeForm,
    "organisation": OrganisationForm,
    "person": PersonForm,
    "network": NetworkForm,
    "hub": HubForm,
    "programme": ProgrammeForm,
    "relation": RelationForm,
}


# ---- a knowledge holder's consent, recorded by a coordinator (page and API) --------------------------


def _consent_bases() -> list[tuple[str, str]]:
    from plek.atlas.services import CONSENT_BY_OTHERS

    return [(b.value, str(b.label)) for b in CONSENT_BY_OTHERS]


GROUP_LABELS = {
    "contact": _("contactgegevens (e-mail, telefoon)"),
    "affiliation": _("functie en organisaties"),
    "expertise": _("expertise, thema's en soorten kennis"),
    "regions": _("gebieden"),
}


class ConsentRecordForm(forms.Form):
    given_on = forms.DateField(
        label=_("Datum van de toestemming"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("De dag waarop de persoon toestemming gaf."),
    )
    basis = forms.ChoiceField(
        label=_("Hoe gaf de persoon toestemming?"),
        choices=_consent_bases,
        widget=forms.RadioSelect,
    )
    groups = forms.MultipleChoiceField(
        label=_("Voor welke onderdelen?"),
        choices=list(GROUP_LABELS.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Niets aangevinkt: alle onderdelen. Onderdelen zonder toestemming blijven privé."),
    )

    def clean_given_on(self) -> dt.date:
        value: dt.date = self.cleaned_data["given_on"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("De datum ligt in de toekomst."))
        if value.year < 2000:
            raise forms.ValidationError(_("Geef een datum na 2000."))
        return value
