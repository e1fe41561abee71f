"""Bulk import of knowledge items from CSV or JSON (`plek import knowledge FILE`, and the import page).

The same rules as the Atlas imports (`plek.atlas.importers`): every row is validated by
`KnowledgeForm` and saved by `knowledge_save(..., source="import")` (history row, version, search
outbox), errors name the line (CSV) or item (JSON) and the field, all-or-nothing by default,
`keep_going` saves the valid rows, `dry_run` validates against the real database and rolls back.

A row updates an existing item when its `slug` names one, or when its DOI, handle or URL matches an
item's; otherwise it creates one (provenance "imported"). Two rows of one file with the same
identifier are refused as duplicates. Themes and regions are given by slug and code (several in
one CSV cell separated by ';', or a JSON list)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django import forms
from django.db import DatabaseError, transaction

from plek.atlas.importers import (
    MULTI_SEPARATOR,
    ImportFileError,
    ImportReport,
    Record,
    RowError,
    _cell,
    _CellError,
    _item_offsets,
    _json_type,
    _value_note,
    decode,
    detect_format,
    import_viewer,
    read_bytes,
)
from plek.atlas.permissions import Viewer
from plek.core.errors import PermissionDenied, ValidationFailed
from plek.federation.identifiers import identifier_q, identifiers_of
from plek.knowledge.models import KnowledgeItem
from plek.knowledge.services import knowledge_form, knowledge_save

KIND = "knowledge"
REQUIRED = ("title", "kind")
# Required form fields with a model default: an empty cell means "the default" (or "as is").
DEFAULTED = {"language", "scale", "visibility", "provenance"}


def columns() -> list[str]:
    names = list(knowledge_form(viewer=import_viewer()).fields)
    return ["slug", *names]


def _check_header(names: list[str], where: str) -> None:
    known = columns()
    problems = []
    for i, name in enumerate(names, start=1):
        if not name:
            problems.append(f"column {i} has no name")
    seen: set[str] = set()
    for name in names:
        if name and name in seen:
            problems.append(f"column {name!r} appears twice")
        seen.add(name)
    unknown = [n for n in names if n and n not in known]
    if unknown:
        hint = ""
        if len(names) == 1 and ";" in names[0]:
            hint = " The file seems to use ';' between columns; use ',' (';' separates values inside a cell)."
        problems.append(
            f"unknown column{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}.{hint}"
        )
    if "slug" not in names:
        missing = [c for c in REQUIRED if c not in names]
        if missing:
            problems.append(f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}")
    if problems:
        raise ImportFileError(
            f"{where}: wrong header for knowledge import: {'; '.join(problems)}. "
            f"Expected columns: {', '.join(known)}"
        )


def read_csv(text: str) -> list[Record]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    header_line = 0
    records: list[Record] = []
    last = 0
    while True:
        start = last + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise ImportFileError(f"line {reader.line_num}: not valid CSV ({exc})") from None
        last = reader.line_num
        if not row or all(not cell.strip() for cell in row):
            continue
        if header is None:
            header, header_line = [str(c).replace("\ufeff", "").strip().lower() for c in row], start
            _check_header(header, f"line {start}")
            continue
        record = Record(f"line {start}", {})
        if len(row) != len(header):
            record.problems.append(
                RowError(
                    record.where,
                    None,
                    f"{len(row)} values, but the header (line {header_line}) has {len(header)} columns",
                )
            )
        else:
            record.values = dict(zip(header, row, strict=True))
        records.append(record)
    if header is None:
        raise ImportFileError(
            f"the file is empty: expected a header line with the columns {', '.join(columns())}"
        )
    return records


def read_json(text: str) -> list[Record]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFileError(f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise ImportFileError("malformed JSON: nested too deeply") from None
    if not isinstance(data, list):
        raise ImportFileError(
            f"expected a JSON list of objects (one per item), but the file holds {_json_type(data)}"
        )
    known = columns()
    records = []
    for i, (item, offset) in enumerate(zip(data, _item_offsets(text), strict=True), start=1):
        record = Record(f"item {i} (line {text.count(chr(10), 0, offset) + 1})", {})
        if not isinstance(item, dict):
            record.problems.append(
                RowError(record.where, None, f"expected an object, got {_json_type(item)}")
            )
        else:
            for key, value in item.items():
                name = str(key).strip().lower()
                if name not in known:
                    record.problems.append(
                        RowError(
                            record.where, None, f"unknown field {key!r}; known fields: {', '.join(known)}"
                        )
                    )
                elif name in record.values:
                    record.problems.append(RowError(record.where, name, "given twice"))
                else:
                    record.values[name] = value
        records.append(record)
    return records


def read_knowledge(data: bytes, name: str, fmt: str | None = None) -> list[Record]:
    """Check a whole file; raises ImportFileError without touching the database."""
    fmt = detect_format(Path(name), fmt)
    text = decode(data, name)
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise ImportFileError(f"line {line}: the file contains a NUL byte; is it a text file?")
    return read_csv(text) if fmt == "csv" else read_json(text)


def read_knowledge_file(path: Path, fmt: str | None = None) -> list[Record]:
    detect_format(path, fmt)
    return read_knowledge(read_bytes(path), path.name, fmt)


# ---- one record ------------------------------------------------------------------------------------


def _current(fields: dict[str, forms.Field], instance: KnowledgeItem) -> dict[str, Any]:
    """Form data that keeps `instance` as it is (the model defaults for a new one)."""
    values: dict[str, Any] = {}
    for name, fld in fields.items():
        if isinstance(fld, forms.ModelMultipleChoiceField):
            to = fld.to_field_name or "pk"
            values[name] = [getattr(o, to) for o in getattr(instance, name).all()] if instance.pk else []
        elif isinstance(fld, forms.ModelChoiceField):
            obj = getattr(instance, name, None)
            values[name] = getattr(obj, fld.to_field_name or "pk") if obj is not None else ""
        else:
            value = getattr(instance, name, None)
            if value is None:
                value = ""
            elif isinstance(value, dt.date):
                value = value.isoformat()
            values[name] = value
    return values


def _existing(values: dict[str, Any]) -> tuple[KnowledgeItem | None, str | None]:
    """The item a row updates, and the column it was matched on."""
    slug = str(values.get("slug") or "").strip()
    if slug:
        return KnowledgeItem.objects.filter(slug=slug).first(), "slug"
    doi, handle, url = identifiers_of(values)
    for name, q in (
        ("doi", identifier_q(doi=doi)),
        ("handle", identifier_q(handle=handle)),
        ("url", identifier_q(url=url)),
    ):
        if q is not None:
            found = KnowledgeItem.objects.filter(q).order_by("pk").first()
            if found is not None:
                return found, name
    return None, None


def _file_keys(values: dict[str, Any]) -> list[tuple[str, str]]:
    """(column, normalised identifier) pairs by which two rows of one file are the same work."""
    doi, handle, url = identifiers_of(values)
    keys = [("slug", str(values.get("slug") or "").strip())]
    keys += [("doi", doi), ("handle", handle), ("url", url)]
    return [(k, v) for k, v in keys if v]


def import_one(record: Record, viewer: Viewer) -> tuple[str, list[RowError]]:
    """Validate and save one record; ("created"|"updated"|"rejected", errors)."""
    where, values = record.where, dict(record.values)
    try:
        instance, _matched = _existing(values)
    except DatabaseError as exc:
        return "rejected", [RowError(where, None, f"could not be looked up ({exc})")]
    slug = str(values.get("slug") or "").strip()
    if instance is None and slug:
        return "rejected", [RowError(where, "slug", f"there is no knowledge item {slug!r} to update")]
    creating = instance is None
    item = instance or KnowledgeItem(provenance=KnowledgeItem.Provenance.IMPORTED)
    form_fields = knowledge_form(viewer=viewer, instance=item).fields
    data = _current(dict(form_fields), item)
    errors: list[RowError] = []
    doi, handle, _url = identifiers_of(values)
    for name, raw in values.items():
        if name not in form_fields:
            continue
        try:
            value = _cell(KIND, name, form_fields[name], raw)
        except _CellError as exc:
            errors.append(RowError(where, name, str(exc)))
            continue
        if value == "" and name in DEFAULTED:
            continue
        # Identifiers are stored in one normal form (so later imports and harvests find them).
        if name == "doi" and value and doi:
            value = doi
        elif name == "handle" and value and handle:
            value = handle
        data[name] = value
    if errors:
        return "rejected", errors
    try:
        with transaction.atomic():
            form = knowledge_form(viewer=viewer, data=data, instance=item)
            knowledge_save(viewer=viewer, form=form, source="import")
    except ValidationFailed as exc:
        for name, messages in exc.errors.items():
            note = _value_note(values.get(name)) if name in values else ""
            text = " ".join(messages)
            if note and note not in text:
                text = f"{text} (given: {note!r})"
            errors.append(RowError(where, None if name == "__all__" else name, text))
        return "rejected", errors
    except PermissionDenied:
        return "rejected", [RowError(where, None, "not allowed")]
    except DatabaseError as exc:
        return "rejected", [RowError(where, None, f"could not be saved ({exc})")]
    return ("created" if creating else "updated"), []


def import_knowledge(
    records: list[Record],
    *,
    viewer: Viewer,
    dry_run: bool = False,
    keep_going: bool = False,
    progress: Callable[[int], Any] | None = None,
) -> ImportReport:
    """Import checked records in one transaction (all-or-nothing unless `keep_going`)."""
    report = ImportReport(kind=KIND, total=len(records), dry_run=dry_run)
    seen: dict[tuple[str, str], str] = {}
    with transaction.atomic():
        for record in records:
            errors = list(record.problems)
            if not errors:
                for key in _file_keys(record.values):
                    if key in seen:
                        errors.append(
                            RowError(
                                record.where, key[0], f"duplicate of {seen[key]} (same {key[0]} {key[1]!r})"
                            )
                        )
                        break
                else:
                    for key in _file_keys(record.values):
                        seen[key] = record.where
            if not errors:
                outcome, errors = import_one(record, viewer)
                if outcome == "created":
                    report.created += 1
                elif outcome == "updated":
                    report.updated += 1
            if errors:
                report.errors.extend(errors)
                report.rejected.append(record.where)
            if progress is not None:
                progress(1)
        if dry_run or (report.errors and not keep_going):
            transaction.set_rollback(True)
        else:
            report.committed = True
    return report


def import_knowledge_file(
    path: Path,
    *,
    fmt: str | None = None,
    viewer: Viewer | None = None,
    dry_run: bool = False,
    keep_going: bool = False,
    progress: Callable[[int], Any] | None = None,
) -> ImportReport:
    """The hook of `plek import knowledge FILE` (registered in plek/platform/registry.py, hooks.import_kinds)."""
    records = read_knowledge_file(path, fmt)
    return import_knowledge(
        records, viewer=viewer or import_viewer(), dry_run=dry_run, keep_going=keep_going, progress=progress
    )


__all__ = ["MULTI_SEPARATOR", "import_knowledge", "import_knowledge_file", "read_knowledge"]


# ---- large files: in the background, with progress ---------------------------------------------------

MAX_JOB_ERRORS = 500
PROGRESS_EVERY = 25


def progress_key(job_id: int) -> str:
    return f"plek:import-progress:{job_id}"


def job_progress(job: Any) -> int:
    """Rows handled so far: the shared cache while the job runs (its transaction is not committed yet),
    the stored count once it is finished."""
    from django.core.cache import cache

    if job.finished:
        return int(job.done)
    return max(int(job.done), int(cache.get(progress_key(job.pk)) or 0))


def import_job_run(job_id: int) -> str:
    """Worker side of a large import: read the kept file, import (or dry-run) it as the user who
    uploaded it, report progress on the way and store the report. Never raises for a bad file."""
    from django.core.cache import cache
    from django.utils import timezone

    from plek.atlas.permissions import viewer_for
    from plek.federation.models import ImportJob

    job = ImportJob.objects.select_related("user").filter(pk=job_id).first()
    if job is None or job.status != ImportJob.Status.QUEUED:
        return job.status if job is not None else "gone"
    job.status = ImportJob.Status.RUNNING
    job.save(update_fields=["status"])
    key = progress_key(job.pk)
    done = 0

    def progress(n: int) -> None:
        nonlocal done
        done += n
        if done % PROGRESS_EVERY == 0 or done == job.total:
            cache.set(key, done, timeout=24 * 3600)

    try:
        records = read_knowledge(job.data.encode("utf-8"), job.name)
        job.total = len(records)
        ImportJob.objects.filter(pk=job.pk).update(total=job.total)
        report = import_knowledge(
            records, viewer=viewer_for(job.user), dry_run=job.dry_run, progress=progress
        )
    except ImportFileError as exc:
        job.status, job.error = ImportJob.Status.FAILED, str(exc)
    except (PermissionDenied, DatabaseError) as exc:
        job.status, job.error = ImportJob.Status.FAILED, str(exc)[:500] or type(exc).__name__
    else:
        job.status = ImportJob.Status.DONE
        job.done = job.total
        job.created, job.updated = report.created, report.updated
        job.errors = [str(e) for e in report.errors[:MAX_JOB_ERRORS]]
        job.committed = report.committed
        if not job.dry_run:
            job.data = ""  # imported: the file is no longer needed
    job.finished_at = timezone.now()
    job.save()
    cache.delete(key)
    return str(job.status)
