"""The area picker: one accessible widget for every form that takes areas.

Without JavaScript it is a list of ticked checkboxes (the chosen areas) and a text input in which
names or codes can be typed, several separated by ";"; the server resolves them (an unknown name is
reported by the field). With JavaScript (plek/area-picker.js) the text input becomes an ARIA 1.2
combobox with suggestions of every area kind from /gebieden/suggesties/."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

MAX_TYPED_PARTS = 30


def typed_parts(text: str) -> list[str]:
    return [p.strip()[:200] for p in re.split(r"[;\n]", text or "")[:MAX_TYPED_PARTS] if p.strip()]


class AreaPicker(forms.SelectMultiple):
    """For a CodeMultipleChoiceField of regions (to_field_name="code")."""

    add_suffix = "__add"

    def __init__(self, attrs: dict[str, Any] | None = None, *, kinds: list[str] | None = None) -> None:
        super().__init__(attrs)
        self.kinds = kinds or []

    def use_required_attribute(self, initial: Any) -> bool:
        return False

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        from plek.atlas.selectors import region_resolve

        chosen = super().value_from_datadict(data, files, name)
        codes = [str(c).strip() for c in (chosen or []) if str(c).strip()]
        for part in typed_parts(data.get(name + self.add_suffix, "")):
            region = region_resolve(part)
            codes.append(region.code if region is not None else part)  # unknown: the field names it
        return list(dict.fromkeys(codes)) if codes or chosen is not None else chosen

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return name not in data and name + self.add_suffix not in data

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        from plek.atlas.models import Region

        attrs = self.build_attrs(self.attrs, attrs)
        base_id = attrs.pop("id", f"id_{name}")
        codes = [str(v) for v in (value or []) if v not in (None, "")]
        found = {r.code: r for r in Region.objects.filter(code__in=codes)} if codes else {}
        chosen = format_html_join(
            "",
            '<li><input type="checkbox" name="{}" value="{}" id="{}_{}" checked> '
            '<label for="{}_{}" class="plek-inline">{}</label></li>',
            (
                (
                    name,
                    code,
                    base_id,
                    i,
                    base_id,
                    i,
                    f"{found[code].label} ({code})" if code in found else code,
                )
                for i, code in enumerate(codes)
            ),
        )
        extra = format_html_join(" ", '{}="{}"', ((k, v) for k, v in attrs.items() if isinstance(v, str)))
        return format_html(
            '<div class="plek-area-picker" data-area-picker data-multiple="1" data-suggest-url="{url}"'
            ' data-kinds="{kinds}" data-added="{added}" data-removed="{removed}" data-count-one="{one}"'
            ' data-count-many="{many}" data-none="{none}">'
            '<ul class="plek-choices plek-area-picker__chosen" id="{id}_chosen" aria-label="{chosen_label}">{chosen}</ul>'
            '<input type="text" id="{id}" name="{add}" autocomplete="off" spellcheck="false" maxlength="2000" {extra}>'
            '<ul class="plek-area-picker__listbox" id="{id}_listbox" role="listbox" aria-label="{list_label}" hidden></ul>'
            '<p class="visually-hidden" id="{id}_status" role="status" aria-live="polite"></p></div>',
            url=reverse("atlas:region_suggest"),
            kinds=",".join(self.kinds),
            added=_("Toegevoegd:"),
            removed=_("Verwijderd:"),
            one=_("1 suggestie; kies met pijltjes en Enter."),
            many=_("{n} suggesties; kies met pijltjes en Enter."),
            none=_("Geen gebied gevonden."),
            id=base_id,
            chosen_label=_("Gekozen gebieden"),
            chosen=chosen,
            add=name + self.add_suffix,
            extra=extra,
            list_label=_("Suggesties"),
        )


class AreaPickerOne(forms.TextInput):
    """For a ModelChoiceField of regions (to_field_name="code"): one area, typed or suggested."""

    def __init__(self, attrs: dict[str, Any] | None = None, *, kinds: list[str] | None = None) -> None:
        super().__init__(attrs)
        self.kinds = kinds or []

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        from plek.atlas.selectors import region_from_filter

        text = str(data.get(name, "") or "").strip()
        if not text:
            return ""
        region = region_from_filter(text)
        return region.code if region is not None else text[:200]  # unknown: the field names it

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        from plek.atlas.models import Region

        attrs = self.build_attrs(self.attrs, attrs)
        base_id = attrs.pop("id", f"id_{name}")
        shown = ""
        if value not in (None, ""):
            region = Region.objects.filter(code=str(value)).first() or (
                Region.objects.filter(pk=value).first() if str(value).isdigit() else None
            )
            shown = f"{region.label} ({region.code})" if region is not None else str(value)
        extra = format_html_join(" ", '{}="{}"', ((k, v) for k, v in attrs.items() if isinstance(v, str)))
        return format_html(
            '<div class="plek-area-picker" data-area-picker data-multiple="0" data-suggest-url="{url}"'
            ' data-kinds="{kinds}" data-added="{added}" data-count-one="{one}" data-count-many="{many}"'
            ' data-none="{none}">'
            '<input type="text" id="{id}" name="{name}" value="{value}" autocomplete="off" spellcheck="false"'
            ' maxlength="200" {extra}>'
            '<ul class="plek-area-picker__listbox" id="{id}_listbox" role="listbox" aria-label="{list_label}" hidden></ul>'
            '<p class="visually-hidden" id="{id}_status" role="status" aria-live="polite"></p></div>',
            url=reverse("atlas:region_suggest"),
            kinds=",".join(self.kinds),
            added=_("Gekozen:"),
            one=_("1 suggestie; kies met pijltjes en Enter."),
            many=_("{n} suggesties; kies met pijltjes en Enter."),
            none=_("Geen gebied gevonden."),
            id=base_id,
            name=name,
            value=shown,
            extra=extra,
            list_label=_("Suggesties"),
        )
