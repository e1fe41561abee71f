"""Attachment checks (type by content, not by name; size; what a zip container unpacks to) and
text extraction for search (bounded, in the worker)."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from plek.knowledge.extraction import Limits, TooLarge, extract_bounded, zip_check

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


def extraction_limits() -> Limits:
    return Limits(
        unpacked_bytes=getattr(settings, "PLEK_EXTRACT_MAX_UNPACKED_BYTES", Limits.unpacked_bytes),
        cpu_seconds=getattr(settings, "PLEK_EXTRACT_CPU_SECONDS", Limits.cpu_seconds),
        memory_bytes=getattr(settings, "PLEK_EXTRACT_MEMORY_BYTES", Limits.memory_bytes),
        wall_seconds=getattr(settings, "PLEK_EXTRACT_WALL_SECONDS", Limits.wall_seconds),
    )


def extract_text(content_type: str, data: bytes) -> str:
    """The file's text for search, extracted in a child process held to time and memory limits
    (see plek.knowledge.extraction). Runs in the worker, after the upload is saved."""
    return extract_bounded(content_type, data, extraction_limits()).text


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
    if data[:4] == b"PK\x03\x04":
        limits = extraction_limits()
        try:
            zip_check(data, limits)
        except TooLarge as exc:
            raise AttachmentRefused(
                _("Dit bestand pakt uit tot meer dan %(max)s MB en wordt niet aanvaard.")
                % {"max": round(limits.unpacked_bytes / 1_048_576)}
            ) from exc
    # The text for search is extracted later, in the worker (tasks.extract_attachment_text).
    return Checked(content_type=kind, text=""), data
