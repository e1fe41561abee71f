"""Forms for authoring scenario studies in pages: the study, its claims, combined uses and variants."""

from __future__ import annotations

import math
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from plek.atlas.forms import OwnedForm
from plek.atlas.models import Region
from plek.atlas.widgets import AreaPickerOne
from plek.strategy.models import Compatibility, Indicator, LandClaim, LandUse, Study, Target, Variant

MAX_CLAIM_ROWS = len(LandUse.choices)


def area_field() -> forms.ModelChoiceField:
    """One area, typed or picked from the suggestions (by name or code)."""
    return forms.ModelChoiceField(
        queryset=Region.objects.all(),
        to_field_name="code",
        label=_("Gebied"),
        help_text=_("Typ de naam of code van het gebied en kies uit de lijst."),
        widget=AreaPickerOne(),
        error_messages={"invalid_choice": _("Onbekend gebied.")},
    )


class StudyForm(OwnedForm):
    region = area_field()

    class Meta:
        model = Study
        fields = ["name", "region", "description", "penalty", "visibility", "owner_hub"]
        help_texts = {
            "penalty": _("Leeg laten: de berekening kiest zelf een boete voor een tekort aan hectares."),
        }

    def clean_penalty(self) -> float | None:
        value: float | None = self.cleaned_data.get("penalty")
        if value is not None and value <= 0:
            raise forms.ValidationError(_("De boete moet groter dan nul zijn."))
        return value


