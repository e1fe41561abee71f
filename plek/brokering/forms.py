"""Validation of a knowledge question, shared by the intake page, the API and imports."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from plek.atlas.forms import CodeMultipleChoiceField
from plek.atlas.models import Hub, Organisation, Programme, Region, Theme
from plek.atlas.permissions import Viewer, visible_q
from plek.brokering import permissions
from plek.brokering.models import Question
from plek.brokering.routing import desk_for
from plek.core.models import Visibility

MAX_REGIONS = 25
MAX_THEMES = 10


class QuestionForm(forms.ModelForm):
    regions = CodeMultipleChoiceField(
        queryset=Region.objects.order_by("kind", "name"),
        to_field_name="code",
        label=_("Gebieden"),
        help_text=_("Over welk gebied gaat de vraag? Een of meer gebiedscodes (bijv. GM0363)."),
    )
    themes = CodeMultipleChoiceField(
        queryset=Theme.objects.all(), to_field_name="slug", required=False, label=_("Thema's")
    )
    asker_organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.all(),
        to_field_name="slug",
        required=False,
        label=_("Uw organisatie"),
    )
    owner_hub = forms.ModelChoiceField(
        queryset=Hub.objects.filter(offers_brokering=True),
        to_field_name="slug",
        required=False,
        label=_("Kennishub"),
        help_text=_("Leeg laten: de kennishub van het gebied neemt de vraag in behandeling."),
    )
    programme = forms.ModelChoiceField(
        queryset=Programme.objects.all(),
        to_field_name="slug",
        required=False,
        label=_("Namens nationaal programma"),
        help_text=_("Alleen voor coördinatoren: registreer een kennisvraag van een nationaal programma."),
    )
    wanted_by = forms.DateField(
        required=False, label=_("Antwoord gewenst vóór"), widget=forms.DateInput(attrs={"type": "date"})
    )

    class Meta:
        model = Question
        fields = [
            "title",
            "text",
            "context",
            "regions",
            "themes",
            "answer_kind",
            "wanted_by",
            "asker_role",
            "asker_organisation",
            "visibility",
            "owner_hub",
            "programme",
            "share_contact",
        ]
        help_texts = {
            "text": _("Wat wilt u weten? Hoogstens 10.000 tekens."),
            "context": _("Waarom vraagt u dit, wat weet u al, wat hebt u geprobeerd?"),
            "visibility": _("Privé: alleen u en wie uw vraag behandelt."),
            "share_contact": _(
                "Als de kennishub u voorstelt aan een deskundige, mag die na het accepteren uw e-mailadres zien."
            ),
        }

    def __init__(self, *args: Any, viewer: Viewer | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.viewer = viewer
        if viewer is not None:
            # Only organisations the asker may see can be chosen (or probed for).
            self.fields["asker_organisation"].queryset = Organisation.objects.filter(  # type: ignore[attr-defined]
                visible_q(viewer)
            )

    def clean_programme(self) -> Any:
        programme = self.cleaned_data.get("programme")
        viewer = self.viewer
        if programme is not None and not (viewer is not None and permissions.may_ask_for_programme(viewer)):
            raise forms.ValidationError(
                _("Alleen coördinatoren van een kennishub registreren vragen van een nationaal programma.")
            )
        return programme

    def clean_wanted_by(self) -> Any:
        value = self.cleaned_data.get("wanted_by")
        if value is not None and value < timezone.localdate():
            raise forms.ValidationError(_("Deze datum ligt in het verleden; kies een datum vanaf vandaag."))
        return value

    def clean_regions(self) -> Any:
        regions = self.cleaned_data.get("regions")
        if regions is not None and len(regions) > MAX_REGIONS:
            raise forms.ValidationError(_("Kies hoogstens %(n)d gebieden.") % {"n": MAX_REGIONS})
        return regions

    def clean_themes(self) -> Any:
        themes = self.cleaned_data.get("themes")
        if themes is not None and len(themes) > MAX_THEMES:
            raise forms.ValidationError(_("Kies hoogstens %(n)d thema's.") % {"n": MAX_THEMES})
        return themes

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        regions = data.get("regions")
        if regions is not None and "regions" not in self.errors:
            # Every question has a responsible desk (routing.py): the chosen hub when it is staffed,
            # else the hub of the area with an active coordinator, else the national desk.
            data["owner_hub"] = desk_for(
                region_ids=[r.pk for r in regions],
                chosen=data.get("owner_hub"),
                national=data.get("programme") is not None and data.get("owner_hub") is None,
            )
        if data.get("visibility") == Visibility.HUB and data.get("owner_hub") is None:
            self.add_error(
                "visibility",
                _("Geen kennishub gevonden voor dit gebied; kies een kennishub of een andere zichtbaarheid."),
            )
        return data
