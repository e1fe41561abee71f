"""Uploads: type checked by content, size limit, what a zip unpacks to; text extracted in the worker,
bounded in time and memory; refused uploads save nothing (no row, no file); an over-large request
is refused with 413 before its body is read."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from plek.knowledge.attachments import AttachmentRefused, check_upload, extract_text
from plek.knowledge.extraction import Limits, extract_bounded
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
    meta, data = check_upload(upload("rapport.pdf", pdf_with_text("Waterberging in de polder")))
    assert meta.content_type == "application/pdf"
    assert "Waterberging" in extract_text(meta.content_type, data)


def test_a_docx_and_a_csv_are_accepted() -> None:
    meta, data = check_upload(upload("notitie.docx", docx_bytes("Stikstofdepositie rond de Veluwe")))
    assert "Stikstofdepositie" in extract_text(meta.content_type, data)
    meta, data = check_upload(upload("metingen.csv", b"gebied;waarde\nGM0363;12\n"))
    assert meta.content_type == "text/csv" and "GM0363" in extract_text(meta.content_type, data)


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
def test_a_refused_upload_through_the_page_saves_nothing(
    cast: dict[str, Any], hub: Any, django_capture_on_commit_callbacks: Any
) -> None:
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
    with django_capture_on_commit_callbacks(execute=True):  # the worker extracts after the commit
        response = client.post("/kennis/nieuw/", data)
    assert response.status_code == 302
    item = KnowledgeItem.objects.get(title="Nieuwe kennis")
    assert item.attachments.get().text.strip().startswith("Bodemdaling")
    download = client.get(f"/kennis/{item.slug}/bijlagen/{item.attachments.get().pk}/")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"


def docx_bomb(unpacked_mb: int) -> bytes:
    """A valid DOCX whose document.xml unpacks to `unpacked_mb` MB from a few dozen KB."""
    import zipfile

    base = zipfile.ZipFile(io.BytesIO(docx_bytes("x")))
    out = io.BytesIO()
    paragraph = b"<w:p><w:r><w:t>" + b"A" * 1000 + b"</w:t></w:r></w:p>"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in base.infolist():
            data = base.read(info.filename)
            if info.filename == "word/document.xml":
                head, _, tail = data.partition(b"<w:body>")
                data = head + b"<w:body>" + paragraph * (unpacked_mb * 1024) + tail
            z.writestr(info.filename, data)
    return out.getvalue()


def _media_files(settings: Any) -> set[Path]:
    root = Path(settings.MEDIA_ROOT)
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


@pytest.mark.django_db
def test_a_decompression_bomb_is_refused_and_leaves_nothing_behind(
    cast: dict[str, Any], hub: Any, settings: Any, tmp_path: Path
) -> None:
    """Issue 13, defect 11: a 152 KB DOCX unpacking to 50 MB cost 40 s and 1.15 GB of memory."""
    settings.MEDIA_ROOT = tmp_path / "media"
    bomb = docx_bomb(50)
    assert len(bomb) < 400_000
    with pytest.raises(AttachmentRefused, match="pakt uit"):
        check_upload(upload("bom.docx", bomb))
    client = Client()
    client.force_login(cast["member"])
    before = (KnowledgeItem.objects.count(), Attachment.objects.count(), _media_files(settings))
    response = client.post(
        "/kennis/nieuw/",
        {
            "title": "Bom",
            "kind": "case",
            "language": "nl",
            "scale": "local",
            "visibility": "public",
            "provenance": "made_here",
            "licence": "CC BY 4.0",
            "file": SimpleUploadedFile("bom.docx", bomb),
        },
    )
    assert response.status_code == 422 and "pakt uit" in response.content.decode()
    assert (KnowledgeItem.objects.count(), Attachment.objects.count(), _media_files(settings)) == before


def test_extraction_is_held_to_its_memory_limit() -> None:
    """A file under the unpack limit that still needs more memory than allowed gives no text (the
    child process fails), while a normal file extracts under the same limit."""
    tight = Limits(memory_bytes=100 * 1024 * 1024, ratio=10**9, cpu_seconds=20, wall_seconds=60)
    heavy = extract_bounded(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document", docx_bomb(25), tight
    )
    assert heavy.text == "" and heavy.outcome in ("damaged", "killed"), heavy.outcome
    light = extract_bounded(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        docx_bytes("Veenweide en bodemdaling"),
        tight,
    )
    assert light.outcome == "ok" and "Veenweide" in light.text


def test_extraction_stops_at_the_wall_clock_limit() -> None:
    slow = extract_bounded("application/pdf", pdf_with_text("Traag"), Limits(wall_seconds=0))
    assert slow.outcome == "timeout" and slow.text == ""


class _Exploding:
    """A request body that must never be read."""

    def read(self, *args: Any) -> bytes:
        raise AssertionError("the body was read")

    readline = read


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/kennis/nieuw/", "/api/v1/knowledge"])
def test_an_over_large_request_is_refused_with_413_before_it_is_read(
    cast: dict[str, Any], settings: Any, path: str
) -> None:
    client = Client()
    client.force_login(cast["member"])
    before = KnowledgeItem.objects.count()
    response = client.generic(
        "POST",
        path,
        b"",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(settings.PLEK_REQUEST_MAX_BYTES + 1),
        **{"wsgi.input": _Exploding()},
    )
    assert response.status_code == 413
    if path.startswith("/api/"):
        assert response["Content-Type"] == "application/problem+json"
    assert KnowledgeItem.objects.count() == before
