"""The knowledge base and search in API v1: who may write, who sees what (in lists, details,
related items, search results, totals and facet counts), bad input, bounded queries and safe HTML."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from plek.accounts.services import api_token_create
from plek.atlas.models import Hub, HubMembership, Organisation, Person, Region, Theme
from plek.core.models import ChangeLog
from plek.knowledge.indexing import reindex
from plek.knowledge.models import Attachment, KnowledgeItem, KnowledgeVersion
from plek.knowledge.search import reset_backends

API = "/api/v1"


# ---- fixtures and helpers ------------------------------------------------------------------------------


@pytest.fixture
def index(settings: Any, tmp_path: Any) -> Iterator[None]:
    """A fresh search index of its own for the test, on the engine the suite runs with (tantivy, or
    PostgreSQL with PLEK_SEARCH_BACKEND=postgres: its rows roll back with the test)."""
    settings.PLEK_SEARCH_DIR = str(tmp_path / "search")
    reset_backends()
    yield
    reset_backends()


@pytest.fixture
def users(cast: dict[str, Any], hub: Hub, other_hub: Hub, django_user_model: Any) -> dict[str, Any]:
    """The cast plus a second member of the hub (not the author) and a coordinator elsewhere."""
    extra = {
        "member2": (hub, HubMembership.Role.MEMBER),
        "elsewhere": (other_hub, HubMembership.Role.COORDINATOR),
    }
    out = dict(cast)
    for name, (h, role) in extra.items():
        user = django_user_model.objects.create_user(username=name, email=f"{name}@example.org", password="x")
        HubMembership.objects.create(hub=h, user=user, role=role)
        out[name] = user
    return out


def client_for(users: dict[str, Any], role: str) -> Client:
    client = Client()
    if users.get(role) is not None:
        client.force_login(users[role])
    return client


def send(client: Client, method: str, path: str, body: Any = None) -> Any:
    if body is None:
        return getattr(client, method)(f"{API}{path}")
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return getattr(client, method)(f"{API}{path}", data=data, content_type="application/json")


def is_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.content[:600])
    assert response["Content-Type"].startswith("application/problem+json")
    assert response["API-Version"] == "1.0.0"
    body: dict[str, Any] = response.json()
    assert body["status"] == status and {"type", "title", "detail"} <= set(body)
    return body


def param_names(body: dict[str, Any]) -> set[str]:
    return {p["name"] for p in body.get("invalidParams", [])}


def make_item(slug: str, **kw: Any) -> KnowledgeItem:
    themes = kw.pop("themes", [])
    regions = kw.pop("regions", [])
    kw.setdefault("kind", "lesson")
    kw.setdefault("category", KnowledgeItem.CATEGORY_OF[kw["kind"]])
    kw.setdefault("title", slug.replace("-", " ").capitalize())
    item = KnowledgeItem.objects.create(slug=slug, **kw)
    item.themes.set(Theme.objects.filter(slug__in=themes))
    item.regions.set(Region.objects.filter(code__in=regions))
    return item


def state(item: KnowledgeItem) -> dict[str, Any]:
    """Everything a write could change, to show that a refused one changed nothing."""
    fresh = KnowledgeItem.objects.get(pk=item.pk)
    row = {f.attname: getattr(fresh, f.attname) for f in KnowledgeItem._meta.concrete_fields}
    row["themes"] = sorted(fresh.themes.values_list("slug", flat=True))
    row["regions"] = sorted(fresh.regions.values_list("code", flat=True))
    row["versions"] = fresh.versions.count()
    row["history"] = ChangeLog.objects.count()
    return row


NEW_ITEM = {
    "title": "Lessen uit de polder",
    "kind": "lesson",
    "summary": "Wat een waterschap leerde over kwel.",
    "body": "## Aanpak\n\nEerst **meten**, dan pas *ingrijpen*.",
    "language": "nl",
    "date": "2024-05-01",
    "themes": ["water-bodem"],
    "regions": ["GM0363"],
    "scale": "local",
    "identifiers": {"doi": "10.1234/abc", "url": "https://example.org/les"},
    "licence": "CC BY 4.0",
    "provenance": {"kind": "imported", "sourceName": "Kennisbank X", "sourceIdentifier": "x-42"},
    "visibility": "public",
}

ANON, OUT, MEMBER, COORD, ADMIN = "anonymous", "outsider", "member", "coordinator", "admin"


# ---- writes: permission matrix ------------------------------------------------------------------------

CREATE = {ANON: 401, OUT: 403, MEMBER: 201, COORD: 201, ADMIN: 201, "elsewhere": 201}


@pytest.mark.parametrize("role", list(CREATE))
def test_create_permissions(users: dict[str, Any], hub: Hub, role: str) -> None:
    before = (KnowledgeItem.objects.count(), ChangeLog.objects.count(), KnowledgeVersion.objects.count())
    response = send(client_for(users, role), "post", "/knowledge", NEW_ITEM)
    expected = CREATE[role]
    if expected != 201:
        is_problem(response, expected)
        if expected == 401:
            assert response["WWW-Authenticate"].startswith("Bearer")
        after = (KnowledgeItem.objects.count(), ChangeLog.objects.count(), KnowledgeVersion.objects.count())
        assert after == before
        return
    assert response.status_code == 201, response.content[:600]
    body = response.json()
    assert response["Location"].endswith(f"/api/v1/knowledge/{body['slug']}")
    assert response["API-Version"] == "1.0.0"
    item = KnowledgeItem.objects.get(slug=body["slug"])
    assert item.created_by == users[role]
    assert item.category == "practice" and body["category"] == "practice"
    assert item.source_name == "Kennisbank X" and item.doi == "10.1234/abc"
    if role == MEMBER:
        assert body["ownerHub"] == hub.slug  # the only hub of the member
    log = ChangeLog.objects.latest("pk")
    assert log.action == "create" and log.source == "api"
    assert item.versions.count() == 1


UPDATE = {ANON: 401, OUT: 403, "member2": 403, "elsewhere": 403, MEMBER: 200, COORD: 200, ADMIN: 200}
DELETE = {ANON: 401, OUT: 403, "member2": 403, "elsewhere": 403, MEMBER: 403, COORD: 204, ADMIN: 204}


@pytest.fixture
def authored(users: dict[str, Any], hub: Hub) -> KnowledgeItem:
    """A public item written by `member`, kept by the hub."""
    item = make_item(
        "kwel-in-de-polder",
        title="Kwel in de polder",
        summary="Oud",
        owner_hub=hub,
        created_by=users[MEMBER],
        themes=["water-bodem"],
        regions=["GM0363"],
    )
    KnowledgeVersion.objects.create(item=item, version=1, title=item.title, summary=item.summary)
    return item


@pytest.mark.parametrize("role", list(UPDATE))
def test_update_permissions(users: dict[str, Any], authored: KnowledgeItem, role: str) -> None:
    before = state(authored)
    response = send(client_for(users, role), "patch", f"/knowledge/{authored.slug}", {"summary": "Nieuw"})
    if UPDATE[role] != 200:
        is_problem(response, UPDATE[role])
        assert state(authored) == before
        return
    assert response.status_code == 200, response.content[:600]
    body = response.json()
    assert body["summary"] == "Nieuw" and body["version"] == 2
    assert body["title"] == "Kwel in de polder"  # unchanged: PATCH starts from current values
    assert [t["slug"] for t in body["themes"]] == ["water-bodem"]
    assert [r["code"] for r in body["regions"]] == ["GM0363"]
    assert ChangeLog.objects.latest("pk").source == "api"


@pytest.mark.parametrize("role", list(DELETE))
def test_delete_permissions(users: dict[str, Any], authored: KnowledgeItem, role: str) -> None:
    before = state(authored)
    response = send(client_for(users, role), "delete", f"/knowledge/{authored.slug}")
    if DELETE[role] != 204:
        is_problem(response, DELETE[role])
        assert state(authored) == before
        return
    assert response.status_code == 204 and response.content == b""
    assert not KnowledgeItem.objects.filter(pk=authored.pk).exists()
    assert ChangeLog.objects.latest("pk").action == "delete"


def test_write_with_bearer_token(users: dict[str, Any]) -> None:
    _, raw = api_token_create(user=users[MEMBER], name="script")
    response = Client().post(
        f"{API}/knowledge",
        data=json.dumps(NEW_ITEM),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert response.status_code == 201, response.content[:300]
    bad = Client().post(
        f"{API}/knowledge",
        data=json.dumps(NEW_ITEM),
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer plek_wrong",
    )
    is_problem(bad, 401)


def test_hidden_item_answers_404_to_writers_who_cannot_see_it(users: dict[str, Any], hub: Hub) -> None:
    item = make_item("alleen-de-hub", visibility="hub", owner_hub=hub)
    before = state(item)
    for role in (OUT, "elsewhere"):
        is_problem(send(client_for(users, role), "patch", f"/knowledge/{item.slug}", {"title": "x"}), 404)
        is_problem(send(client_for(users, role), "delete", f"/knowledge/{item.slug}"), 404)
    assert state(item) == before


# ---- writes: content -------------------------------------------------------------------------------------


def test_representation_round_trip(users: dict[str, Any], hub: Hub) -> None:
    person = Person.objects.create(slug="jet", name="Jet", visibility="public")
    hidden = Person.objects.create(slug="geheim", name="Geheim", visibility="private")
    org = Organisation.objects.create(slug="waterschap", name="Waterschap", kind="water_board")
    # A writer cannot name (or probe for) a person they may not see.
    probe = {**NEW_ITEM, "authors": {"people": ["jet", "geheim"], "organisations": ["waterschap"]}}
    refused = send(client_for(users, MEMBER), "post", "/knowledge", probe)
    assert refused.status_code == 422 and "authors.people" in refused.content.decode()
    body = {**NEW_ITEM, "authors": {"people": ["jet"], "organisations": ["waterschap"]}}
    created = send(client_for(users, MEMBER), "post", "/knowledge", body)
    assert created.status_code == 201, created.content[:600]
    slug = created.json()["slug"]
    item = KnowledgeItem.objects.get(slug=slug)
    item.author_people.add(hidden)  # e.g. added by an administrator
    Attachment.objects.create(
        item=item,
        file="kennis/x/notitie.pdf",
        original_name="notitie.pdf",
        content_type="application/pdf",
        size=1234,
        text="geheim",
    )

    got = send(client_for(users, ANON), "get", f"/knowledge/{slug}")
    assert got.status_code == 200 and got["API-Version"] == "1.0.0"
    data = got.json()
    assert data["uuid"] == str(item.uuid)
    assert data["title"] == NEW_ITEM["title"] and data["kind"] == "lesson" and data["category"] == "practice"
    assert data["body"] == NEW_ITEM["body"]
    assert "<h2>Aanpak</h2>" in data["bodyHtml"] and "<strong>meten</strong>" in data["bodyHtml"]
    assert data["date"] == "2024-05-01" and data["language"] == "nl" and data["scale"] == "local"
    assert data["authors"] == {
        "people": [{"slug": "jet", "name": "Jet"}],  # the private person is left out
        "organisations": [{"slug": "waterschap", "name": "Waterschap"}],
    }
    assert data["themes"][0]["slug"] == "water-bodem" and data["regions"][0]["code"] == "GM0363"
    assert data["identifiers"] == {
        "doi": "10.1234/abc",
        "handle": "",
        "isbn": "",
        "url": "https://example.org/les",
    }
    assert data["provenance"] == {
        "kind": "imported",
        "sourceName": "Kennisbank X",
        "sourceIdentifier": "x-42",
        # issue 12: provenance rows of harvested items (none for an item made through the API)
        "localFields": [],
        "withdrawnAt": None,
        "sources": [],
    }
    assert data["visibility"] == "public" and data["version"] == 1 and data["licence"] == "CC BY 4.0"
    [att] = data["attachments"]
    assert att["name"] == "notitie.pdf" and att["contentType"] == "application/pdf" and att["size"] == 1234
    assert att["url"].startswith("http") and att["url"].endswith(f"/kennis/{slug}/bijlagen/{att['id']}/")
    for stamp in ("createdAt", "updatedAt"):
        assert re.search(r"(Z|[+-]\d\d:\d\d)$", data[stamp]), data[stamp]  # time zone included
    # the admin sees the private author too
    admin_view = send(client_for(users, ADMIN), "get", f"/knowledge/{slug}").json()
    assert {p["slug"] for p in admin_view["authors"]["people"]} == {"jet", "geheim"}
    assert person.pk and hidden.pk and org.pk


def test_patch_keeps_what_it_does_not_send(users: dict[str, Any], authored: KnowledgeItem) -> None:
    client = client_for(users, COORD)
    authored.doi, authored.isbn = "10.1/x", "9789012345678"
    authored.save()
    response = send(client, "patch", f"/knowledge/{authored.slug}", {"identifiers": {"handle": "11.2/y"}})
    assert response.status_code == 200, response.content[:600]
    data = response.json()
    assert data["identifiers"] == {"doi": "10.1/x", "handle": "11.2/y", "isbn": "9789012345678", "url": ""}
    assert data["version"] == 1  # the text did not change
    assert data["ownerHub"] == "kennishub-test"
    response = send(
        client,
        "patch",
        f"/knowledge/{authored.slug}",
        {"body": "Nieuwe tekst", "themes": [], "date": None, "ownerHub": None},
    )
    data = response.json()
    assert data["version"] == 2 and data["themes"] == [] and data["date"] is None and data["ownerHub"] is None
    assert data["identifiers"]["handle"] == "11.2/y" and [r["code"] for r in data["regions"]] == ["GM0363"]


def test_invalid_fields_are_422_naming_them(users: dict[str, Any]) -> None:
    before = KnowledgeItem.objects.count()
    bad = {
        "title": "",
        "kind": "gossip",
        "regions": ["XX9999"],
        "themes": ["geen-thema"],
        "authors": {"people": ["niemand"]},
        "identifiers": {"url": "geen url"},
        "provenance": {"kind": "harvested"},
        "visibility": "everyone",
        "ownerHub": "kennishub-elders",  # not one of the member's hubs
    }
    body = is_problem(send(client_for(users, MEMBER), "post", "/knowledge", bad), 422)
    assert body["type"] == "urn:plek:problem:validation-failed"
    assert param_names(body) == {
        "title",
        "kind",
        "regions",
        "themes",
        "authors.people",
        "identifiers.url",
        "provenance.sourceName",
        "visibility",
        "ownerHub",
    }
    assert KnowledgeItem.objects.count() == before


def test_patch_validation_names_nested_fields(users: dict[str, Any], authored: KnowledgeItem) -> None:
    before = state(authored)
    body = is_problem(
        send(
            client_for(users, COORD),
            "patch",
            f"/knowledge/{authored.slug}",
            {"provenance": {"kind": "harvested"}, "regions": ["GM0363", "ZZ0000"]},
        ),
        422,
    )
    assert param_names(body) == {"provenance.sourceName", "regions"}
    assert state(authored) == before


@pytest.mark.parametrize(
    ("body", "names"),
    [
        ("{not json", {"body"}),
        ({"kind": "lesson"}, {"title"}),  # required property missing
        ({"title": "x", "kind": "lesson", "colour": "red"}, {"colour"}),  # unknown property
        ({"title": "x", "kind": "lesson", "identifiers": {"orcid": "1"}}, {"identifiers.orcid"}),
        ({"title": "x", "kind": "lesson", "regions": "GM0363"}, {"regions"}),  # wrong JSON type
        ({"title": "x", "kind": "lesson", "date": "31-12-2024"}, {"date"}),
        ({"title": "x", "kind": "lesson", "authors": None}, {"authors"}),
    ],
)
def test_bad_body_is_400(users: dict[str, Any], body: Any, names: set[str]) -> None:
    response = send(client_for(users, MEMBER), "post", "/knowledge", body)
    problem = is_problem(response, 400)
    assert names <= param_names(problem), problem
    if body == "{not json":
        assert problem["type"] == "urn:plek:problem:malformed-body"
    assert not KnowledgeItem.objects.exists()


def test_patch_refuses_null_for_required_properties(users: dict[str, Any], authored: KnowledgeItem) -> None:
    before = state(authored)
    for patch in ({"title": None}, {"identifiers": None}, {"identifiers": {"doi": None}}):
        problem = is_problem(
            send(client_for(users, COORD), "patch", f"/knowledge/{authored.slug}", patch), 400
        )
        assert param_names(problem)
    assert state(authored) == before


def test_unknown_slug_is_404(users: dict[str, Any]) -> None:
    client = client_for(users, ADMIN)
    for method, path, body in (
        ("get", "/knowledge/bestaat-niet", None),
        ("get", "/knowledge/bestaat-niet/related", None),
        ("patch", "/knowledge/bestaat-niet", {"title": "x"}),
        ("delete", "/knowledge/bestaat-niet", None),
    ):
        is_problem(send(client, method, path, body), 404)


def test_markdown_is_sanitised(users: dict[str, Any], index: None) -> None:
    evil = (
        "<script>alert('x')</script>\n\n[klik](javascript:alert(1))\n\n<img src=x onerror=alert(1)>\n\n"
        '<a href="https://evil.example" onclick="steal()">link</a>'
    )
    response = send(
        client_for(users, MEMBER),
        "post",
        "/knowledge",
        {
            "title": "<script>alert(1)</script> Titel",
            "kind": "story",
            "body": evil,
            "summary": "<b onmouseover=x>kwel</b> script",
        },
    )
    assert response.status_code == 201, response.content[:500]
    html = response.json()["bodyHtml"]
    assert response.json()["body"] == evil  # the source comes back as written
    assert "<script" not in html and "<img" not in html and '<a href="https://evil' not in html
    assert 'href="javascript:' not in html and not re.search(r"<[a-z]+[^>]* on[a-z]+=", html)
    assert "&lt;script&gt;" in html  # shown as text, not run
    reindex()
    hits = send(Client(), "get", "/search?q=kwel+script").json()["items"]
    assert hits and all("<script" not in h["snippet"] and "<b " not in h["snippet"] for h in hits)


# ---- reads: lists and filters --------------------------------------------------------------------------


def test_list_filters(users: dict[str, Any]) -> None:
    make_item(
        "in-amsterdam",
        kind="case",
        regions=["GM0363"],
        themes=["waterberging"],
        date=dt.date(2021, 3, 1),
        scale="local",
    )
    make_item(
        "in-noord-holland",
        kind="report",
        regions=["PV27"],
        themes=["energie"],
        date=dt.date(2022, 3, 1),
        language="en",
    )
    make_item(
        "in-drenthe",
        kind="policy_document",
        regions=["PV22"],
        themes=["water-bodem"],
        date=dt.date(2022, 6, 1),
        scale="national",
    )
    client = client_for(users, ANON)

    def slugs(query: str) -> list[str]:
        response = send(client, "get", f"/knowledge{query}")
        assert response.status_code == 200, response.content[:400]
        return [i["slug"] for i in response.json()["items"]]

    assert slugs("") == ["in-drenthe", "in-noord-holland", "in-amsterdam"]  # newest first
    assert slugs("?region=PV27") == ["in-noord-holland", "in-amsterdam"]  # contained regions too
    assert slugs("?region=gm0363") == ["in-amsterdam"]
    assert slugs("?theme=water-bodem") == ["in-drenthe", "in-amsterdam"]  # sub-themes too
    assert slugs("?kind=case") == ["in-amsterdam"]
    assert slugs("?category=research") == ["in-noord-holland"]
    assert slugs("?category=policy&scale=national") == ["in-drenthe"]
    assert slugs("?language=en") == ["in-noord-holland"]
    assert slugs("?year=2022") == ["in-drenthe", "in-noord-holland"]
    assert slugs("?region=PV27&theme=water-bodem") == ["in-amsterdam"]
    page = send(client, "get", "/knowledge?pageSize=2").json()
    assert page["total"] == 3 and page["pageSize"] == 2 and "page=2" in page["next"]
    assert send(client, "get", "/knowledge?pageSize=2&page=2").json()["next"] is None


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/knowledge?region=ZZ99", "region"),
        ("/knowledge?theme=geen-thema", "theme"),
        ("/knowledge?kind=gossip", "kind"),
        ("/knowledge?category=fiction", "category"),
        ("/knowledge?scale=galactic", "scale"),
        ("/knowledge?year=vorig-jaar", "year"),
        ("/knowledge?language=xx", "language"),
        ("/knowledge?pageSize=101", "pageSize"),
        ("/knowledge?page=0", "page"),
        ("/knowledge/x/related?limit=99", "limit"),
        ("/search?region=ZZ99", "region"),
        ("/search?theme=geen-thema", "theme"),
        ("/search?type=thing", "type"),
        ("/search?scale=galactic", "scale"),
        ("/search?year=twintig", "year"),
        ("/search?language=xx", "language"),
        ("/search?sort=random", "sort"),
        ("/search?pageSize=500", "pageSize"),
        ("/search?page=501", "page"),
    ],
)
def test_bad_parameters_are_400_naming_them(users: dict[str, Any], index: None, path: str, name: str) -> None:
    make_item("x")
    body = is_problem(send(client_for(users, MEMBER), "get", path), 400)
    assert param_names(body) == {name}, body


def test_list_queries_do_not_grow_with_page_size(users: dict[str, Any], hub: Hub) -> None:
    people = [Person.objects.create(slug=f"auteur-{i}", name=f"Auteur {i}") for i in range(3)]
    orgs = [Organisation.objects.create(slug=f"org-{i}", name=f"Org {i}", kind="company") for i in range(2)]
    for i in range(60):
        item = make_item(
            f"item-{i:02d}",
            themes=["water-bodem", "waterberging"],
            regions=["GM0363", "PV27"],
            owner_hub=hub,
            date=dt.date(2020, 1, 1) + dt.timedelta(days=i),
        )
        item.author_people.set(people)
        item.author_organisations.set(orgs)
        Attachment.objects.create(
            item=item,
            file=f"kennis/{i}.pdf",
            original_name=f"{i}.pdf",
            content_type="application/pdf",
            size=10,
        )
    for path in ("/knowledge", "/knowledge?region=PV27&theme=water-bodem&year=2020"):
        for role in (ANON, MEMBER):
            counts = {}
            for size in (5, 50):
                client = client_for(users, role)
                sep = "&" if "?" in path else "?"
                with CaptureQueriesContext(connection) as ctx:
                    response = send(client, "get", f"{path}{sep}pageSize={size}")
                assert response.status_code == 200, response.content[:300]
                assert len(response.json()["items"]) == size
                counts[size] = len(ctx.captured_queries)
            assert counts[5] == counts[50], (path, role, counts)
            assert counts[50] <= 16, (path, role, counts)


# ---- visibility everywhere --------------------------------------------------------------------------------

TEXT = "Kwelwater en bodemdaling in de veenpolder: meten, peilbeheer en samenwerking met boeren."
ITEMS = ("open", "leden", "hub", "prive")
SEES = {
    ANON: {"open"},
    OUT: {"open", "leden"},
    "elsewhere": {"open", "leden"},
    MEMBER: {"open", "leden", "hub", "prive"},  # the member wrote the private one
    COORD: {"open", "leden", "hub"},
    ADMIN: set(ITEMS),
}


@pytest.fixture
def spread(users: dict[str, Any], hub: Hub, index: None) -> dict[str, KnowledgeItem]:
    common = {"themes": ["water-bodem"], "regions": ["GM0363"], "summary": TEXT, "body": TEXT * 3}
    items = {
        "open": make_item("open", title="Kwelwater open", visibility="public", kind="case", **common),
        "leden": make_item("leden", title="Kwelwater leden", visibility="members", kind="report", **common),
        "hub": make_item(
            "hub", title="Kwelwater hub", visibility="hub", owner_hub=hub, kind="dataset", **common
        ),
        "prive": make_item(
            "prive",
            title="Kwelwater prive",
            visibility="private",
            owner_hub=hub,
            created_by=users[MEMBER],
            kind="method",
            language="en",
            date=dt.date(2019, 1, 1),
            **common,
        ),
    }
    reindex()
    return items


@pytest.mark.parametrize("role", list(SEES))
def test_visibility_in_every_read(users: dict[str, Any], spread: dict[str, KnowledgeItem], role: str) -> None:
    client = client_for(users, role)
    sees = SEES[role]

    listed = send(client, "get", "/knowledge").json()
    assert {i["slug"] for i in listed["items"]} == sees and listed["total"] == len(sees)

    for name in ITEMS:
        response = send(client, "get", f"/knowledge/{name}")
        if name in sees:
            assert response.status_code == 200
        else:
            is_problem(response, 404)
            is_problem(send(client, "get", f"/knowledge/{name}/related"), 404)

    for query in (
        "/search?q=kwelwater",
        "/search?q=kwelwater&type=knowledge",
        "/search?q=veenpolder&region=PV27",
        "/search?type=knowledge&sort=date",
        "/search?q=kwelwater&theme=water-bodem",
    ):
        found = send(client, "get", query).json()
        knowledge = {h["slug"] for h in found["items"] if h["type"] == "knowledge"}
        assert knowledge == sees, (query, knowledge)
        facets = found["facets"]
        assert {f["value"]: f["count"] for f in facets["type"]}.get("knowledge") == len(sees), query
        kinds = {f["value"]: f["count"] for f in facets["kind"]}
        assert set(kinds) & {spread[n].kind for n in ITEMS} == {spread[n].kind for n in sees}, query
        assert ("en" in {f["value"] for f in facets["language"]}) == ("prive" in sees), query
        assert ("2019" in {f["value"] for f in facets["year"]}) == ("prive" in sees), query
        if "type=knowledge" in query:
            assert found["total"] == len(sees) and sum(kinds.values()) == len(sees), query

    related = send(client, "get", "/knowledge/open/related").json()["items"]
    assert {r["slug"] for r in related} == sees - {"open"}


def test_index_follows_api_writes(
    users: dict[str, Any], index: None, hub: Hub, django_capture_on_commit_callbacks: Any
) -> None:
    reindex()
    member = client_for(users, MEMBER)
    with django_capture_on_commit_callbacks(execute=True):
        created = send(
            member,
            "post",
            "/knowledge",
            {**NEW_ITEM, "title": "Zoutindringing bij de kust", "visibility": "hub", "ownerHub": hub.slug},
        )
    assert created.status_code == 201
    slug = created.json()["slug"]
    assert [h["slug"] for h in send(member, "get", "/search?q=zoutindringing").json()["items"]] == [slug]
    assert send(Client(), "get", "/search?q=zoutindringing").json()["total"] == 0
    assert send(client_for(users, OUT), "get", "/search?q=zoutindringing").json()["total"] == 0

    with django_capture_on_commit_callbacks(execute=True):
        assert send(member, "patch", f"/knowledge/{slug}", {"visibility": "public"}).status_code == 200
    assert send(Client(), "get", "/search?q=zoutindringing").json()["total"] == 1

    with django_capture_on_commit_callbacks(execute=True):
        assert send(client_for(users, COORD), "delete", f"/knowledge/{slug}").status_code == 204
    assert send(member, "get", "/search?q=zoutindringing").json()["total"] == 0


# ---- search ---------------------------------------------------------------------------------------------------


def test_search_says_when_totals_are_estimates(
    users: dict[str, Any], index: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL counts its first SAMPLE matches exactly and estimates beyond them (SAMPLE is 1 here, so
    four matches are beyond it); tantivy always counts exactly. The API says which (`totalEstimated`),
    on the "all" tab and on one type, and the page says "ongeveer" / "about" before the total and the
    facet counts only for an estimate."""
    from plek.knowledge.search import get_backend, postgres_backend

    monkeypatch.setattr(postgres_backend, "SAMPLE", 1)
    for i in range(4):
        make_item(f"kwel-{i}", title=f"Kwel {i}", summary="Kwel en grondwater", themes=["waterberging"])
    reindex()
    estimated = get_backend().name == "postgres"
    client = Client()
    for query in ("q=kwel", "q=kwel&type=knowledge"):
        found = send(client, "get", f"/search?{query}").json()
        assert found["totalEstimated"] is estimated, query
        assert len(found["items"]) == 4
        if not estimated:
            assert found["total"] == 4
    exact = send(client, "get", "/search?q=grondwater&type=knowledge&theme=waterberging&pageSize=1").json()
    assert exact["totalEstimated"] is estimated
    page = client.get("/zoeken/?q=kwel").content.decode()
    english = client.get("/zoeken/?q=kwel&lang=en", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    if estimated:
        assert re.search(r"ongeveer \d+ resultaten", page) and "(ongeveer " in page
        assert re.search(r"about \d+ results", english) and "(about " in english
    else:
        assert "4 resultaten" in page and "ongeveer" not in page
        assert "4 results" in english and "about 4" not in english


def test_search_response(users: dict[str, Any], index: None) -> None:
    make_item(
        "gemeente-kwel",
        title="Kwel in Amsterdam",
        summary="Kwel en grondwater",
        regions=["GM0363"],
        themes=["waterberging"],
        date=dt.date(2023, 2, 1),
    )
    make_item(
        "provincie-kwel",
        title="Kwel in Noord-Holland",
        summary="Kwel en grondwater",
        regions=["PV27"],
        themes=["water-bodem"],
        date=dt.date(2024, 2, 1),
    )
    Person.objects.create(
        slug="kwelkenner",
        name="Kwelkenner",
        expertise="kwel",
        visibility="public",
        expertise_visibility="public",
    )
    reindex()
    client = Client()

    found = send(client, "get", "/search?q=kwel&region=GM0363").json()
    assert found["page"] == 1 and found["pageSize"] == 25 and found["next"] is None
    assert found["relaxed"] is False
    hits = {h["slug"]: h for h in found["items"]}
    assert set(hits) == {"gemeente-kwel", "provincie-kwel"}
    assert hits["gemeente-kwel"]["reach"] == "direct" and hits["provincie-kwel"]["reach"] == "broader"
    hit = hits["gemeente-kwel"]
    assert hit["type"] == "knowledge" and hit["kind"] == "lesson" and hit["date"] == "2023-02-01"
    assert "<mark>" in hit["snippet"] and isinstance(hit["score"], float)
    assert hit["regions"] == [{"code": "GM0363", "name": "Amsterdam", "kind": "municipality"}]
    assert {t["slug"] for t in hit["themes"]} == {"waterberging", "water-bodem"}  # with the parent theme
    assert hit["url"].endswith("/api/v1/knowledge/gemeente-kwel")
    assert send(client, "get", hit["url"].split("/api/v1")[1]).status_code == 200

    narrower = send(client, "get", "/search?q=kwel&region=PV27&type=knowledge").json()
    assert {h["slug"]: h["reach"] for h in narrower["items"]} == {
        "gemeente-kwel": "narrower",
        "provincie-kwel": "direct",
    }
    regions = {f["value"]: f for f in narrower["facets"]["region"]}
    assert regions["GM0363"]["label"] == "Amsterdam" and regions["GM0363"]["count"] == 1
    assert {f["value"]: f["label"] for f in narrower["facets"]["theme"]}["water-bodem"]
    assert set(narrower["facets"]) == {"type", "theme", "region", "scale", "kind", "year", "language"}

    everything = send(client, "get", "/search?q=kwel").json()
    people = [h for h in everything["items"] if h["type"] == "person"]
    assert people and people[0]["url"].endswith("/api/v1/people/kwelkenner") and people[0]["reach"] is None

    by_date = send(client, "get", "/search?q=kwel&type=knowledge&sort=date").json()["items"]
    assert [h["slug"] for h in by_date] == ["provincie-kwel", "gemeente-kwel"]
    assert [h["slug"] for h in send(client, "get", "/search?q=kwel&year=2023").json()["items"]] == [
        "gemeente-kwel"
    ]
    assert send(client, "get", "/search?q=kwel&theme=waterberging").json()["total"] == 1

    paged = send(client, "get", "/search?q=kwel&type=knowledge&pageSize=1").json()
    assert paged["total"] == 2 and len(paged["items"]) == 1 and "page=2" in paged["next"]
    second = send(client, "get", "/search?q=kwel&type=knowledge&pageSize=1&page=2").json()
    assert second["next"] is None and second["items"][0]["slug"] != paged["items"][0]["slug"]

    relaxed = send(client, "get", "/search?q=kwel+zeppelin&type=knowledge").json()
    assert relaxed["relaxed"] is True and relaxed["total"] == 2


def test_query_length(users: dict[str, Any], index: None) -> None:
    body = is_problem(send(Client(), "get", "/search?q=" + "a" * 10_000), 400)
    assert param_names(body) == {"q"}
    assert send(Client(), "get", "/search?q=" + "a" * 501).status_code == 400
    ok = send(Client(), "get", "/search?q=" + "kwel " * 100)  # exactly 500 characters
    assert ok.status_code == 200 and ok["API-Version"] == "1.0.0"


@pytest.mark.parametrize(
    "q",
    [
        '"',
        "*",
        "(",
        ":",
        "-",
        "AND",
        '" * ( : - AND',
        "((kwel",
        '"kwel',
        "kwel:",
        "title:kwel",
        "-kwel",
        "kwel OR",
        "NOT",
        "***",
        "a*b*c",
        "\\",
        "[]{}^~",
        "kwel AND OR NOT",
        "%",
        "é ß ∑ 😀",
        "'; DROP TABLE x;--",
    ],
)
def test_query_syntax_never_fails(index: None, ref: None, q: str) -> None:
    make_item("kwel", title="Kwel", summary="Kwel in de polder")
    reindex()
    response = Client().get(f"{API}/search", {"q": q})
    assert response.status_code == 200, (q, response.content[:300])
    assert set(response.json()) >= {"items", "total", "facets", "relaxed"}


def test_empty_query_lists_everything_visible_newest_first(users: dict[str, Any], index: None) -> None:
    make_item("oud", date=dt.date(2001, 1, 1))
    make_item("nieuw", date=dt.date(2025, 1, 1))
    make_item("verborgen", date=dt.date(2026, 1, 1), visibility="private")
    reindex()
    found = send(Client(), "get", "/search?type=knowledge").json()
    assert [h["slug"] for h in found["items"]] == ["nieuw", "oud"] and found["total"] == 2
