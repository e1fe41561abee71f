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


def _webauthn_add_form_base() -> type[forms.Form]:
    from allauth.mfa.webauthn.forms import AddWebAuthnForm

    return AddWebAuthnForm


class AddWebAuthnForm(_webauthn_add_form_base()):  # type: ignore[misc]
    """allauth's form to add a security key, with a Dutch label and a clear error when the browser
    sent no usable answer from the key (the hidden field's own error would not show)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].label = _("Naam van de sleutel")
        self.fields["name"].help_text = _("Bijvoorbeeld: sleutelhanger, laptop of telefoon.")
        self.fields["name"].max_length = 100

    def clean_name(self) -> str:
        name: str = super().clean_name()
        if len(name) > 100:
            raise forms.ValidationError(_("Gebruik hoogstens 100 tekens."))
        return name

    def clean(self) -> dict[str, Any]:
        try:
            cleaned: dict[str, Any] = super().clean()
        except (forms.ValidationError, *_MALFORMED):
            # allauth/fido2 raise plain Python errors on a malformed answer (a 500 otherwise).
            raise forms.ValidationError(
                _("De beveiligingssleutel is niet herkend. Probeer het opnieuw.")
            ) from None
        if "credential" in self.errors:
            del self.errors["credential"]
            self.add_error(None, _("Er kwam geen antwoord van de beveiligingssleutel. Probeer het opnieuw."))
        return cleaned


_MALFORMED = (KeyError, TypeError, ValueError, AttributeError)


def _webauthn_forms() -> tuple[type[forms.Form], type[forms.Form]]:
    from allauth.mfa.webauthn.forms import AuthenticateWebAuthnForm, ReauthenticateWebAuthnForm

    return AuthenticateWebAuthnForm, ReauthenticateWebAuthnForm


class _SafeCredentialMixin:
    """A malformed security-key answer is a form error (allauth/fido2 raise plain errors: a 500)."""

    def clean_credential(self) -> Any:
        try:
            return super().clean_credential()  # type: ignore[misc]
        except _MALFORMED:
            raise forms.ValidationError(
                _("De beveiligingssleutel is niet herkend. Probeer het opnieuw.")
            ) from None


class AuthenticateWebAuthnForm(_SafeCredentialMixin, _webauthn_forms()[0]):  # type: ignore[misc]
    pass


class ReauthenticateWebAuthnForm(_SafeCredentialMixin, _webauthn_forms()[1]):  # type: ignore[misc]
    pass
