"""Text extraction from attachments, bounded: a zip container (DOCX, ODT) is refused when it would
unpack to more than a limit, and the extraction itself runs in a child process with a CPU-time and
an address-space limit and a wall-clock timeout, so that a hostile file costs at most that.

This module imports nothing of Django: the child process runs `_child()` from it."""

from __future__ import annotations

import io
import json
import os
import subprocess  # nosec B404 # runs our own interpreter on this module, fixed argv
import sys
import zipfile
from dataclasses import dataclass

# Defaults; the settings PLEK_EXTRACT_* override them (see plek.knowledge.attachments).
MAX_UNPACKED_BYTES = 30 * 1024 * 1024  # the whole zip container, unpacked
MAX_RATIO = 200  # unpacked / packed for any one member larger than 1 MB unpacked
MAX_MEMBERS = 5000
MAX_TEXT_CHARS = 1_000_000
MAX_PDF_PAGES = 200
CPU_SECONDS = 20
MEMORY_BYTES = 768 * 1024 * 1024
WALL_SECONDS = 40


class TooLarge(ValueError):
    """The container unpacks to more than the limits allow."""


@dataclass(frozen=True)
class Limits:
    unpacked_bytes: int = MAX_UNPACKED_BYTES
    ratio: int = MAX_RATIO
    members: int = MAX_MEMBERS
    cpu_seconds: int = CPU_SECONDS
    memory_bytes: int = MEMORY_BYTES
    wall_seconds: int = WALL_SECONDS


def zip_check(data: bytes, limits: Limits) -> None:
    """Raise TooLarge when a zip container would unpack beyond the limits (reads only its directory).

    The sizes in the directory are what the file claims; the extraction child is additionally held
    to its memory and time limits in case the claims lie."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
    except zipfile.BadZipFile:
        return
    if len(infos) > limits.members:
        raise TooLarge(f"{len(infos)} members")
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > 1024 * 1024 and info.file_size > limits.ratio * max(1, info.compress_size):
            raise TooLarge(f"{info.filename}: ratio {info.file_size // max(1, info.compress_size)}")
    if total > limits.unpacked_bytes:
        raise TooLarge(f"{total} bytes unpacked")


def _extract(content_type: str, data: bytes) -> str:
    if content_type == "application/pdf":
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(data))
        parts: list[str] = []
        size = 0
        for page in reader.pages[:MAX_PDF_PAGES]:
            part = page.extract_text() or ""
            parts.append(part)
            size += len(part)
            if size > MAX_TEXT_CHARS:
                break
        return "\n".join(parts)
    if content_type.endswith("wordprocessingml.document"):
        import docx

        return "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
    if content_type == "application/vnd.oasis.opendocument.text":
        from odf import teletype, text
        from odf.opendocument import load

        doc = load(io.BytesIO(data))
        return "\n".join(teletype.extractText(p) for p in doc.getElementsByType(text.P))
    if content_type == "text/csv":
        return data.decode("utf-8", errors="replace")
    return ""


def _child() -> None:
    """Entry point of the child process: content type, CPU seconds and memory bytes in argv, the file
    on stdin, JSON on stdout. The child holds itself to the limits before it reads anything."""
    import resource

    content_type, cpu, memory = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    data = sys.stdin.buffer.read()
    try:
        text = _extract(content_type, data)[:MAX_TEXT_CHARS]
    except Exception as exc:  # a damaged file adds no text; say why on stdout
        json.dump({"ok": False, "error": type(exc).__name__}, sys.stdout)
        return
    json.dump({"ok": True, "text": text}, sys.stdout)


@dataclass(frozen=True)
class Extracted:
    text: str
    outcome: str  # "ok", "empty", "damaged", "too_large", "timeout", "killed"


def extract_bounded(content_type: str, data: bytes, limits: Limits | None = None) -> Extracted:
    """The file's text for search, or "" with the reason when it cannot (safely) be had."""
    limits = limits or Limits()
    if content_type == "text/csv":
        return Extracted(data[:MAX_TEXT_CHARS].decode("utf-8", errors="replace"), "ok")
    if content_type not in (
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.oasis.opendocument.text",
    ):
        return Extracted("", "empty")
    try:
        zip_check(data, limits)
    except TooLarge:
        return Extracted("", "too_large")
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "PYTHONPATH", "HOME")}
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    code = "from plek.knowledge.extraction import _child; _child()"
    try:
        done = subprocess.run(  # nosec B603 # fixed argv: our interpreter, this module, a MIME type
            [sys.executable, "-c", code, content_type, str(limits.cpu_seconds), str(limits.memory_bytes)],
            input=data,
            capture_output=True,
            timeout=limits.wall_seconds,
            env=env,
            cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
            check=False,
        )
    except subprocess.TimeoutExpired:
        return Extracted("", "timeout")
    if done.returncode != 0:
        return Extracted("", "killed")
    try:
        answer = json.loads(done.stdout or b"{}")
    except ValueError:
        return Extracted("", "damaged")
    if not answer.get("ok"):
        return Extracted("", "damaged")
    text = str(answer.get("text", ""))
    return Extracted(text, "ok" if text.strip() else "empty")
