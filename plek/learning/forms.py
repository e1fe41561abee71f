"""Validation of area-learning input, shared by pages, API and the demo (one code path for the rules)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from plek.atlas.forms import AREA_HELP, CodeMultipleChoiceField, OwnedForm
from plek.atlas.models import Programme, Region, Theme
from plek.atlas.widgets import AreaPicker
from plek.learning.models import (
    AgendaItem,
    AgendaStatus,
    Lesson,
    Participant,
    Quote,
    Session,
    TimelineEvent,
    Trajectory,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _regions(required: bool = True) -> CodeMultipleChoiceField:
    return CodeMultipleChoiceField(
        queryset=Region.objects.order_by("kind", "name"),
        to_field_name="code",
        required=required,
        label=_("Gebieden"),
        help_text=AREA_HELP,
        widget=AreaPicker(),
    )


def _themes() -> CodeMultipleChoiceField:
    return CodeMultipleChoiceField(
        queryset=Theme.objects.all(), to_field_name="slug", required=False, label=_("Thema's")
    )


class UsernameField(forms.ModelChoiceField):
    default_error_messages = {"invalid_choice": _("Onbekende gebruiker.")}


class TrajectoryForm(OwnedForm):
    regions = _regions()
    themes = _themes()
    programmes = CodeMultipleChoiceField(
        queryset=Programme.objects.all(),
        to_field_name="slug",
        required=False,
        label=_("Nationale programma's"),
    )
    facilitator = UsernameField(
        queryset=get_user_model().objects.filter(is_active=True),
        to_field_name="username",
        required=False,
        label=_("Reflexief monitor (gebruikersnaam)"),
        widget=forms.TextInput(),
    )
    started_on = forms.DateField(label=_("Gestart op"), widget=DATE)
    ended_on = forms.DateField(label=_("Afgerond op"), required=False, widget=DATE)

    class Meta:
        model = Trajectory
        fields = [
            "title",
            "area_process",
            "goal",
            "phase",
            "started_on",
            "ended_on",
            "regions",
            "themes",
            "programmes",
            "facilitator",
            "visibility",
            "owner_hub",
        ]
        help_texts = {
            "area_process": _("Het gebiedsproces waar dit leertraject bij hoort."),
            "visibility": _("Privé: alleen de deelnemers, de monitor en de coördinatoren van de hub."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["programmes"].widget = forms.SelectMultiple(attrs={"size": 6})
        if self.instance.pk and self.instance.facilitator_id and not self.is_bound:
            self.initial["facilitator"] = self.instance.facilitator.get_username()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("started_on"), data.get("ended_on")
        if start and end and end < start:
            self.add_error("ended_on", _("De einddatum ligt vóór de startdatum."))
        return data


class ParticipantForm(forms.ModelForm):
    user = UsernameField(
        queryset=get_user_model().objects.filter(is_active=True),
        to_field_name="username",
        required=False,
        label=_("Account (gebruikersnaam, optioneel)"),
        help_text=_("Met een account is de deelnemer lid van het leertraject."),
        widget=forms.TextInput(),
    )

    class Meta:
        model = Participant
        fields = ["name", "organisation", "background", "scale", "user"]

    def __init__(self, *args: Any, trajectory: Trajectory, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.trajectory = trajectory

    def clean_user(self) -> Any:
        user = self.cleaned_data.get("user")
        if user is not None:
            taken = Participant.objects.filter(trajectory=self.trajectory, user=user)
            if self.instance.pk:
                taken = taken.exclude(pk=self.instance.pk)
            if taken.exists():
                raise forms.ValidationError(_("Deze gebruiker neemt al deel."))
        return user


class ActionsField(forms.Field):
    """Actions (what / who / by when): one per line as `wat | wie | JJJJ-MM-DD` on the page, or a
    list of objects `{"what", "who", "due"}` from the API."""

    widget = forms.Textarea(attrs={"rows": 3})

    def to_python(self, value: Any) -> list[dict[str, Any]]:
        if value in (None, "", []):
            return []
        rows: list[tuple[str, str, str]] = []
        if isinstance(value, list):
            for entry in value:
                if not isinstance(entry, dict):
                    raise forms.ValidationError(_("Elke actie heeft een 'what', 'who' en 'due'."))
                rows.append(
                    (str(entry.get("what") or ""), str(entry.get("who") or ""), str(entry.get("due") or ""))
                )
        else:
            for line in str(value).splitlines():
                if not line.strip():
                    continue
                parts = [p.strip() for p in line.split("|")]
                parts += [""] * (3 - len(parts))
                rows.append((parts[0], parts[1], "|".join(parts[2:]).strip("| ")))
        out = []
        for n, (what, who, due) in enumerate(rows, 1):
            if not what.strip():
                raise forms.ValidationError(_("Actie %(n)s: beschrijf wat er gebeurt.") % {"n": n})
            due_date = None
            if due.strip():
                try:
                    due_date = dt.date.fromisoformat(due.strip())
                except ValueError:
                    raise forms.ValidationError(
                        _("Actie %(n)s: '%(v)s' is geen datum (JJJJ-MM-DD).") % {"n": n, "v": due[:20]}
                    ) from None
            out.append(
                {
                    "what": what.strip()[:500],
                    "who": who.strip()[:200],
                    "due": due_date.isoformat() if due_date else None,
                }
            )
        return out

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return "\n".join(
                " | ".join(
                    x for x in (a.get("what", ""), a.get("who", ""), a.get("due") or "") if x is not None
                )
                for a in value
            )
        return value


class AgendaItemForm(forms.Form):
    """A new agenda item or a change to one; every change becomes a version that takes effect on
    `valid_from` (default: today)."""

    kind = forms.ChoiceField(
        label=_("Soort"), choices=AgendaItem.Kind.choices, initial=AgendaItem.Kind.QUESTION
    )
    text = forms.CharField(
        label=_("Leervraag of uitdaging"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Bijvoorbeeld: Hoe kunnen we … terwijl …?"),
        error_messages={"required": _("Formuleer de leervraag of uitdaging.")},
    )
    ambition = forms.CharField(
        label=_("Ambitie"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    barrier = forms.CharField(
        label=_("Systeembelemmering"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    owner = forms.CharField(label=_("Eigenaar"), max_length=200, required=False)
    status = forms.ChoiceField(label=_("Status"), choices=AgendaStatus.choices, initial=AgendaStatus.NEW)
    actions = ActionsField(
        label=_("Acties"),
        required=False,
        help_text=_("Eén actie per regel: wat | wie | uiterlijk (JJJJ-MM-DD)."),
    )
    valid_from = forms.DateField(
        label=_("Geldt vanaf"), required=False, widget=DATE, help_text=_("Leeg: vandaag.")
    )
    note = forms.CharField(label=_("Toelichting bij de wijziging"), max_length=1000, required=False)

    def __init__(
        self, *args: Any, trajectory: Trajectory, item: AgendaItem | None = None, **kwargs: Any
    ) -> None:
        if item is not None and not args and "initial" not in kwargs:
            kwargs["initial"] = {
                "kind": item.kind,
                "text": item.text,
                "ambition": item.ambition,
                "barrier": item.barrier,
                "owner": item.owner,
                "status": item.status,
                "actions": item.actions,
            }
        super().__init__(*args, **kwargs)
        self.trajectory = trajectory
        self.item = item

    def clean_valid_from(self) -> dt.date:
        day: dt.date | None = self.cleaned_data.get("valid_from")
        today = timezone.localdate()
        if day is None:
            day = today
        if day > today:
            raise forms.ValidationError(_("Een wijziging kan niet in de toekomst ingaan."))
        if day < self.trajectory.started_on:
            raise forms.ValidationError(
                _("Deze datum ligt vóór de start van het leertraject (%(d)s).")
                % {"d": self.trajectory.started_on.isoformat()}
            )
        if self.item is not None and day < self.item.changed_on:
            raise forms.ValidationError(
                _("Deze datum ligt vóór de vorige wijziging van dit agendapunt (%(d)s).")
                % {"d": self.item.changed_on.isoformat()}
            )
        return day

    def clean_text(self) -> str:
        text = (self.cleaned_data.get("text") or "").strip()
        if not text:
            raise forms.ValidationError(_("Formuleer de leervraag of uitdaging."))
        return text


class SessionForm(forms.ModelForm):
    date = forms.DateField(label=_("Datum"), widget=DATE)
    items_discussed = forms.ModelMultipleChoiceField(
        queryset=AgendaItem.objects.none(),
        to_field_name="number",
        required=False,
        label=_("Besproken agendapunten"),
        widget=forms.CheckboxSelectMultiple,
    )
    participants = forms.ModelMultipleChoiceField(
        queryset=Participant.objects.none(),
        required=False,
        label=_("Deelnemers"),
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Session
        fields = [
            "kind",
            "title",
            "date",
            "method",
            "participants",
            "agenda",
            "notes",
            "reflections",
            "outcomes",
            "items_discussed",
        ]
        help_texts = {"notes": _("Markdown: **vet**, *cursief*, lijsten met -.")}

    def __init__(self, *args: Any, trajectory: Trajectory, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.trajectory = trajectory
        items = self.fields["items_discussed"]
        items.queryset = AgendaItem.objects.filter(trajectory=trajectory)  # type: ignore[attr-defined]
        items.label_from_instance = lambda i: f"{i.number}. {i.text[:90]}"  # type: ignore[attr-defined]
        self.fields["participants"].queryset = Participant.objects.filter(trajectory=trajectory)  # type: ignore[attr-defined]
        for name in ("agenda", "notes", "reflections", "outcomes"):
            self.fields[name].widget.attrs["rows"] = 4
        if self.instance.pk and not self.is_bound:
            self.initial["items_discussed"] = [i.number for i in self.instance.items_discussed.all()]

    def clean_date(self) -> dt.date:
        day: dt.date = self.cleaned_data["date"]
        if day < self.trajectory.started_on:
            raise forms.ValidationError(
                _("Deze datum ligt vóór de start van het leertraject (%(d)s).")
                % {"d": self.trajectory.started_on.isoformat()}
            )
        return day


class TimelineEventForm(forms.ModelForm):
    date = forms.DateField(label=_("Datum"), widget=DATE)

    class Meta:
        model = TimelineEvent
        fields = ["date", "kind", "title", "actors", "significance"]

    def __init__(self, *args: Any, trajectory: Trajectory, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.trajectory = trajectory
        self.fields["significance"].widget.attrs["rows"] = 3


class QuoteForm(forms.ModelForm):
    date = forms.DateField(label=_("Datum"), required=False, widget=DATE)

    class Meta:
        model = Quote
        fields = ["text", "speaker", "commentary", "date", "event"]
        help_texts = {"speaker": _("Laat leeg om het citaat anoniem op te nemen.")}

    def __init__(self, *args: Any, trajectory: Trajectory, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.trajectory = trajectory
        self.fields["event"].queryset = TimelineEvent.objects.filter(trajectory=trajectory)  # type: ignore[attr-defined]
        self.fields["event"].label = _("Bij gebeurtenis")
        for name in ("text", "commentary"):
            self.fields[name].widget.attrs["rows"] = 3


class LessonForm(OwnedForm):
    regions = _regions()
    themes = _themes()
    date = forms.DateField(label=_("Datum"), widget=DATE)

    class Meta:
        model = Lesson
        fields = [
            "title",
            "insight",
            "evidence",
            "conditions",
            "regions",
            "themes",
            "scale",
            "date",
            "visibility",
            "owner_hub",
        ]
        help_texts = {"conditions": _("Onder welke omstandigheden geldt deze les?")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("insight", "evidence", "conditions"):
            self.fields[name].widget.attrs["rows"] = 3
