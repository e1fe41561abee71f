"""Small forms that render the question page's step, introduction and answer forms with labels, help
and per-field errors. They parse input only: the rules (who may, what a step needs) live in
`services.py`, whose ValidationFailed errors are put back on these forms (`show_errors`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from plek.brokering.models import NOTE_MAX_CHARS, TEXT_MAX_CHARS, Question

S = Question.State

# A step's label on its button, and the label of its note field.
STEP_LABELS: dict[str, Any] = {
    S.TRIAGED: _("In behandeling nemen"),
    S.MATCHING: _("Kennis zoeken"),
    S.CONNECTED: _("In contact gebracht"),
    S.ANSWERED: _("Beantwoord"),
    S.CLOSED: _("Afsluiten"),
    S.REFERRED: _("Doorverwijzen"),
    S.DECLINED: _("Afwijzen"),
    S.MERGED: _("Samenvoegen"),
}
NOTE_LABELS: dict[str, Any] = {
    S.REFERRED: _("Overdrachtsnotitie"),
    S.DECLINED: _("Reden"),
}
USEFULNESS_CHOICES = [
    ("1", _("1 — niet bruikbaar")),
    ("2", _("2")),
    ("3", _("3")),
    ("4", _("4")),
    ("5", _("5 — zeer bruikbaar")),
]
# Where a service error about an extra is shown on the step form.
ERROR_FIELD = {
    "referred_to_hub": "target",
    "referred_to_programme": "target",
    "referred_to_network": "target",
    "to_state": "__all__",
}


def show_errors(
    form: forms.Form, errors: dict[str, list[str]], mapping: dict[str, str] | None = None
) -> None:
    """Put a service's ValidationFailed errors on the form's fields (unknown names on the form itself)."""
    mapping = mapping or {}
    for name, messages in errors.items():
        field = mapping.get(name, name)
        if field not in form.fields:
            field = "__all__"
        for message in messages:
            form.add_error(None if field == "__all__" else field, message)


class StepForm(forms.Form):
    """One step of the workflow (`to_state`) with the extras it takes. Prefixed by the step so that
    several of them can sit on one page with unique ids; the page adds the unprefixed `step` and
    `from_state` (the state the form was made for)."""

    def __init__(
        self,
        *args: Any,
        to_state: str,
        rate: bool = False,
        brokers: Iterable[tuple[str, str]] = (),
        targets: Iterable[tuple[str, list[tuple[str, str]]]] = (),
        merge_targets: Iterable[tuple[str, str]] = (),
        label: Any = None,
        note_label: Any = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("prefix", f"stap-{to_state}")
        super().__init__(*args, **kwargs)
        self.step = to_state
        self.label = label or STEP_LABELS.get(to_state, to_state)
        self.rate = rate
        if to_state == S.TRIAGED:
            self.fields["broker"] = forms.ChoiceField(
                label=_("Kennismakelaar"),
                required=False,
                choices=[("", _("(nog) niemand toewijzen")), *brokers],
                help_text=_("Een lid van de kennishub die de vraag behandelt."),
            )
        if to_state == S.REFERRED:
            self.fields["target"] = forms.ChoiceField(
                label=_("Doorverwijzen naar"),
                choices=[("", _("Kies een bestemming")), *targets],
                required=False,
                help_text=_("Een andere kennishub, een nationaal programma of een netwerk."),
            )
        if to_state == S.MERGED:
            self.fields["merged_into"] = forms.ChoiceField(
                label=_("Samenvoegen met"),
                choices=[("", _("Kies een vraag")), *merge_targets],
                required=False,
                help_text=_("De vraag die hetzelfde vraagt; deze vraag gaat erin op."),
            )
        if to_state == S.CLOSED and rate:
            self.fields["usefulness"] = forms.ChoiceField(
                label=_("Hoe bruikbaar was het antwoord?"),
                choices=USEFULNESS_CHOICES,
                required=False,
                widget=forms.RadioSelect,
            )
            self.fields["comment"] = forms.CharField(
                label=_("Opmerking bij uw beoordeling"),
                required=False,
                max_length=NOTE_MAX_CHARS,
                widget=forms.Textarea(attrs={"rows": 3}),
            )
        self.fields["note"] = forms.CharField(
            label=note_label or NOTE_LABELS.get(to_state, _("Toelichting")),
            required=False,
            widget=forms.Textarea(attrs={"rows": 2}),
            help_text=_("Verplicht.") if to_state in (S.REFERRED, S.DECLINED) else "",
        )


class IntroduceForm(forms.Form):
    target = forms.ChoiceField(
        label=_("Voorstellen aan"),
        help_text=_("Een geaccepteerde deskundige of een geaccepteerd netwerk."),
    )
    message = forms.CharField(
        label=_("Bericht"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Waarom deze introductie? Dit bericht staat in de e-mail aan de deskundige."),
    )

    def __init__(self, *args: Any, targets: Iterable[tuple[str, str]] = (), **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "introductie")
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = [("", _("Kies een deskundige of netwerk")), *targets]  # type: ignore[attr-defined]


class AnswerForm(forms.Form):
    text = forms.CharField(
        label=_("Antwoord"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Een samenvatting van wat de vraag beantwoordt. Markdown is toegestaan."),
    )
    source_items = forms.MultipleChoiceField(
        label=_("Bronnen"), required=False, widget=forms.CheckboxSelectMultiple
    )
    source_people = forms.MultipleChoiceField(
        label=_("Deskundigen"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(
        self,
        *args: Any,
        items: Iterable[tuple[str, str]] = (),
        people: Iterable[tuple[str, str]] = (),
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("prefix", "antwoord")
        super().__init__(*args, **kwargs)
        self.fields["text"].max_length = TEXT_MAX_CHARS * 2  # type: ignore[attr-defined]
        self.fields["source_items"].choices = list(items)  # type: ignore[attr-defined]
        self.fields["source_people"].choices = list(people)  # type: ignore[attr-defined]


class RespondForm(forms.Form):
    note = forms.CharField(
        label=_("Toelichting (niet verplicht)"),
        required=False,
        max_length=NOTE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
