"""Pages: forms with clear messages (never a 500), the agenda's history view, exports, fixed query
counts on lists."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from plek.learning.models import AgendaItem, AgendaVersion, BarrierHandoff, Trajectory
from plek.learning.tests.conftest import add_item, change_item, make_trajectory

D = dt.date
pytestmark = pytest.mark.django_db


def _client(user: Any = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_creating_a_trajectory_from_the_page(cast: dict[str, Any], hub: Any) -> None:
    client = _client(cast["member"])
    response = client.post(
        "/leertrajecten/nieuw/",
        {
            "title": "Bodemdaling Groene Hart",
            "area_process": "Veenweideprogramma",
            "goal": "Leren over bodemdaling",
            "phase": "exploration",
            "started_on": "2024-03-01",
            "regions": ["PV27"],
            "visibility": "hub",
            "owner_hub": hub.slug,
        },
    )
    t = Trajectory.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/leertrajecten/{t.slug}/"
    assert t.owner_hub == hub and t.created_by == cast["member"]


def test_bad_trajectory_input_answers_422_with_messages_and_saves_nothing(cast: dict[str, Any]) -> None:
    client = _client(cast["member"])
    response = client.post(
        "/leertrajecten/nieuw/",
        {
            "title": "",
            "started_on": "2024-05-01",
            "ended_on": "2024-04-01",
            "regions": ["XX0000"],
            "phase": "x",
        },
    )
    assert response.status_code == 422
    body = response.content.decode()
    for message in (
        "Dit veld is verplicht.",
        "De einddatum ligt vóór de startdatum.",
        "XX0000",
        'id="form-errors"',
    ):
        assert message in body
    assert Trajectory.objects.count() == 0


@pytest.mark.parametrize(("role", "status"), [("anonymous", 302), ("outsider", 403), ("member", 403)])
def test_who_may_not_add_to_the_agenda_gets_a_refusal_and_nothing_changes(
    cast: dict[str, Any], trajectory: Trajectory, role: str, status: int
) -> None:
    response = _client(cast[role]).post(
        f"/leertrajecten/{trajectory.slug}/agenda/nieuw/",
        {"kind": "question", "text": "Hoe?", "status": "new"},
    )
    assert response.status_code == status
    assert AgendaItem.objects.count() == 0


def test_changing_an_item_from_the_page_keeps_its_history(
    cast: dict[str, Any], trajectory: Trajectory
) -> None:
    item = add_item(trajectory, day=D(2024, 2, 1))
    client = _client(cast["coordinator"])
    url = f"/leertrajecten/{trajectory.slug}/agenda/{item.number}/wijzigen/"
    page = client.get(url)
    assert page.status_code == 200 and item.text in page.content.decode()
    bad = client.post(
        url, {"kind": "question", "text": item.text, "status": "active", "valid_from": "2024-01-15"}
    )
    assert bad.status_code == 422 and "vóór de vorige wijziging" in bad.content.decode()
    ok = client.post(
        url,
        {
            "kind": "question",
            "text": item.text,
            "status": "active",
            "valid_from": "2024-03-01",
            "actions": "Meten | Jan | 2024-04-01",
            "note": "Opgepakt",
        },
    )
    assert ok.status_code == 302
    assert AgendaVersion.objects.filter(item=item).count() == 2
    detail = client.get(f"/leertrajecten/{trajectory.slug}/agenda/{item.number}/").content.decode()
    assert "Opgepakt" in detail and "2024-03-01" in detail


def test_the_agenda_page_shows_the_agenda_as_of_a_date_and_the_changes_between_two_dates(
    trajectory: Trajectory,
) -> None:
    item = add_item(trajectory, text="Eerste formulering", day=D(2024, 2, 1))
    change_item(item, day=D(2024, 5, 1), text="Tweede formulering", status="active")
    client = _client()
    early = client.get(f"/leertrajecten/{trajectory.slug}/agenda/?op=2024-03-01").content.decode()
    assert "Eerste formulering" in early and "Tweede formulering" not in early
    late = client.get(f"/leertrajecten/{trajectory.slug}/agenda/?op=2024-06-01").content.decode()
    assert "Tweede formulering" in late and "Eerste formulering" not in late
    diff = client.get(
        f"/leertrajecten/{trajectory.slug}/agenda/?van=2024-03-01&tot=2024-06-01"
    ).content.decode()
    assert "<del>Eerste formulering</del>" in diff and "<ins>Tweede formulering</ins>" in diff


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("op=gisteren", "geen geldige datum"),
        ("van=2024-06-01&tot=2024-01-01", "ligt na de einddatum"),
        ("van=2024-13-01&tot=2024-01-01", "geen geldige datum"),
    ],
)
def test_bad_dates_on_the_agenda_page_answer_400_with_a_message(
    trajectory: Trajectory, query: str, message: str
) -> None:
    response = _client().get(f"/leertrajecten/{trajectory.slug}/agenda/?{query}")
    assert response.status_code == 400
    assert message in response.content.decode()


def test_passing_a_barrier_on_from_the_page(cast: dict[str, Any], trajectory: Trajectory) -> None:
    item = add_item(trajectory, barrier="Regels verschillen per gemeente.")
    url = f"/leertrajecten/{trajectory.slug}/agenda/{item.number}/doorgeven/"
    assert _client(cast["member"]).post(url).status_code == 403
    assert not BarrierHandoff.objects.exists()
    response = _client(cast["coordinator"]).post(url, {"next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"].startswith("/leertrajecten/")
    assert BarrierHandoff.objects.filter(item=item).exists()


def test_exports_hold_the_agenda_history_timeline_and_quotes(
    cast: dict[str, Any], trajectory: Trajectory
) -> None:
    item = add_item(trajectory, text="Hoe houden we water vast?", day=D(2024, 2, 1))
    change_item(item, day=D(2024, 5, 1), status="active")
    client = _client(cast["coordinator"])
    client.post(
        f"/leertrajecten/{trajectory.slug}/tijdlijn/gebeurtenis/nieuw/",
        {
            "date": "2024-04-01",
            "kind": "turning_point",
            "title": "Kantelpunt",
            "significance": "Alles anders",
        },
    )
    client.post(
        f"/leertrajecten/{trajectory.slug}/tijdlijn/citaat/nieuw/",
        {"text": "Toen viel het kwartje.", "speaker": "", "commentary": "Het begin van het leren."},
    )
    data = json.loads(_client().get(f"/leertrajecten/{trajectory.slug}/export.json").content)
    assert [v["status"] for v in data["agenda"][0]["versions"]] == ["new", "active"]
    assert data["timeline"][0]["title"] == "Kantelpunt"
    assert data["quotes"] == [
        {
            "text": "Toen viel het kwartje.",
            "speaker": None,
            "commentary": "Het begin van het leren.",
            "date": None,
        }
    ]
    markdown = _client().get(f"/leertrajecten/{trajectory.slug}/export.md")
    assert markdown["Content-Type"].startswith("text/markdown")
    text = markdown.content.decode()
    assert "# Zoetwater in de Kop" in text and "> Toen viel het kwartje." in text and "— anoniem" in text
    history = _client().get(f"/leertrajecten/{trajectory.slug}/leergeschiedenis/").content.decode()
    assert "Toen viel het kwartje." in history and "Het begin van het leren." in history


def test_user_text_is_sanitised(cast: dict[str, Any], trajectory: Trajectory) -> None:
    client = _client(cast["coordinator"])
    response = client.post(
        f"/leertrajecten/{trajectory.slug}/sessies/nieuw/",
        {
            "kind": "reflection",
            "title": "<b>Sessie</b>",
            "date": "2024-03-01",
            "notes": "Hallo <script>alert(1)</script> **vet**",
        },
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "<script>alert(1)" not in page and "<strong>vet</strong>" in page and "&lt;b&gt;Sessie" in page


def test_lists_use_a_fixed_number_of_queries(
    trajectory: Trajectory, hub: Any, django_assert_max_num_queries: Any
) -> None:
    from plek.learning.tests.test_lessons import make_lesson

    for n in range(12):
        t = make_trajectory(
            title=f"Traject {n}", hub=hub, regions=("PV27", "PV30"), themes=("water-bodem", "stikstof")
        )
        add_item(t, barrier=f"Verkokerde budgetten {n}")
        make_lesson(t, title=f"Les {n}")
    client = _client()
    for url in (
        "/leertrajecten/",
        "/lessen/",
        "/leren/drempels/",
        "/api/v1/learning-trajectories?pageSize=50",
        "/api/v1/lessons?pageSize=50",
    ):
        with django_assert_max_num_queries(14):
            assert client.get(url).status_code == 200


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_pages_render_in_dutch_and_english(trajectory: Trajectory, lang: str) -> None:
    add_item(trajectory)
    client = _client()
    client.cookies["django_language"] = lang
    body = client.get(f"/leertrajecten/{trajectory.slug}/agenda/?lang={lang}").content.decode()
    assert ("Leeragenda" if lang == "nl" else "Learning agenda") in body


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/leertrajecten/{slug}/agenda/99999999999999999999/", 404),
        ("/leertrajecten/{slug}/sessies/99999999999999999999/", 404),
        ("/leertrajecten/onbekend/", 404),
        ("/lessen/nieuw/?traject=onbekend", 404),
        ("/leertrajecten/?pagina=abc", 200),
        ("/api/v1/learning-trajectories/{slug}/agenda-items/99999999999999999999", 400),
        ("/api/v1/learning-trajectories?pageSize=1000", 400),
        ("/api/v1/lessons?page=0", 400),
    ],
)
def test_odd_requests_get_a_clear_answer_never_a_500(
    cast: dict[str, Any], trajectory: Trajectory, path: str, status: int
) -> None:
    response = _client(cast["coordinator"]).get(path.format(slug=trajectory.slug))
    assert response.status_code == status
