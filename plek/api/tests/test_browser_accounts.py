"""Browser journeys for accounts (issue 11): a resident signs up, verifies the address from the
e-mail and signs in; an invited secretary sets a password and a TOTP second factor, signs in with it
and records a Steering group decision; a coordinator adds a security key (WebAuthn, Chromium's
virtual authenticator) and signs in with it; a person downloads and erases their data. Every new page passes axe in Dutch and English.

Real Chromium through Playwright against the live server; e-mails from Django's locmem outbox."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from django.core import mail

from plek.atlas.tests.browser_helpers import (
    axe_violations,
    blocking,
    format_violations,
    screenshot,
)

pytestmark = [pytest.mark.browser]

PW = "Zonnebloem-akker-42"


def _check(page: Any, name: str, lang: str, problems: list[str]) -> None:
    screenshot(page, f"accounts-{name}", lang)
    where = f"{name} ({lang}) {page.url}"
    if page.get_attribute("html", "lang") != lang:
        problems.append(f"{where}: wrong <html lang>")
    serious = blocking(axe_violations(page))
    if serious:
        problems.append(
            f"{where}: {len(serious)} serious/critical axe violation(s):\n{format_violations(serious)}"
        )


def _set_lang(page: Any, base: str, lang: str) -> None:
    page.goto(f"{base}/?lang={lang}")


def _submit(page: Any) -> None:
    with page.expect_navigation():
        page.click("main form.plek-form button[type=submit]")


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_a_resident_signs_up_verifies_signs_in_and_erases(
    transactional_db: Any, live_server: Any, page: Any, lang: str
) -> None:
    from plek.accounts.models import User

    base, problems = live_server.url, []
    _set_lang(page, base, lang)
    page.click("header a[href='/accounts/account-maken/']")
    _check(page, "signup", lang, problems)
    # Bad input first: the fields say what is wrong and nothing is saved.
    page.fill("#id_display_name", "Fatima de Vries")
    page.fill("#id_email", "fatima@example.org")
    page.fill("#id_username", "fatima")
    page.fill("#id_password1", PW)
    page.fill("#id_password2", PW + "x")
    page.check("#id_agree")
    _submit(page)
    assert not User.objects.filter(username="fatima").exists()
    _check(page, "signup-errors", lang, problems)
    page.fill("#id_password1", PW)
    page.fill("#id_password2", PW)
    _submit(page)
    _check(page, "verification-sent", lang, problems)
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[-1].body)
    assert link, mail.outbox[-1].body
    page.goto(link.group(0))
    _check(page, "confirm-email", lang, problems)
    _submit(page)
    # Signed in after confirming; sign out and in again with the new password.
    assert page.locator("header form[action='/accounts/uitloggen/']").count() == 1
    with page.expect_navigation():
        page.click("header form[action='/accounts/uitloggen/'] button")
    page.goto(f"{base}/accounts/inloggen/")
    _check(page, "login", lang, problems)
    page.fill("#id_login", "fatima@example.org")
    page.fill("#id_password", PW)
    _submit(page)
    page.goto(f"{base}/accounts/mijn-gegevens/")
    _check(page, "my-data", lang, problems)
    assert "fatima@example.org" in page.inner_text("main")
    with page.expect_download() as download:
        page.click("a[href='/accounts/mijn-gegevens/download/']")
    assert download.value.suggested_filename == "plek-mijn-gegevens.json"
    page.click("main a[href='/accounts/mijn-gegevens/wissen/']")
    _check(page, "erase", lang, problems)
    page.fill("#erase-password", PW)
    _submit(page)  # not confirmed: refused, field named
    assert User.objects.filter(username="fatima").exists()
    assert page.locator("#erase-confirm-error").count() == 1
    page.fill("#erase-password", PW)
    page.check("#erase-confirm")
    _submit(page)
    assert not User.objects.filter(username="fatima").exists()
    assert page.locator("header a[href='/accounts/account-maken/']").count() == 1
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_an_invited_secretary_sets_password_and_totp_signs_in_and_records_a_decision(
    live_server: Any, page: Any, lang: str, settings: Any, cast: dict[str, Any]
) -> None:
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    from plek.accounts.models import BodyMembership
    from plek.atlas.permissions import viewer_for
    from plek.atlas.services import invitation_create

    settings.PLEK_REQUIRE_MFA_FOR_STAFF = True
    base, problems = live_server.url, []
    # The administrator's invitation page (checked as the admin would see it, with a factor set up).
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    TOTP.activate(cast["admin"], generate_totp_secret())
    # On the Steering group's agenda: a proposal for its next meeting (put there by the administrator).
    import datetime as dt

    from django.utils import timezone

    from plek.governance import services as gov
    from plek.governance.forms import ProposalForm
    from plek.governance.models import Decision, Meeting

    start = timezone.now() + dt.timedelta(days=7)
    meeting = Meeting.objects.create(
        title="Stuurgroep januari", starts_at=start, ends_at=start + dt.timedelta(hours=2), location="Utrecht"
    )
    admin = viewer_for(cast["admin"])
    proposal = gov.proposal_create(
        viewer=admin,
        form=ProposalForm(
            data={
                "title": "Regionale datadeelafspraken",
                "rationale": "Meerdere signalen over data.",
                "expected_effect": "Minder dubbel werk.",
                "decision_requested": "Stem in met regionale afspraken.",
            }
        ),
    )
    gov.proposal_transition(viewer=admin, proposal=proposal, to_state="submitted", note="")
    gov.proposal_transition(viewer=admin, proposal=proposal, to_state="scheduled", note="", meeting=meeting)
    invitation_create(
        viewer=viewer_for(cast["admin"]),
        email="sec@example.org",
        role="body_secretary",
        body="steering",
        base_url=base,
    )
    link = re.search(r"https?://\S+/uitnodiging/\S+/", mail.outbox[-1].body)
    assert link, mail.outbox[-1].body
    _set_lang(page, base, lang)
    page.goto(link.group(0))
    _check(page, "invitation-accept", lang, problems)
    page.fill("#inv-display_name", "Sanne Secretaris")
    page.fill("#inv-username", "sanne")
    page.fill("#inv-password1", PW)
    page.fill("#inv-password2", PW)
    _submit(page)
    assert BodyMembership.objects.get(user__username="sanne").role == "secretary"
    # Her role needs a second factor: she is sent to set it up (after her password once more).
    page.goto(f"{base}/")
    assert page.url == f"{base}/accounts/2fa/", page.url  # the choice: authenticator app or security key
    with page.expect_navigation():
        page.click("main a[href='/accounts/2fa/totp/activate/']")
    if "/accounts/reauthenticate/" in page.url:
        page.fill("#id_password", PW)
        _submit(page)
    assert "/accounts/2fa/totp/activate/" in page.url, page.url
    _check(page, "totp-activate", lang, problems)
    secret = page.input_value("#authenticator_secret")
    assert secret, "the page shows the secret for people who cannot scan the QR code"
    page.fill(
        "#id_code",
        "000000" if format_hotp_value(hotp_value(secret, int(time.time()) // 30)) != "000000" else "111111",
    )
    _submit(page)
    assert "/accounts/2fa/totp/activate/" in page.url  # a wrong code does not activate
    page.fill("#id_code", format_hotp_value(hotp_value(secret, int(time.time()) // 30)))
    _submit(page)
    assert "/accounts/2fa/totp/activate/" not in page.url, page.url
    # Sign out, sign in again: password, then the authenticator code.
    page.goto(f"{base}/")
    with page.expect_navigation():
        page.click("header form[action='/accounts/uitloggen/'] button")
    page.goto(f"{base}/accounts/inloggen/")
    page.fill("#id_login", "sanne")
    page.fill("#id_password", PW)
    _submit(page)
    assert "/accounts/2fa/authenticate/" in page.url, page.url
    _check(page, "totp-authenticate", lang, problems)
    time.sleep(max(0.0, 30 - time.time() % 30 + 0.5) if time.time() % 30 > 27 else 0)
    page.fill("#id_code", format_hotp_value(hotp_value(secret, int(time.time()) // 30)))
    _submit(page)
    page.goto(f"{base}/accounts/mijn-gegevens/")
    assert "/accounts/mijn-gegevens/" in page.url, page.url
    assert "steering" in page.inner_text("main")
    assert "Sanne Secretaris" in page.inner_text("header")  # greeted by name, not login
    # Her first Steering group meeting: she records the decision on a proposal on the agenda.
    page.goto(f"{base}/governance/voorstellen/{proposal.pk}/")
    _check(page, "proposal-to-decide", lang, problems)
    page.check("#outcome-adopted")
    page.fill("#d-text", "De Stuurgroep stemt in met regionale datadeelafspraken.")
    with page.expect_navigation():
        page.click("form.gov-decide button[type=submit]")
    decision = Decision.objects.get(proposal=proposal)
    assert decision.outcome == "adopted" and decision.recorded_by.username == "sanne"
    assert decision.meeting == meeting
    proposal.refresh_from_db()
    assert proposal.state == "decided"
    page.goto(f"{base}/governance/besluiten/")
    assert "Regionale datadeelafspraken" in page.inner_text("main")
    page.goto(f"{base}/governance/voorstellen/{proposal.pk}/")
    assert "Sanne Secretaris" in page.inner_text("main")  # the timeline names who decided
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_invitations_page_passes_axe(
    live_server: Any, page: Any, lang: str, cast: dict[str, Any], hub: Any
) -> None:
    from plek.atlas.tests.browser_helpers import login

    base, problems = live_server.url, []
    _set_lang(page, base, lang)
    login(page, base, "coordinator", "correct horse battery")
    page.goto(f"{base}/uitnodigingen/")
    _check(page, "invitations", lang, problems)
    page.fill("#inv-email", "geen-adres@")
    page.select_option("#inv-role", "hub_member")
    page.evaluate("() => document.querySelector('#inv-email').setAttribute('type', 'text')")
    _submit(page)
    assert page.locator("#inv-email-error").count() == 1
    _check(page, "invitations-errors", lang, problems)
    page.fill("#inv-email", "lid@example.org")
    page.select_option("#inv-hub", hub.slug)
    _submit(page)
    assert "lid@example.org" in page.inner_text("table")
    page.goto(f"{base}/uitnodiging/bestaat-niet/")
    _check(page, "invitation-unusable", lang, problems)
    assert not problems, "\n".join(problems)


VIRTUAL_KEY = {
    "protocol": "ctap2",
    "transport": "usb",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
    "automaticPresenceSimulation": True,
}


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_a_coordinator_adds_a_security_key_and_signs_in_with_it(
    live_server: Any, page: Any, lang: str, settings: Any, cast: dict[str, Any], hub: Any
) -> None:
    """WebAuthn for real: Chromium's virtual authenticator (DevTools protocol) plays the key."""
    from allauth.mfa.models import Authenticator

    from plek.atlas.tests.browser_helpers import login

    settings.PLEK_REQUIRE_MFA_FOR_STAFF = True
    base, problems = live_server.url, []
    assert "//localhost:" in base  # WebAuthn needs https or localhost
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    authenticator_id = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": VIRTUAL_KEY})[
        "authenticatorId"
    ]
    _set_lang(page, base, lang)
    login(page, base, "coordinator", "correct horse battery")
    page.goto(f"{base}/kennishubs/")
    assert page.url == f"{base}/accounts/2fa/", page.url  # the role asks for a second factor first
    _check(page, "mfa-index", lang, problems)
    with page.expect_navigation():
        page.click("main a[href='/accounts/2fa/webauthn/add/']")
    if "/accounts/reauthenticate/" in page.url:
        page.fill("#id_password", "correct horse battery")
        _submit(page)
    assert page.url.startswith(f"{base}/accounts/2fa/webauthn/add/"), page.url
    _check(page, "webauthn-add", lang, problems)
    page.fill("#id_name", "Sleutelhanger")
    with page.expect_navigation():
        page.click("#mfa_webauthn_add")
    key = Authenticator.objects.get(user=cast["coordinator"], type=Authenticator.Type.WEBAUTHN)
    assert str(key) == "Sleutelhanger"
    assert len(cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"]) == 1
    _check(page, "webauthn-recovery-codes", lang, problems)
    page.goto(f"{base}/kennishubs/")
    assert page.url == f"{base}/kennishubs/", page.url  # the key counts: the door is open
    page.goto(f"{base}/accounts/2fa/webauthn/")
    assert "Sleutelhanger" in page.inner_text("main")
    _check(page, "webauthn-list", lang, problems)
    # Sign out; sign in with the password and then the key.
    with page.expect_navigation():
        page.click("header form[action='/accounts/uitloggen/'] button")
    page.goto(f"{base}/accounts/inloggen/")
    page.fill("#id_login", "coordinator")
    page.fill("#id_password", "correct horse battery")
    _submit(page)
    assert "/accounts/2fa/authenticate/" in page.url, page.url
    _check(page, "webauthn-authenticate", lang, problems)
    with page.expect_navigation():
        page.click("#mfa_webauthn_authenticate")
    assert "/accounts/2fa/authenticate/" not in page.url, page.url
    page.goto(f"{base}/kennishubs/")
    assert page.url == f"{base}/kennishubs/", page.url
    key.refresh_from_db()
    assert key.last_used_at is not None
    credential = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"][0]
    assert credential["signCount"] >= 1
    assert not page.js_errors, page.js_errors  # the key's scripts run under the CSP
    assert not problems, "\n".join(problems)
