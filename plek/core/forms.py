"""Form helpers shared by the pages and the API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.forms.models import model_to_dict


def current_form_data(
    form: forms.ModelForm, special: Callable[[str, forms.Field], Any] | None = None
) -> dict[str, Any]:
    """The instance's current values as form data (related objects as their public identifiers),
    so that a PATCH changes only what it sends. For a new instance: the model's defaults.
    `special(name, field)` may supply a field's value itself (return NotImplemented to decline)."""
    instance = form.instance
    saved = instance.pk is not None
    # An unbound ModelForm without an instance has no initial values: take the model defaults.
    initial = form.initial if saved else model_to_dict(instance, fields=list(form.fields))
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        value = special(name, field) if special is not None and saved else NotImplemented
        if value is not NotImplemented:
            data[name] = value
        elif isinstance(field, forms.ModelMultipleChoiceField):
            key = field.to_field_name or "pk"
            data[name] = [getattr(o, key) for o in getattr(instance, name).all()] if saved else []
        elif isinstance(field, forms.ModelChoiceField):
            related = getattr(instance, name, None)
            data[name] = getattr(related, field.to_field_name or "pk") if related is not None else None
        elif name in initial:
            data[name] = initial[name]
        else:
            data[name] = None
    return data
