"""Attachment checks (type by content, not by name; size) and text extraction for search."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

# content type -> allowed file name endings
ALLOWED = {
    "application/pdf": (".pdf",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "application/vnd.oasis.opendocument.text": (".odt",),
    "text/csv": (".csv",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/webp": (".webp",),
    "image/gif": (".gif",),
}


class AttachmentRefused(ValueError):
    pass


@dataclass
class Checked:
    content_type: str
    text: str


def _zip_kind(head: bytes, data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = set(z.namelist())
            if "word/document.xml" in names:
                return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            if (
                "mimetype" in names
                and z.read("mimetype").strip() == b"application/vnd.oasis.opendocument.text"
            ):
                return "application/vnd.oasis.opendocument.text"
    except zipfile.BadZipFile:
        return None
    return None


def sniff(data: bytes) -> str | None:
    """The real type of a file from its bytes."""
    if data[:4] == b"PK\x03\x04":
        return _zip_kind(data[:8], data)
    guess = filetype.guess(data[:8192])
    if guess is not None:
        return guess.mime
    try:
        sample = data[:65536].decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "\x00" in sample:
        return None
    try:
        csv.Sniffer().sniff(sample.splitlines()[0] if sample else "", delimiters=",;\t")
    except csv.Error:
        return None
    return "text/csv"


def extract_text(content_type: str, data: bytes) -> str:
    try:
        if content_type == "application/pdf":
            from pypdf import PdfReader

            reader = PdfReader(io.BytesIO(data))
            return "\n".join((page.extract_text() or "") for page in reader.pages[:200])
        if content_type.endswith("wordprocessingml.document"):
            import docx

            return "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
        if content_type == "application/vnd.oasis.opendocument.text":
            from odf import teletype, text
            from odf.opendocument import load

            doc = load(io.BytesIO(data))
            return "\n".join(teletype.extractText(p) for p in doc.getElementsByType(text.P))
        if content_type == "text/csv":
            return data.decode("utf-8", errors="replace")[:200_000]
    except Exception:  # a damaged file still uploads; it just adds no text to search
        return ""
    return ""


def check_upload(upload: UploadedFile) -> tuple[Checked, bytes]:
    limit = settings.PLEK_UPLOAD_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise AttachmentRefused(
            _("Het bestand is %(size)s MB; het maximum is %(max)s MB.")
            % {"size": round(upload.size / 1_048_576, 1), "max": round(limit / 1_048_576)}
        )
    data = upload.read()
    if len(data) > limit:
        raise AttachmentRefused(_("Het bestand is te groot."))
    if not data:
        raise AttachmentRefused(_("Het bestand is leeg."))
    kind = sniff(data)
    name = (upload.name or "").lower()
    if kind not in ALLOWED:
        raise AttachmentRefused(
            _(
                "Dit soort bestand wordt niet aanvaard. Toegestaan: PDF, DOCX, ODT, CSV en afbeeldingen (PNG, JPEG, WebP, GIF)."
            )
        )
    if not name.endswith(ALLOWED[kind]):
        raise AttachmentRefused(
            _("De naam van het bestand past niet bij de inhoud (%(kind)s).") % {"kind": kind}
        )
    return Checked(content_type=kind, text=extract_text(kind, data)), data
