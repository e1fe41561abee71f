"""Attachments over the API: an upload (multipart/form-data) through the edit page's service with the
page's checks (type by content, size, zip bombs), and removal through the page's service. The
permission matrix of both; a refused or bad request leaves no row and no file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from plek.knowledge.models import Attachment, KnowledgeItem
from plek.knowledge.tests.pdf_fixture import pdf_with_text

pytestmark = pytest.mark.django_db
CAST = ("anonymous", "outsider", "member", "coordinator", "admin")
ALLOWED = ("member", "coordinator", "admin")  # its author, the owning hub's coordinators, administrators


def client(user: Any) -> Client:
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def problem(response: Any, status: int) -> set[str]:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == "application/problem+json"
    return {p["name"] for p in response.json().get("invalidParams") or []}


@pytest.fixture
def item(cast: dict[str, Any], hub: Any) -> KnowledgeItem:
    body = {"title": "Bodemdaling in het veen", "kind": "case", "visibility": "public"}
    r = client(cast["member"]).post("/api/v1/knowledge", json.dumps(body), content_type="application/json")
    assert r.status_code == 201, r.content
    return KnowledgeItem.objects.get(slug=r.json()["slug"])


def _files() -> list[tuple[Any, ...]]:
    return list(Attachment.objects.order_by("pk").values_list("pk", "original_name", "size"))


@pytest.mark.parametrize("role", CAST)
def test_uploading_permission_matrix(cast: dict[str, Any], item: KnowledgeItem, role: str) -> None:
    before = (_files(), item.version)
    pdf = SimpleUploadedFile("rapport.pdf", pdf_with_text("Veenoxidatie"))
    r = client(cast[role]).post(f"/api/v1/knowledge/{item.slug}/attachments", {"file": pdf})
    if role in ALLOWED:
        assert r.status_code == 201, r.content
        attachment = Attachment.objects.get()
        assert r.json() == {
            "id": attachment.pk,
            "name": "rapport.pdf",
            "contentType": "application/pdf",
            "size": attachment.size,
            "url": f"http://testserver/kennis/{item.slug}/bijlagen/{attachment.pk}/",
        }
        assert r["Location"] == r.json()["url"]
        detail = Client().get(f"/api/v1/knowledge/{item.slug}").json()
        assert (detail["attachments"], detail["version"]) == ([r.json()], item.version)  # text unchanged
    else:
        problem(r, 401 if role == "anonymous" else 403)
        assert (_files(), KnowledgeItem.objects.get(pk=item.pk).version) == before


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("virus.pdf", Path("/bin/ls").read_bytes()[:100_000], "niet aanvaard"),
        ("foto.png", pdf_with_text("x"), "past niet"),
        ("leeg.pdf", b"", "leeg"),
    ],
)
def test_a_refused_upload_names_file_and_saves_nothing(
    cast: dict[str, Any], item: KnowledgeItem, name: str, data: bytes, words: str
) -> None:
    r = client(cast["member"]).post(
        f"/api/v1/knowledge/{item.slug}/attachments", {"file": SimpleUploadedFile(name, data)}
    )
    assert problem(r, 422) == {"file"}
    assert words in r.content.decode()
    assert _files() == []


def test_an_upload_needs_a_file_and_the_size_bound_holds(
    cast: dict[str, Any], item: KnowledgeItem, settings: Any
) -> None:
    c = client(cast["member"])
    assert "file" in problem(c.post(f"/api/v1/knowledge/{item.slug}/attachments", {"other": "x"}), 400)
    settings.PLEK_UPLOAD_MAX_BYTES = 1000
    big = SimpleUploadedFile("groot.pdf", pdf_with_text("x" * 2000))
    r = c.post(f"/api/v1/knowledge/{item.slug}/attachments", {"file": big})
    assert problem(r, 422) == {"file"} and "maximum" in r.content.decode()
    assert _files() == []
    problem(c.post("/api/v1/knowledge/geen-item/attachments", {"file": big}), 404)


@pytest.mark.parametrize("role", CAST)
def test_removing_permission_matrix(cast: dict[str, Any], item: KnowledgeItem, role: str) -> None:
    pdf = SimpleUploadedFile("rapport.pdf", pdf_with_text("Veenoxidatie"))
    made = client(cast["member"]).post(f"/api/v1/knowledge/{item.slug}/attachments", {"file": pdf})
    pk = made.json()["id"]
    r = client(cast[role]).delete(f"/api/v1/knowledge/{item.slug}/attachments/{pk}")
    if role in ALLOWED:
        assert r.status_code == 204, r.content
        assert _files() == []
        problem(client(cast[role]).delete(f"/api/v1/knowledge/{item.slug}/attachments/{pk}"), 404)
    else:
        problem(r, 401 if role == "anonymous" else 403)
        assert [f[0] for f in _files()] == [pk]
