"""Transparency and notifications: pages (with the 409 message), the decision log, the Atom feed,
search and exports never reveal a confidential decision; iCalendar export; the email digest."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any
from xml.etree import ElementTree

import icalendar
import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from plek.atlas.exporters import export_atlas
from plek.atlas.permissions import viewer_for
from plek.governance import services
from plek.governance.models import Event, Follow, Meeting, Proposal
from plek.governance.tests.conftest import v
from plek.governance.tests.factories import make_proposal, make_signal, make_standard, to_state
from plek.knowledge.indexing import outbox_apply
from plek.knowledge.search import get_backend
from plek.knowledge.search.base import SearchQuery

pytestmark = pytest.mark.django_db
SECRET_TITLE = "Geheime reorganisatie"
SECRET_TEXT = "kleinere verkenning"


def client(user: Any = None) -> Client:
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


@pytest.fixture
def secret(gov: dict[str, Any], meeting: Meeting) -> Proposal:
    proposal = make_proposal(
        gov["initiative"], title=SECRET_TITLE, confidential=True, confidential_reason="Personele gevolgen"
    )
    return to_state(proposal, "decided", gov, meeting)


@pytest.fixture
def public(gov: dict[str, Any], meeting: Meeting) -> Proposal:
    return to_state(make_proposal(gov["initiative"], title="Openbare datadeling"), "decided", gov, meeting)


def test_pages_show_only_that_a_confidential_decision_was_taken(
    gov: dict[str, Any], secret: Proposal, public: Proposal, meeting: Meeting
) -> None:
    decision = secret.decisions.get()
    pages = [
        "/governance/besluiten/",
        f"/governance/besluiten/{decision.pk}/",
        f"/governance/voorstellen/{secret.pk}/",
        "/governance/voorstellen/",
        f"/governance/vergaderingen/{meeting.pk}/",
    ]
    for who in (None, gov["outsider"], gov["member"], gov["coordinator"]):
        c = client(who)
        for url in pages:
            html = c.get(url).content.decode()
            assert SECRET_TITLE not in html, (who, url)
        log = c.get("/governance/besluiten/").content.decode()
        assert "Besluit genomen (vertrouwelijk)" in log and "Openbare datadeling" in log
        detail = c.get(f"/governance/besluiten/{decision.pk}/").content.decode()
        assert "Personele gevolgen" in detail and SECRET_TEXT not in detail
    html = client(gov["steering"]).get(f"/governance/voorstellen/{secret.pk}/").content.decode()
    assert SECRET_TITLE in html


def test_atom_feed_lists_decisions_and_hides_confidential_content(
    gov: dict[str, Any], secret: Proposal, public: Proposal
) -> None:
    # Even a member of a body fetching the feed gets the public version (feeds are shared).
    r = client(gov["steering"]).get("/governance/besluiten/feed/")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/atom+xml")
    text = r.content.decode()
    assert SECRET_TITLE not in text
    assert text.count(SECRET_TEXT) == 1  # only the public decision's text
    root = ElementTree.fromstring(r.content)  # noqa: S314 (our own feed)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = [e.findtext("a:title", namespaces=ns) for e in root.findall("a:entry", ns)]
    assert sorted(titles) == sorted(
        ["Besluit genomen (vertrouwelijk)", "aangenomen met wijzigingen: Openbare datadeling"]
    )


def test_atom_feed_gives_readers_decision_text_as_text_never_live_html(
    gov: dict[str, Any], public: Proposal
) -> None:
    """Issue 13, defect 6: `<summary type="html">` escaped once made feed readers render markup."""
    import feedparser

    payload = '<img src=x onerror="alert(1)"><script>alert(2)</script><b>vet</b>'
    public.decisions.update(text=payload, reasons="")
    r = client().get("/governance/besluiten/feed/")
    parsed = feedparser.parse(r.content)
    assert not parsed.bozo, parsed.bozo_exception
    [entry] = [e for e in parsed.entries if "Openbare datadeling" in e.title]
    # A reader takes the summary as plain text and shows the characters as typed.
    assert entry.summary_detail.type == "text/plain"
    assert entry.summary == payload
    assert entry.title_detail.type == "text/plain"


def test_search_never_finds_confidential_decisions(
    gov: dict[str, Any], secret: Proposal, public: Proposal
) -> None:
    outbox_apply()
    backend = get_backend()
    for word in ("reorganisatie", "verkenning", "datadeling"):
        hits = backend.query(SearchQuery(text=word, types=["decision"], viewer_keys=None)).hits
        titles = [h.title for h in hits]
        assert SECRET_TITLE not in titles
        if word != "reorganisatie":
            assert titles == ["Openbare datadeling"]


def test_exports_never_contain_confidential_content(
    gov: dict[str, Any], secret: Proposal, public: Proposal
) -> None:
    for viewer in (viewer_for(None), viewer_for(gov["admin"])):
        for fmt in ("json", "jsonld"):
            out = io.StringIO()
            export_atlas(out, viewer=viewer, fmt=fmt)
            text = out.getvalue()
            assert SECRET_TITLE not in text and "Openbare datadeling" in text
    out = io.StringIO()
    export_atlas(out, viewer=viewer_for(None), fmt="json")
    decisions = json.loads(out.getvalue())["decisions"]
    masked = [d for d in decisions if d["confidential"]]
    assert masked and masked[0]["text"] is None and masked[0]["confidential_reason"] == "Personele gevolgen"


def test_page_answers_409_with_a_clear_message_and_changes_nothing(gov: dict[str, Any]) -> None:
    proposal = make_proposal(gov["initiative"])
    events = Event.objects.count()
    r = client(gov["chair"]).post(f"/governance/voorstellen/{proposal.pk}/stap/", {"to": "follow_up"})
    assert r.status_code == 409
    assert "Deze stap kan niet" in r.content.decode() and "concept" in r.content.decode()
    proposal.refresh_from_db()
    assert proposal.state == "draft" and Event.objects.count() == events


def test_page_refuses_a_step_with_403_and_bad_input_with_400(gov: dict[str, Any], meeting: Meeting) -> None:
    proposal = to_state(make_proposal(gov["initiative"]), "scheduled", gov, meeting)
    r = client(gov["initiative"]).post(f"/governance/voorstellen/{proposal.pk}/stap/", {"to": "decided"})
    assert r.status_code == 403
    r = client(gov["chair"]).post(
        f"/governance/voorstellen/{proposal.pk}/stap/", {"to": "decided", "outcome": "rejected"}
    )
    assert r.status_code == 400
    html = r.content.decode()
    assert "Schrijf de besluittekst." in html and "Geef de overwegingen bij dit besluit." in html
    proposal.refresh_from_db()
    assert proposal.state == "scheduled"


def test_signal_form_shows_field_errors(gov: dict[str, Any]) -> None:
    r = client(gov["member"]).post(
        "/governance/signalen/nieuw/", {"kind": "", "title": "", "description": "", "regions": "XX9999"}
    )
    assert r.status_code == 400
    html = r.content.decode()
    assert 'id="form-errors"' in html and "plek-field--invalid" in html
    assert client().get("/governance/signalen/nieuw/").status_code == 302


def test_list_pages_use_a_fixed_number_of_queries(
    gov: dict[str, Any], meeting: Meeting, django_assert_max_num_queries: Any
) -> None:
    for i in range(30):
        s = make_signal(gov["outsider"], title=f"Signaal {i}", regions=["GM0363"])
        p = make_proposal(gov["initiative"], [s], title=f"Voorstel {i}")
        if i < 6:
            to_state(p, "decided", gov, meeting)
    c = client(gov["initiative"])
    for url in (
        "/governance/signalen/",
        "/governance/voorstellen/",
        "/governance/besluiten/",
        "/governance/vergaderingen/",
        "/governance/standaarden/",
        "/governance/",
    ):
        with django_assert_max_num_queries(14):
            assert c.get(url).status_code == 200


def test_icalendar_export_parses_and_follows_rfc5545(gov: dict[str, Any]) -> None:
    start = timezone.now().replace(microsecond=0) + dt.timedelta(days=3)
    long_title = "Stuurgroep; besluiten, over data\\kennis — " + "é" * 60
    m = Meeting.objects.create(
        title=long_title, starts_at=start, ends_at=start + dt.timedelta(hours=2), location="Utrecht, Stadhuis"
    )
    r = client().get("/governance/vergaderingen.ics")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/calendar")
    raw = r.content
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    cal = icalendar.Calendar.from_ical(raw)
    events = list(cal.walk("VEVENT"))
    assert len(events) == 1
    event = events[0]
    assert str(event["SUMMARY"]) == long_title and str(event["LOCATION"]) == "Utrecht, Stadhuis"
    assert event.decoded("DTSTART") == start and str(event["UID"]).startswith(f"meeting-{m.pk}@")
    one = client().get(f"/governance/vergaderingen/{m.pk}.ics")
    assert icalendar.Calendar.from_ical(one.content).walk("VEVENT")[0]["SUMMARY"] == long_title
    assert b"SUMMARY:Stuurgroep\\; besluiten\\, over data\\\\kennis" in raw  # RFC 5545 TEXT escaping


def test_digest_emails_followers_and_masks_confidential(gov: dict[str, Any], meeting: Meeting) -> None:
    signal = make_signal(gov["outsider"])  # the raiser follows it
    services.follow(viewer=v(gov["member"]), target="signal", target_id=signal.pk, frequency="daily")
    secret = make_proposal(
        gov["initiative"], title=SECRET_TITLE, confidential=True, confidential_reason="Personeel"
    )
    to_state(secret, "submitted", gov, meeting)
    services.follow(viewer=v(gov["member"]), target="proposal", target_id=secret.pk, frequency="daily")
    Follow.objects.filter(user=gov["member"]).update(last_sent_at=timezone.now() - dt.timedelta(hours=1))
    services.signal_transition(viewer=v(gov["initiative"]), signal=signal, to_state="review")
    to_state(secret, "scheduled", gov, meeting)

    mail.outbox.clear()
    out = io.StringIO()
    call_command("governance_digest", "--daily", stdout=out)
    assert [m.to for m in mail.outbox] == [["member@example.org"]]
    body = mail.outbox[0].body
    assert signal.title in body and "new → review" in body
    assert SECRET_TITLE not in body and "Vertrouwelijk voorstel" in body
    mail.outbox.clear()
    call_command("governance_digest", "--daily", stdout=out)
    assert mail.outbox == []  # nothing new since the last digest
    call_command("governance_digest", "--weekly", stdout=out)
    weekly = {m.to[0]: m.body for m in mail.outbox}
    assert set(weekly) == {"outsider@example.org", "initiative@example.org"}  # the raiser, the author
    assert SECRET_TITLE in weekly["initiative@example.org"]  # a member of a body sees it


def test_follow_and_unfollow_from_the_page(gov: dict[str, Any]) -> None:
    signal = make_signal(gov["outsider"])
    c = client(gov["member"])
    r = c.post(
        "/governance/volgen/",
        {
            "target": "signal",
            "target_id": signal.pk,
            "frequency": "daily",
            "next": f"/governance/signalen/{signal.pk}/",
        },
    )
    assert r.status_code == 302 and Follow.objects.filter(user=gov["member"], frequency="daily").exists()
    c.post("/governance/volgen/", {"target": "signal", "target_id": signal.pk, "stop": "1"})
    assert not Follow.objects.filter(user=gov["member"]).exists()
    draft = make_proposal(gov["initiative"])
    r = c.post("/governance/volgen/", {"target": "proposal", "target_id": draft.pk})
    assert r.status_code == 404
    assert (
        client().post("/governance/volgen/", {"target": "signal", "target_id": signal.pk}).status_code == 302
    )
    assert not Follow.objects.filter(user=gov["member"]).exists()


def test_standard_page_shows_consultation_and_adoption_overview(gov: dict[str, Any], hub: Any) -> None:
    standard = make_standard(gov["initiative"])
    version = standard.versions.get()
    ini = client(gov["initiative"])
    assert (
        ini.post(f"/governance/standaarden/{standard.slug}/v1/stap/", {"to": "consultation"}).status_code
        == 302
    )
    r = client(gov["member"]).post(
        f"/governance/standaarden/{standard.slug}/v1/reactie/",
        {"section": "terugkoppeling", "text": "Te kort."},
    )
    assert r.status_code == 302
    r = client(gov["member"]).post(
        f"/governance/standaarden/{standard.slug}/v1/reactie/", {"section": "x", "text": ""}
    )
    assert r.status_code == 400
    r = client(gov["chair"]).post(
        f"/governance/standaarden/{standard.slug}/v1/stap/",
        {"to": "adopted", "decision_text": "Vastgesteld."},
    )
    assert r.status_code == 302
    r = client(gov["coordinator"]).post(
        f"/governance/standaarden/{standard.slug}/zelfevaluatie/{hub.slug}/",
        {"met_0": "1", "evidence_0": "Intakeformulier", "evidence_1": ""},
    )
    assert r.status_code == 302
    assert (
        client(gov["member"])
        .get(f"/governance/standaarden/{standard.slug}/zelfevaluatie/{hub.slug}/")
        .status_code
        == 403
    )
    html = client().get(f"/governance/standaarden/{standard.slug}/").content.decode()
    assert "Te kort." not in html or "Een deelnemer" in html
    assert hub.name in html and "1 / 2" in html
    version.refresh_from_db()
    assert version.state == "adopted"


def test_draft_edit_page(gov: dict[str, Any]) -> None:
    proposal = make_proposal(gov["initiative"])
    url = f"/governance/voorstellen/{proposal.pk}/bewerken/"
    assert client(gov["initiative"]).get(url).status_code == 200
    assert client(gov["steering"]).get(url).status_code == 403
    assert client(gov["outsider"]).get(url).status_code == 404  # drafts are not visible to outsiders
    r = client(gov["initiative"]).post(
        url,
        {
            "title": "",
            "rationale": "r",
            "expected_effect": "e",
            "decision_requested": "d",
            "confidential": "on",
        },
    )
    assert r.status_code == 400 and 'id="form-errors"' in r.content.decode()
    proposal.refresh_from_db()
    assert proposal.title == "Regionale datadeelafspraken" and not proposal.confidential


def test_a_decision_marked_confidential_makes_the_proposal_confidential(
    gov: dict[str, Any], meeting: Meeting
) -> None:
    proposal = to_state(make_proposal(gov["initiative"], title="Open begonnen"), "scheduled", gov, meeting)
    services.proposal_transition(
        viewer=v(gov["chair"]),
        proposal=proposal,
        to_state="decided",
        outcome="adopted",
        decision_text="Geheim besluit.",
        confidential=True,
        confidential_reason="Lopende onderhandelingen",
    )
    proposal.refresh_from_db()
    assert proposal.confidential and proposal.confidential_reason == "Lopende onderhandelingen"
    for url in (
        f"/governance/voorstellen/{proposal.pk}/",
        "/governance/besluiten/",
        "/governance/besluiten/feed/",
        f"/api/v1/governance/proposals/{proposal.pk}",
        "/api/v1/governance/decisions",
    ):
        text = client(gov["member"]).get(url).content.decode()
        assert "Open begonnen" not in text and "Geheim besluit." not in text, url
        if url != "/governance/besluiten/":  # the list links to the decision page, which gives the reason
            assert "Lopende onderhandelingen" in text, url
