from __future__ import annotations

from typing import Any

from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.utils.translation import gettext_lazy as _


class SignupForm(AllauthSignupForm):
    """Sign-up for residents, entrepreneurs and professionals: a name shown to others, and the
    explicit agreement that PLeK keeps what they write (the consent the platform records)."""

    display_name = forms.CharField(
        label=_("Naam die anderen zien"),
        max_length=150,
        help_text=_("Bijvoorbeeld uw voornaam en achternaam. U kunt dit later wijzigen."),
    )
    agree = forms.BooleanField(
        label=_("Ik ga ermee akkoord dat PLeK mijn gegevens bewaart om mijn vragen en bijdragen te tonen."),
        required=True,
    )

    field_order = ["display_name", "email", "username", "password1", "password2", "agree"]

    def save(self, request: Any) -> Any:
        user = super().save(request)
        user.display_name = self.cleaned_data["display_name"].strip()
        user.save(update_fields=["display_name"])
        return user
