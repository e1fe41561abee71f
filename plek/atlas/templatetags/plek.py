from __future__ import annotations

from typing import Any

from django import forms, template
from django.core.exceptions import FieldDoesNotExist
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy

register = template.Library()


@register.filter
def is_multiple_checkbox(field: Any) -> bool:
    return isinstance(field.field.widget, forms.CheckboxSelectMultiple | forms.RadioSelect)


@register.simple_tag
def with_described(field: Any) -> SafeString:
    """Render a widget with aria-describedby pointing at its help and error texts."""
    ids = []
    if field.help_text:
        ids.append(f"{field.auto_id}_help")
    attrs: dict[str, str] = {}
    if field.errors:
        ids.append(f"{field.auto_id}_error")
        attrs["aria-invalid"] = "true"
    if ids:
        attrs["aria-describedby"] = " ".join(ids)
    if field.field.required and not isinstance(field.field.widget, forms.CheckboxInput):
        attrs["aria-required"] = "true"
    return field.as_widget(attrs=attrs)


@register.filter
def get(mapping: Any, key: Any) -> Any:
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def pct(value: int, maximum: int) -> int:
    return round(100 * value / maximum) if maximum else 0


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    try:
        return mapping[key]
    except (KeyError, TypeError, IndexError):
        return None


@register.filter
def reach(found: Any, hit: Any) -> Any:
    return found.reach(hit)


# History rows keep field names as keys; pages show what they mean (names, not keys).
_HISTORY_KEYS = {
    "member": gettext_lazy("lid"),
    "member_removed": gettext_lazy("lid verwijderd"),
    "role": gettext_lazy("rol"),
    "accepted": gettext_lazy("geaccepteerd"),
    "municipalities": gettext_lazy("gemeenten"),
    "attachment": gettext_lazy("bijlage"),
    "match": gettext_lazy("match"),
    "introduction": gettext_lazy("introductie"),
    "minutes": gettext_lazy("verslag"),
}


@register.filter
def field_label(obj: Any, name: str) -> str:
    """The readable label of field `name` of `obj`'s model (its verbose name), for history rows."""
    try:
        label = str(obj._meta.get_field(name).verbose_name)
    except (AttributeError, FieldDoesNotExist):
        label = str(_HISTORY_KEYS.get(name, name))
    return label[:1].upper() + label[1:]
