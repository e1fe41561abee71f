"""Validation of governance input, shared by the pages and the API."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from plek.atlas.forms import AREA_HELP, CodeMultipleChoiceField
from plek.atlas.models import Region, Theme
from plek.atlas.widgets import AreaPicker
from plek.governance.models import (
    ConsultationComment,
    FollowUpAction,
    Meeting,
    Proposal,
    Signal,
    Standard,
    StandardVersion,
)

MAX_REGIONS = 25
MAX_THEMES = 10


class SignalForm(forms.ModelForm):
    regions = CodeMultipleChoiceField(
        queryset=Region.objects.order_by("kind", "name"),
        to_field_name="code",
        required=False,
        label=_("Gebieden"),
        help_text=format_lazy("{} {}", _("Waar speelt het? Kies een of meer gebieden."), AREA_HELP),
        widget=AreaPicker(),
    )
    themes = CodeMultipleChoiceField(
        queryset=Theme.objects.all(), to_field_name="slug", required=False, label=_("Thema's")
    )

    class Meta:
        model = Signal
        fields = ["kind", "title", "description", "scale", "regions", "themes"]
        help_texts = {"description": _("Wat loopt vast, of wat werkt? Hoogstens 10.000 tekens.")}

    def clean_regions(self) -> Any:
        regions = self.cleaned_data.get("regions") or []
        if len(regions) > MAX_REGIONS:
            raise forms.ValidationError(_("Hoogstens %(n)d gebieden.") % {"n": MAX_REGIONS})
        return regions

    def clean_themes(self) -> Any:
        themes = self.cleaned_data.get("themes") or []
        if len(themes) > MAX_THEMES:
            raise forms.ValidationError(_("Hoogstens %(n)d thema's.") % {"n": MAX_THEMES})
        return themes


class SupportForm(forms.Form):
    comment = forms.CharField(
        label=_("Toelichting (optioneel)"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ProposalForm(forms.ModelForm):
    signals = forms.ModelMultipleChoiceField(
        queryset=Signal.objects.filter(state__in=[Signal.State.NEW, Signal.State.REVIEW]),
        required=False,
        label=_("Signalen"),
        help_text=_("De signalen die dit voorstel bundelt."),
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Proposal
        fields = [
            "title",
            "rationale",
            "expected_effect",
            "decision_requested",
            "signals",
            "confidential",
            "confidential_reason",
        ]
        help_texts = {
            "confidential_reason": _(
                "Verplicht bij een vertrouwelijk voorstel; anderen zien alleen dat er een besluit is genomen."
            )
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("confidential") and not (data.get("confidential_reason") or "").strip():
            self.add_error("confidential_reason", _("Geef de reden van vertrouwelijkheid."))
        return data


class ProposalEditForm(ProposalForm):
    """Editing a draft: the texts and confidentiality (signals are bundled on their own pages)."""

    class Meta(ProposalForm.Meta):
        fields = [
            "title",
            "rationale",
            "expected_effect",
            "decision_requested",
            "confidential",
            "confidential_reason",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.pop("signals", None)


class EvidenceForm(forms.Form):
    kind = forms.ChoiceField(label=_("Soort"), choices=[])
    knowledge_item = forms.CharField(
        label=_("Kennisitem (slug)"),
        required=False,
        max_length=140,
        help_text=_("Bij een kennisitem: de slug uit het adres van het item."),
    )
    url = forms.URLField(label=_("Link"), required=False, max_length=500)
    title = forms.CharField(label=_("Titel"), required=False, max_length=300)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from plek.governance.models import Evidence

        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = Evidence.Kind.choices  # type: ignore[attr-defined]


class MeetingForm(forms.ModelForm):
    starts_at = forms.DateTimeField(
        label=_("Begint om"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    ends_at = forms.DateTimeField(
        label=_("Eindigt om"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    class Meta:
        model = Meeting
        fields = ["body", "title", "starts_at", "ends_at", "location"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends < starts:
            self.add_error("ends_at", _("Het einde ligt vóór het begin."))
        return data


class MinutesForm(forms.ModelForm):
    class Meta:
        model = Meeting
        fields = ["minutes"]
        help_texts = {"minutes": _("Markdown.")}


class ActionForm(forms.ModelForm):
    due_date = forms.DateField(label=_("Uiterlijk"), widget=forms.DateInput(attrs={"type": "date"}))

    class Meta:
        model = FollowUpAction
        fields = ["description", "owner_name", "due_date"]


class ActionProgressForm(forms.ModelForm):
    progress = forms.IntegerField(label=_("Voortgang (%)"), min_value=0, max_value=100)

    class Meta:
        model = FollowUpAction
        fields = ["progress", "status"]


class StandardForm(forms.ModelForm):
    class Meta:
        model = Standard
        fields = ["title", "summary"]


class VersionForm(forms.ModelForm):
    class Meta:
        model = StandardVersion
        fields = ["body", "checklist", "change_summary"]

    def clean_checklist(self) -> str:
        text = self.cleaned_data.get("checklist") or ""
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if not lines:
            raise forms.ValidationError(_("Geef ten minste één criterium, één per regel."))
        if len(lines) > 50:
            raise forms.ValidationError(_("Hoogstens 50 criteria."))
        return "\n".join(lines)


class CommentForm(forms.ModelForm):
    class Meta:
        model = ConsultationComment
        fields = ["section", "text"]
