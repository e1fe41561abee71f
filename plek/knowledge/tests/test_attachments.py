"""Uploads: type checked by content, size limit, text extracted; refused uploads save nothing."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from plek.knowledge.attachments import AttachmentRefused, check_upload
from plek.knowledge.models import Attachment, KnowledgeItem
from plek.knowledge.tests.pdf_fixture import pdf_with_text


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def docx_bytes(text: str) -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_a_pdf_is_accepted_and_its_text_extracted() -> None:
    meta, _ = check_upload(upload("rapport.pdf", pdf_with_text("Waterberging in de polder")))
    assert meta.content_type == "application/pdf"
    assert "Waterberging" in meta.text


def test_a_docx_and_a_csv_are_accepted() -> None:
    meta, _ = check_upload(upload("notitie.docx", docx_bytes("Stikstofdepositie rond de Veluwe")))
    assert "Stikstofdepositie" in meta.text
    meta, _ = check_upload(upload("metingen.csv", b"gebied;waarde\nGM0363;12\n"))
    assert meta.content_type == "text/csv" and "GM0363" in meta.text


def test_an_executable_renamed_to_pdf_is_refused() -> None:
    with pytest.raises(AttachmentRefused):
        check_upload(upload("rapport.pdf", Path("/bin/ls").read_bytes()[:200_000]))
    with pytest.raises(AttachmentRefused):
        check_upload(upload("rapport.pdf", b"MZ\x90\x00" + b"\x00" * 2000))  # a Windows executable


def test_a_name_that_lies_about_the_content_is_refused() -> None:
    with pytest.raises(AttachmentRefused, match="past niet"):
        check_upload(upload("foto.png", pdf_with_text("x")))


def test_an_oversized_upload_is_refused(settings: Any) -> None:
    settings.PLEK_UPLOAD_MAX_BYTES = 1000
    with pytest.raises(AttachmentRefused, match="maximum"):
        check_upload(upload("groot.pdf", pdf_with_text("x" * 2000)))


@pytest.mark.django_db
def test_a_refused_upload_through_the_page_saves_nothing(cast: dict[str, Any], hub: Any) -> None:
    client = Client()
    client.force_login(cast["member"])
    data = {
        "title": "Nieuwe kennis",
        "kind": "case",
        "language": "nl",
        "scale": "local",
        "visibility": "public",
        "provenance": "made_here",
        "licence": "CC BY 4.0",
        "file": SimpleUploadedFile("virus.pdf", Path("/bin/ls").read_bytes()[:100_000]),
    }
    before = (KnowledgeItem.objects.count(), Attachment.objects.count())
    response = client.post("/kennis/nieuw/", data)
    assert response.status_code == 422
    assert "niet aanvaard" in response.content.decode()
    assert (KnowledgeItem.objects.count(), Attachment.objects.count()) == before
    data["file"] = SimpleUploadedFile("rapport.pdf", pdf_with_text("Bodemdaling"))
    response = client.post("/kennis/nieuw/", data)
    assert response.status_code == 302
    item = KnowledgeItem.objects.get(title="Nieuwe kennis")
    assert item.attachments.get().text.strip().startswith("Bodemdaling")
    download = client.get(f"/kennis/{item.slug}/bijlagen/{item.attachments.get().pk}/")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
