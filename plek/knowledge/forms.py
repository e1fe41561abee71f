from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from plek.atlas.forms import AREA_HELP, CodeMultipleChoiceField, OwnedForm
from plek.atlas.models import Organisation, Person, Region, Theme
from plek.atlas.permissions import visible_q
from plek.atlas.widgets import AreaPicker
from plek.knowledge.models import KnowledgeItem


class KnowledgeForm(OwnedForm):
    regions = CodeMultipleChoiceField(
        queryset=Region.objects.order_by("kind", "name"),
        to_field_name="code",
        required=False,
        label=_("Gebieden"),
        widget=AreaPicker(),
        help_text=AREA_HELP,
    )
    themes = CodeMultipleChoiceField(
        queryset=Theme.objects.all(), to_field_name="slug", required=False, label=_("Thema's")
    )
    author_people = CodeMultipleChoiceField(
        queryset=Person.objects.all(), to_field_name="slug", required=False, label=_("Auteurs (personen)")
    )
    author_organisations = CodeMultipleChoiceField(
        queryset=Organisation.objects.all(),
        to_field_name="slug",
        required=False,
        label=_("Auteurs (organisaties)"),
    )
    date = forms.DateField(required=False, label=_("Datum"), widget=forms.DateInput(attrs={"type": "date"}))

    class Meta:
        model = KnowledgeItem
        fields = [
            "title",
            "kind",
            "summary",
            "body",
            "language",
            "date",
            "themes",
            "regions",
            "scale",
            "author_people",
            "author_organisations",
            "doi",
            "handle",
            "isbn",
            "url",
            "licence",
            "provenance",
            "source_name",
            "source_identifier",
            "visibility",
            "owner_hub",
        ]
        help_texts = {
            "body": _("Markdown: **vet**, *cursief*, [link](https://…), lijsten met -."),
            "source_identifier": _("Bij geïmporteerde of geoogste kennis: de identificatie bij de bron."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        viewer = self.viewer
        if viewer is not None:
            # Only people and organisations the writer may see can be chosen (or probed for).
            self.fields["author_people"].queryset = Person.objects.filter(visible_q(viewer))  # type: ignore[attr-defined]
            self.fields["author_organisations"].queryset = Organisation.objects.filter(  # type: ignore[attr-defined]
                visible_q(viewer)
            )
        # Long choice lists: people and organisations are chosen by slug (API) or a short list.
        for name in ("author_people", "author_organisations"):
            self.fields[name].widget = forms.SelectMultiple(attrs={"size": 6})
            if not self.is_bound:
                self.fields[name].queryset = self.fields[name].queryset.filter(  # type: ignore[attr-defined]
                    pk__in=list(getattr(self.instance, name).values_list("pk", flat=True))
                    if self.instance.pk
                    else []
                )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("provenance") == KnowledgeItem.Provenance.HARVESTED and not data.get("source_name"):
            self.add_error("source_name", _("Geef de bron op van geoogste kennis."))
        return data


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label=_("Bijlage toevoegen"),
        required=False,
        help_text=_("PDF, DOCX, ODT, CSV of afbeelding; maximaal 25 MB."),
    )
