from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from plek.atlas.forms import CodeMultipleChoiceField
from plek.atlas.models import Hub, Region, Theme
from plek.atlas.permissions import Viewer
from plek.federation.models import HarvestSource


class HarvestSourceForm(forms.ModelForm):
    owner_hub = forms.ModelChoiceField(queryset=Hub.objects.all(), to_field_name="slug", label=_("Kennishub"))
    default_themes = CodeMultipleChoiceField(
        queryset=Theme.objects.all(), to_field_name="slug", required=False, label=_("Standaardthema's")
    )
    default_regions = CodeMultipleChoiceField(
        queryset=Region.objects.order_by("kind", "name"),
        to_field_name="code",
        required=False,
        label=_("Standaardgebieden"),
    )

    class Meta:
        model = HarvestSource
        fields = [
            "name",
            "kind",
            "base_url",
            "set_spec",
            "schedule",
            "owner_hub",
            "default_visibility",
            "default_themes",
            "default_regions",
            "mapping_rules",
            "page_cap",
        ]

    def __init__(self, *args: Any, viewer: Viewer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not viewer.is_admin:
            self.fields["owner_hub"].queryset = Hub.objects.filter(pk__in=sorted(viewer.coordinator_hub_ids))  # type: ignore[attr-defined]
        self.fields["default_regions"].widget = forms.SelectMultiple(attrs={"size": 6})

    def clean_mapping_rules(self) -> dict[str, str]:
        rules = self.cleaned_data.get("mapping_rules") or {}
        if not isinstance(rules, dict) or not all(isinstance(v, str) for v in rules.values()):
            raise forms.ValidationError(_('Geef koppelregels als {"trefwoord": "themaslug"}.'))
        unknown = sorted(set(rules.values()) - set(Theme.objects.values_list("slug", flat=True)))
        if unknown:
            raise forms.ValidationError(_("Onbekende thema's: %(t)s.") % {"t": ", ".join(unknown)})
        return rules


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Bestand (CSV of JSON)"), help_text=_("Maximaal 20 MB, UTF-8."))