class ClaimForm(forms.ModelForm):
    class Meta:
        model = LandClaim
        fields = ["land_use", "wanted_ha", "minimum_ha", "priority"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        wanted, minimum, priority = data.get("wanted_ha"), data.get("minimum_ha"), data.get("priority")
        if wanted is not None and wanted <= 0:
            self.add_error("wanted_ha", _("Gevraagd moet groter dan nul zijn."))
        if minimum is not None and minimum < 0:
            self.add_error("minimum_ha", _("Het minimum kan niet negatief zijn."))
        if wanted is not None and minimum is not None and minimum > wanted:
            self.add_error("minimum_ha", _("Het minimum is groter dan wat gevraagd wordt."))
        if priority is not None and priority <= 0:
            self.add_error("priority", _("De prioriteit moet groter dan nul zijn."))
        return data


class CompatibilityForm(forms.ModelForm):
    class Meta:
        model = Compatibility
        fields = ["use_a", "use_b", "fraction"]
        labels = {"use_a": _("Gebruik"), "use_b": _("ook goed voor"), "fraction": _("Fractie")}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("use_a") and data.get("use_a") == data.get("use_b"):
            self.add_error("use_b", _("Kies twee verschillende soorten gebruik."))
        fraction = data.get("fraction")
        if fraction is not None and not 0 < fraction <= 1:
            self.add_error("fraction", _("De fractie ligt tussen 0 en 1."))
        return data


ClaimFormSet = forms.inlineformset_factory(
    Study, LandClaim, form=ClaimForm, extra=2, can_delete=True, max_num=MAX_CLAIM_ROWS, validate_max=True
)
CompatibilityFormSet = forms.inlineformset_factory(
    Study, Compatibility, form=CompatibilityForm, extra=2, can_delete=True, max_num=50, validate_max=True
)


class VariantForm(forms.ModelForm):
    """A variant's name and its changes: per claim a new wanted, minimum or priority, and per land use
    the current uses on which it may not come (e.g. no housing on current water land)."""

    class Meta:
        model = Variant
        fields = ["name", "description"]

    def __init__(self, *args: Any, study: Study, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.study = study
        changes = (self.instance.changes or {}) if self.instance.pk else {}
        claim_changes = changes.get("claims", {}) or {}
        exclude = changes.get("exclude", {}) or {}
        self.claims = list(study.claims.all())
        for c in self.claims:
            label = c.get_land_use_display()
            current = claim_changes.get(c.land_use, {})
            for key, text in (
                ("wanted_ha", _("gevraagd (ha)")),
                ("minimum_ha", _("minimum (ha)")),
                ("priority", _("prioriteit")),
            ):
                self.fields[f"{key}__{c.land_use}"] = forms.FloatField(
                    required=False,
                    min_value=0,
                    label=f"{label}: {text}",
                    initial=current.get(key),
                    help_text=_("Leeg: zoals in de studie (%(v)s).") % {"v": f"{getattr(c, key):g}"},
                )
            self.fields[f"exclude__{c.land_use}"] = forms.MultipleChoiceField(
                required=False,
                choices=LandUse.choices,
                widget=forms.CheckboxSelectMultiple,
                label=_("%(use)s niet op huidig gebruik") % {"use": label},
                initial=exclude.get(c.land_use, []),
            )

    def claim_fields(self) -> list[tuple[Any, list[Any]]]:
        """(claim, its bound fields) for the template."""
        return [
            (
                c,
                [
                    self[f"wanted_ha__{c.land_use}"],
                    self[f"minimum_ha__{c.land_use}"],
                    self[f"priority__{c.land_use}"],
                    self[f"exclude__{c.land_use}"],
                ],
            )
            for c in self.claims
        ]

    def changes(self) -> dict[str, Any]:
        claims: dict[str, dict[str, float]] = {}
        exclude: dict[str, list[str]] = {}
        for c in self.claims:
            for key in ("wanted_ha", "minimum_ha", "priority"):
                value = self.cleaned_data.get(f"{key}__{c.land_use}")
                if value is not None:
                    claims.setdefault(c.land_use, {})[key] = value
            chosen = self.cleaned_data.get(f"exclude__{c.land_use}") or []
            if chosen:
                exclude[c.land_use] = sorted(chosen)
        out: dict[str, Any] = {}
        if claims:
            out["claims"] = claims
        if exclude:
            out["exclude"] = exclude
        return out

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for c in self.claims:
            wanted = data.get(f"wanted_ha__{c.land_use}")
            minimum = data.get(f"minimum_ha__{c.land_use}")
            w = wanted if wanted is not None else c.wanted_ha
            m = minimum if minimum is not None else c.minimum_ha
            if m > w:
                self.add_error(
                    f"minimum_ha__{c.land_use}", _("Het minimum is groter dan wat gevraagd wordt.")
                )
            priority = data.get(f"priority__{c.land_use}")
            if priority is not None and priority <= 0:
                self.add_error(f"priority__{c.land_use}", _("De prioriteit moet groter dan nul zijn."))
        return data


class IndicatorForm(OwnedForm):
    class Meta:
        model = Indicator
        fields = ["name", "unit", "direction", "source", "description", "visibility", "owner_hub"]
        help_texts = {"unit": _("In woorden, bijvoorbeeld 'kiloton per jaar' of 'woningen'.")}


class TargetForm(forms.ModelForm):
    """One target of an indicator: a value to reach in an area by a year. Saving a target for an area
    and year that already has one replaces it (the page says so)."""

    region = area_field()

    class Meta:
        model = Target
        fields = ["region", "year", "value", "note"]
        help_texts = {
            "year": _("Het jaar waarin het doel gehaald moet zijn, bijvoorbeeld 2030."),
            "note": _("Bijvoorbeeld het besluit of programma waar het doel uit komt."),
        }

    def clean_year(self) -> int | None:
        year: int | None = self.cleaned_data.get("year")
        if year is not None and not 1900 <= year <= 2100:
            raise forms.ValidationError(_("Kies een jaar tussen 1900 en 2100."))
        return year

    def clean_value(self) -> float | None:
        value: float | None = self.cleaned_data.get("value")
        if value is not None and not math.isfinite(value):
            raise forms.ValidationError(_("Vul een getal in."))
        return value

    def validate_unique(self) -> None:
        """An existing target for the same area and year is replaced, not refused."""
