"""Issue 13, defect 7: passing a barrier on from a private learning trajectory made a public signal
with the learning question and a link made from the private title, without a warning. Now the
contributor must confirm (page checkbox, API `confirmPublic`), and only the barrier text goes."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from plek.atlas.models import Hub
from plek.core.errors import ValidationFailed
from plek.learning import services
from plek.learning.models import BarrierHandoff
from plek.learning.tests.conftest import add_item, make_trajectory

pytestmark = pytest.mark.django_db

PRIVATE_TITLE = "Geheime herstructurering Veenkoloniën"
QUESTION = "Hoe houden we de reorganisatie stil tot de raad beslist?"
BARRIER = "Budgetten zijn per programma verkokerd."


@pytest.fixture
def private_item(hub: Hub) -> Any:
    trajectory = make_trajectory(hub=hub, title=PRIVATE_TITLE, visibility="private")
    return add_item(trajectory, text=QUESTION, barrier=BARRIER)


def _public_text(path: str) -> str:
    """What an anonymous visitor reads at `path` and in the public signal list (page and API)."""
    c = Client()
    pages = [c.get(path), c.get("/governance/signalen/"), c.get("/api/v1/governance/signals")]
    for r in pages:
        assert r.status_code == 200, (r.request["PATH_INFO"], r.status_code)
    return "\n".join(r.content.decode() for r in pages)


def test_service_refuses_without_confirmation_and_sends_only_the_barrier(
    viewers: dict[str, Any], private_item: Any
) -> None:
    trajectory = private_item.trajectory
    with pytest.raises(ValidationFailed) as exc:
        services.barrier_pass_on(viewer=viewers["admin"], item=private_item)
    assert "confirm_public" in exc.value.errors
    assert "besloten" in exc.value.errors["confirm_public"][0]
    assert not BarrierHandoff.objects.exists()

    handoff = services.barrier_pass_on(viewer=viewers["admin"], item=private_item, confirm_public=True)
    assert handoff.signal_url
    text = _public_text(handoff.signal_url)
    assert BARRIER in text
    for secret in (PRIVATE_TITLE, QUESTION, trajectory.slug, "Veenkolon"):
        assert secret not in text, secret


def test_page_warns_and_needs_the_checkbox(cast: dict[str, Any], private_item: Any) -> None:
    trajectory = private_item.trajectory
    c = Client()
    c.force_login(cast["admin"])
    item_page = f"/leertrajecten/{trajectory.slug}/agenda/{private_item.number}/"
    html = c.get(item_page).content.decode()
    assert 'id="private-warning"' in html and 'name="confirm_public"' in html
    url = f"/leertrajecten/{trajectory.slug}/agenda/{private_item.number}/doorgeven/"
    r = c.post(url, follow=True)
    assert "besloten" in r.content.decode()
    assert not BarrierHandoff.objects.exists()
    c.post(url, {"confirm_public": "1"})
    assert BarrierHandoff.objects.filter(item=private_item).count() == 1


def test_api_answers_422_naming_confirm_public(cast: dict[str, Any], private_item: Any) -> None:
    trajectory = private_item.trajectory
    c = Client()
    c.force_login(cast["admin"])
    path = f"/api/v1/learning-trajectories/{trajectory.slug}/agenda-items/{private_item.number}/signal"
    r = c.post(path)
    assert r.status_code == 422, r.content
    assert r["Content-Type"].startswith("application/problem+json")
    assert "confirmPublic" in r.content.decode()
    assert not BarrierHandoff.objects.exists()
    r = c.post(path + "?confirmPublic=true")
    assert r.status_code in (200, 201), r.content
    assert BarrierHandoff.objects.filter(item=private_item).count() == 1


def test_a_public_trajectory_passes_on_without_confirmation(viewers: dict[str, Any], hub: Hub) -> None:
    item = add_item(make_trajectory(hub=hub, title="Open traject"), barrier=BARRIER)
    handoff = services.barrier_pass_on(viewer=viewers["admin"], item=item)
    assert handoff.signal_url
