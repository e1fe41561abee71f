"""Pages: the permission matrix for writes, hidden fields, bad input, and bounded queries."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from plek.atlas.models import Hub, Network, Organisation, Person, Programme, Region
from plek.core.models import ChangeLog

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "outsider", "member", "coordinator", "admin"]


def client_for(user: Any) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def state() -> tuple[Any, ...]:
    return (
        list(Organisation.objects.values_list("slug", "name", "description").order_by("pk")),
        list(Network.objects.values_list("slug", "name").order_by("pk")),
        list(Person.objects.values_list("slug", "name", "email").order_by("pk")),
        list(Hub.objects.values_list("slug", "name", "introduction").order_by("pk")),
        list(Programme.objects.values_list("slug", "name").order_by("pk")),
        ChangeLog.objects.count(),
    )


@pytest.fixture
def things(cast: dict[str, Any], hub: Hub) -> dict[str, Any]:
    nh = Region.objects.get(code="PV27")
    org = Organisation.objects.create(
        slug="org-a", name="Org A", kind="company", owner_hub=hub, created_by=cast["member"]
    )
    org.regions.set([nh])
    net = Network.objects.create(slug="net-a", name="Netwerk A", scale="regional", owner_hub=hub)
    person = Person.objects.create(slug="pers-a", name="Persoon A", owner_hub=hub, email="a@example.org")
    prog = Programme.objects.create(slug="prog-a", name="Programma A")
    return {
        "organisaties": org,
        "netwerken": net,
        "kennishouders": person,
        "kennishubs": hub,
        "programmas": prog,
    }


CREATE_DATA = {
    "organisaties": {"name": "Nieuwe Org", "kind": "company", "visibility": "public", "regions": ["GM0363"]},
    "netwerken": {"name": "Nieuw Netwerk", "kind": "learning", "scale": "local", "visibility": "public"},
    "kennishouders": {
        "name": "Nieuwe Persoon",
        "visibility": "public",
        "contact_visibility": "private",
        "affiliation_visibility": "public",
        "expertise_visibility": "public",
        "regions_visibility": "public",
    },
    "kennishubs": {"name": "Nieuwe Hub", "regions": ["PV22"]},
    "programmas": {"name": "Nieuw Programma", "status": "active", "scale": "national"},
}
# Who may create, edit and delete each kind through the pages.
MAY_CREATE = {
    "organisaties": {"member", "coordinator", "admin"},
    "netwerken": {"member", "coordinator", "admin"},
    "kennishouders": {"member", "coordinator", "admin"},
    "kennishubs": {"admin"},
    "programmas": {"admin"},
}
MAY_EDIT = {
    "organisaties": {"member", "coordinator", "admin"},  # the member wrote it
    "netwerken": {"coordinator", "admin"},
    "kennishouders": {"coordinator", "admin"},
    "kennishubs": {"coordinator", "admin"},
    "programmas": {"admin"},
}
MAY_DELETE = {
    "organisaties": {"coordinator", "admin"},
    "netwerken": {"coordinator", "admin"},
    "kennishouders": {"coordinator", "admin"},
    "kennishubs": {"admin"},
    "programmas": {"admin"},
}


@pytest.mark.parametrize("plural", list(CREATE_DATA))
@pytest.mark.parametrize("role", ROLES)
def test_create_matrix(plural: str, role: str, cast: dict[str, Any], things: dict[str, Any]) -> None:
    before = state()
    response = client_for(cast[role]).post(f"/{plural}/nieuw/", CREATE_DATA[plural])
    if role in MAY_CREATE[plural]:
        assert response.status_code == 302, response.content[:2000]
        assert state() != before
        assert ChangeLog.objects.filter(action="create").exists()
    else:
        assert response.status_code in (302, 403)
        if response.status_code == 302:
            assert "/accounts/inloggen/" in response["Location"]
        assert state() == before


@pytest.mark.parametrize("plural", list(CREATE_DATA))
@pytest.mark.parametrize("role", ROLES)
def test_edit_matrix(plural: str, role: str, cast: dict[str, Any], things: dict[str, Any]) -> None:
    obj = things[plural]
    data = dict(CREATE_DATA[plural], name="Gewijzigd")
    before = state()
    response = client_for(cast[role]).post(f"/{plural}/{obj.slug}/bewerken/", data)
    if role in MAY_EDIT[plural]:
        assert response.status_code == 302, response.content[:2000]
        obj.refresh_from_db()
        assert obj.name == "Gewijzigd"
        log = ChangeLog.objects.filter(action="update", object_id=obj.pk).first()
        assert log is not None and log.changes["name"]["new"] == "Gewijzigd"
    else:
        assert response.status_code in (302, 403)
        assert state() == before


@pytest.mark.parametrize("plural", list(CREATE_DATA))
@pytest.mark.parametrize("role", ROLES)
def test_delete_matrix(plural: str, role: str, cast: dict[str, Any], things: dict[str, Any]) -> None:
    obj = things[plural]
    before = state()
    response = client_for(cast[role]).post(f"/{plural}/{obj.slug}/verwijderen/")
    if role in MAY_DELETE[plural]:
        assert response.status_code == 302
        assert not type(obj).objects.filter(pk=obj.pk).exists()
        assert ChangeLog.objects.filter(action="delete", object_id=obj.pk).exists()
    else:
        assert response.status_code in (302, 403)
        assert state() == before


def test_it_shows_field_errors_and_saves_nothing(cast: dict[str, Any], things: dict[str, Any]) -> None:
    before = state()
    response = client_for(cast["member"]).post(
        "/organisaties/nieuw/", {"name": "", "kind": "nonsense", "website": "geen url", "regions": ["GM9999"]}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_name_error"' in html and 'aria-describedby="id_name_error"' in html
    assert "GM9999" in html
    assert 'aria-invalid="true"' in html
    assert state() == before


def test_private_person_fields_never_show(cast: dict[str, Any], hub: Hub) -> None:
    person = Person.objects.create(
        slug="anna",
        name="Anna Geheim",
        email="anna.geheim@example.org",
        expertise="stikstofgeheimen",
        contact_visibility="private",
        expertise_visibility="hub",
        owner_hub=hub,
        regions_visibility="public",
        account=cast["outsider"],
    )
    person.regions.set([Region.objects.get(code="GM0363")])
    for role, sees_email, sees_expertise in (
        ("anonymous", False, False),
        ("member", False, True),
        ("coordinator", False, True),
        ("admin", True, True),
        ("outsider", True, True),  # outsider is Anna's own account
    ):
        client = client_for(cast[role])
        for url in ("/kennishouders/anna/", "/kennishouders/", "/gebieden/GM0363/"):
            html = client.get(url).content.decode()
            assert "Anna Geheim" in html, (role, url)
            if url == "/kennishouders/anna/":
                assert ("anna.geheim@example.org" in html) == sees_email, role
                assert ("stikstofgeheimen" in html) == sees_expertise, role
            else:
                assert "anna.geheim@example.org" not in html


def test_history_is_for_coordinators_and_admins(cast: dict[str, Any], things: dict[str, Any]) -> None:
    client_for(cast["member"]).post(
        "/organisaties/org-a/bewerken/", dict(CREATE_DATA["organisaties"], name="X")
    )
    for role, ok in (("member", False), ("outsider", False), ("coordinator", True), ("admin", True)):
        response = client_for(cast[role]).get("/organisaties/org-a/geschiedenis/")
        assert (response.status_code == 200) == ok, role
        if ok:
            assert "X" in response.content.decode()


@pytest.mark.parametrize(
    "url", ["/kennishouders/", "/organisaties/", "/netwerken/", "/kennishubs/", "/programmas/"]
)
def test_list_pages_have_a_fixed_number_of_queries(url: str, cast: dict[str, Any], hub: Hub) -> None:
    region = Region.objects.get(code="GM0363")
    for i in range(30):
        o = Organisation.objects.create(slug=f"o{i}", name=f"Org {i}", kind="company")
        o.regions.set([region])
        p = Person.objects.create(slug=f"p{i}", name=f"P {i}", regions_visibility="public")
        p.regions.set([region])
        p.organisations.set([o])
        n = Network.objects.create(slug=f"n{i}", name=f"N {i}", scale="local")
        n.regions.set([region])
        h = Hub.objects.create(slug=f"h{i}", name=f"H {i}")
        h.regions.set([region])
    client = client_for(cast["member"])
    counts = []
    for size in (5, 30):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"{url}?per={size}&gebied=PV27").status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


@pytest.mark.parametrize(
    "url",
    [
        "/gebieden/GM9999/",
        "/gebieden/GM0363/drukte/?maanden=abc&vanaf=gisteren",
        "/kaart/?soort=xx&maat=yy",
        "/netwerk/?gebied=ZZ99&schaal=huge",
        "/kennishouders/?gebied=%00&thema=../../etc",
        "/kennishouders/?pagina=-4&per=100000",
        "/onbekend/",
        "/netwerken/niet-bestaand/",
    ],
)
def test_bad_input_never_gives_a_500(url: str, ref: None) -> None:
    assert Client().get(url).status_code in (200, 400, 404)


def test_health_reports_the_database(db: None) -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["checks"]["database"]["status"] == "ok"


def test_english_is_available(ref: None) -> None:
    client = Client()
    nl = client.get("/").content.decode()
    en = client.get("/?lang=en").content.decode()
    assert '<html lang="nl"' in nl and '<html lang="en"' in en
    assert "Kaart" in nl and "Map" in en
    assert '<html lang="en"' in client.get("/gebieden/PV27/").content.decode()  # remembered in a cookie


def test_a_person_downloads_and_erases_their_own_profile(cast: dict[str, Any], hub: Hub) -> None:
    me = cast["outsider"]
    person = Person.objects.create(
        slug="ik", name="Ik Zelf", email="ik@example.org", account=me, contact_visibility="private"
    )
    client = client_for(me)
    client.post(
        "/kennishouders/ik/bewerken/",
        {
            "name": "Ik Zelf",
            "email": "nieuw@example.org",
            "visibility": "public",
            "contact_visibility": "private",
            "affiliation_visibility": "public",
            "expertise_visibility": "public",
            "regions_visibility": "public",
        },
    )
    data = client.get("/kennishouders/ik/mijn-gegevens.json").json()
    assert data["email"] == "nieuw@example.org"
    assert data["history"] and data["history"][0]["changes"]["email"]["new"] == "nieuw@example.org"
    for role in ("anonymous", "member", "coordinator"):
        assert client_for(cast[role]).get("/kennishouders/ik/mijn-gegevens.json").status_code in (302, 403)
    assert client.post("/kennishouders/ik/verwijderen/").status_code == 302
    assert not Person.objects.filter(pk=person.pk).exists()
    logs = ChangeLog.objects.filter(object_id=person.pk, content_type__model="person")
    assert logs.exists()
    assert all("example.org" not in str(log.changes) and "Ik Zelf" not in log.object_repr for log in logs)


def test_relations_hide_what_the_viewer_may_not_see(cast: dict[str, Any], things: dict[str, Any]) -> None:
    from plek.atlas.models import Relation

    net, org = things["netwerken"], things["organisaties"]
    secret = Person.objects.create(slug="geheim", name="Geheime Persoon", visibility="private")
    Relation.objects.create(
        kind="works_with",
        source_type="network",
        source_id=net.pk,
        target_type="organisation",
        target_id=org.pk,
        source_note="openbare bron",
    )
    Relation.objects.create(
        kind="advises", source_type="person", source_id=secret.pk, target_type="network", target_id=net.pk
    )
    Relation.objects.create(
        kind="funds",
        source_type="organisation",
        source_id=org.pk,
        target_type="network",
        target_id=net.pk,
        visibility="private",
        source_note="vertrouwelijk",
    )
    anon = Client().get("/netwerken/net-a/").content.decode()
    assert "Org A" in anon and "openbare bron" in anon
    assert "Geheime Persoon" not in anon and "vertrouwelijk" not in anon
    admin = client_for(cast["admin"]).get("/netwerken/net-a/").content.decode()
    assert "Geheime Persoon" in admin and "vertrouwelijk" in admin


@pytest.mark.parametrize("role", ROLES)
def test_hub_membership_matrix(role: str, cast: dict[str, Any], hub: Hub, django_user_model: Any) -> None:
    from plek.atlas.models import HubMembership

    newcomer = django_user_model.objects.create_user(username="nieuw", email="nieuw@example.org")
    before = (sorted(HubMembership.objects.values_list("user__username", "role")), ChangeLog.objects.count())
    client = client_for(cast[role])
    page = client.get(f"/kennishubs/{hub.slug}/leden/")
    response = client.post(f"/kennishubs/{hub.slug}/leden/", {"user": "nieuw@example.org", "role": "member"})
    if role in ("coordinator", "admin"):
        assert page.status_code == 200 and "lid" in page.content.decode()
        assert response.status_code == 302
        assert HubMembership.objects.filter(hub=hub, user=newcomer, role="member").exists()
        assert ChangeLog.objects.count() == before[1] + 1
        client.post(f"/kennishubs/{hub.slug}/leden/", {"user": "nieuw", "role": ""})
        assert not HubMembership.objects.filter(hub=hub, user=newcomer).exists()
    else:
        assert page.status_code in (302, 403) and response.status_code in (302, 403)
        after = (
            sorted(HubMembership.objects.values_list("user__username", "role")),
            ChangeLog.objects.count(),
        )
        assert after == before


def test_a_hub_keeps_at_least_one_coordinator(cast: dict[str, Any], hub: Hub) -> None:
    from plek.atlas.models import HubMembership

    client = client_for(cast["coordinator"])
    response = client.post(f"/kennishubs/{hub.slug}/leden/", {"user": "coordinator", "role": "member"})
    assert response.status_code == 422 and "minstens één coördinator" in response.content.decode()
    assert HubMembership.objects.get(hub=hub, user=cast["coordinator"]).role == "coordinator"
    unknown = client.post(f"/kennishubs/{hub.slug}/leden/", {"user": "niemand", "role": "member"})
    assert unknown.status_code == 422 and "Geen account gevonden" in unknown.content.decode()
