"""Bulk import of Atlas entities from CSV or JSON files (`plek import KIND FILE`).

Every row goes through the same form as the pages and the API (`plek.atlas.forms.FORMS`) and is
written by `services.entity_save(..., source="import")`, so each row leaves a history row and
obeys the same rules. Rows are matched on their public identifier (`code` for regions, `slug`
elsewhere, the kind with both ends for relations): a match updates in place, otherwise a new
entity is created. Columns absent from the file keep their current value (or the model default
for new rows), so a file with `slug,email` changes only e-mail addresses.

Problems with the file as a whole (size, encoding, syntax, header) raise `ImportFileError` before
anything is read into the database. Problems with rows are collected as `RowError`s naming the
line (CSV, header = line 1) or item (JSON, first = item 1) and the field.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.validators import validate_slug
from django.db import DatabaseError, models, transaction

from plek.atlas.forms import FORMS
from plek.atlas.models import Region, RegionContainment, Relation
from plek.atlas.permissions import Viewer
from plek.atlas.services import entity_form, entity_save
from plek.core.errors import PermissionDenied, ValidationFailed

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
MULTI_SEPARATOR = ";"

# Command word -> entity kind (a key of plek.atlas.forms.FORMS).
KINDS: dict[str, str] = {
    "regions": "region",
    "themes": "theme",
    "organisations": "organisation",
    "people": "person",
    "networks": "network",
    "hubs": "hub",
    "programmes": "programme",
    "relations": "relation",
}
FORMATS = ("csv", "json")
RELATION_KEY = ("kind", "source_type", "source", "target_type", "target")
# Columns that are not form fields but are set on the instance before the form runs.
EXTRA_COLUMNS: dict[str, tuple[str, ...]] = {"region": ("code_system",)}
_TRUE = {"true", "1", "yes", "ja", "y", "j", "x"}
_FALSE = {"false", "0", "no", "nee", "n", ""}


class ImportFileError(Exception):
    """The file cannot be imported at all (nothing was written)."""


@dataclass(frozen=True)
class RowError:
    where: str  # "line 4", "item 3 (line 12)"
    field: str | None
    message: str

    def __str__(self) -> str:
        if self.field:
            return f"{self.where}, field {self.field}: {self.message}"
        return f"{self.where}: {self.message}"


@dataclass
class Record:
    """One row of the file: where it is, and its values by (normalised) column name."""

    where: str
    values: dict[str, Any]
    problems: list[RowError] = field(default_factory=list)


@dataclass
class ImportReport:
    kind: str
    total: int = 0
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)  # where-labels of rows not imported
    dry_run: bool = False
    committed: bool = False

    @property
    def ok(self) -> int:
        return self.created + self.updated


# ---- the columns of each kind ------------------------------------------------------------------


def form_class(kind: str) -> type[forms.ModelForm]:
    return FORMS[kind]


def form_fields(kind: str) -> dict[str, forms.Field]:
    """The fields of the kind's form as the import sees them (after the form's own __init__ tweaks)."""
    return dict(entity_form(kind, viewer=import_viewer()).fields)


def key_column(kind: str) -> str | None:
    if kind == "region":
        return "code"
    if kind == "relation":
        return None
    return "slug"


def columns(kind: str) -> list[str]:
    """Every column (CSV) or key (JSON) the import of `kind` accepts."""
    names = list(form_fields(kind))
    key = key_column(kind)
    if key and key not in names:
        names.insert(0, key)
    names.extend(c for c in EXTRA_COLUMNS.get(kind, ()) if c not in names)
    return names


def required_columns(kind: str) -> list[str]:
    """Columns needed to create a row: required form fields without a model default."""
    if kind == "relation":
        return list(RELATION_KEY)
    model = form_class(kind)._meta.model
    out = []
    for name, fld in form_fields(kind).items():
        if not fld.required:
            continue
        try:
            model_field = model._meta.get_field(name)
        except FieldDoesNotExist:  # a form-only field
            out.append(name)
            continue
        if not model_field.has_default():
            out.append(name)
    key = key_column(kind)
    if key == "code" and key not in out:
        out.insert(0, key)
    return out


def defaulted_fields(kind: str) -> set[str]:
    """Required form fields with a model default: an empty cell means "the default" (or "as is")."""
    model = form_class(kind)._meta.model
    out = set()
    for name, fld in form_fields(kind).items():
        try:
            model_field = model._meta.get_field(name)
        except FieldDoesNotExist:  # a form-only field
            continue
        if fld.required and model_field.has_default():
            out.add(name)
    return out


# ---- reading the file -------------------------------------------------------------------------------


def max_bytes() -> int:
    return int(getattr(settings, "PLEK_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def _size(n: int) -> str:
    if n < 1024 * 1024:
        return f"{n:,} bytes"
    return f"{n / (1024 * 1024):.1f} MB ({n:,} bytes)"


def detect_format(path: Path, fmt: str | None) -> str:
    if fmt:
        if fmt not in FORMATS:
            raise ImportFileError(f"unknown format {fmt!r}; use csv or json")
        return fmt
    suffix = path.suffix.lower().lstrip(".")
    if suffix in FORMATS:
        return suffix
    raise ImportFileError(
        f"{path.name}: cannot tell the format from the extension {path.suffix or '(none)'!r}; "
        "use --format csv or --format json"
    )


def read_bytes(path: Path) -> bytes:
    """The file's bytes, refusing files over the size limit before reading them."""
    limit = max_bytes()
    try:
        if path.is_dir():
            raise ImportFileError(f"{path}: is a directory, not a file")
        size = path.stat().st_size
        if size > limit:
            raise ImportFileError(
                f"{path.name} is {_size(size)}; the import limit is {_size(limit)} "
                "(setting PLEK_IMPORT_MAX_BYTES); split the file or raise the limit"
            )
        with path.open("rb") as handle:
            data = handle.read(limit + 1)  # a file that grows, or a device, is still bounded
    except OSError as exc:
        raise ImportFileError(f"{path}: cannot read the file ({exc.strerror or exc})") from exc
    if len(data) > limit:
        raise ImportFileError(
            f"{path.name} is larger than the import limit of {_size(limit)} (setting PLEK_IMPORT_MAX_BYTES)"
        )
    return data


def decode(data: bytes, name: str = "file") -> str:
    """UTF-8 text (a byte-order mark is allowed); a clear message naming line and byte otherwise."""
    offset = 0
    if data.startswith(codecs.BOM_UTF8):
        data, offset = data[len(codecs.BOM_UTF8) :], len(codecs.BOM_UTF8)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        bad = data[exc.start : exc.end].hex(" ").upper()
        raise ImportFileError(
            f"{name} is not valid UTF-8: line {line}, byte {exc.start - line_start + 1} of that line "
            f"(byte {exc.start + offset + 1} of the file) is 0x{bad} ({exc.reason}). "
            "Save the file as UTF-8 (in Excel: 'CSV UTF-8') and try again"
        ) from None


def _norm(name: Any) -> str:
    return str(name).replace("\ufeff", "").strip().lower()


def _check_header(kind: str, names: list[str], where: str) -> None:
    known = columns(kind)
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
        listed = ", ".join(repr(n) for n in unknown)
        hint = ""
        if len(names) == 1 and ";" in names[0]:
            hint = " The file seems to use ';' between columns; use ',' (';' separates values inside a cell)."
        problems.append(f"unknown column{'s' if len(unknown) > 1 else ''} {listed}.{hint}")
    key = key_column(kind)
    if key is None or key not in names:
        missing = [c for c in required_columns(kind) if c not in names]
        if missing:
            because = f" (without a {key!r} column every row is new)" if key and key != "code" else ""
            problems.append(f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}{because}")
    if problems:
        raise ImportFileError(
            f"{where}: wrong header for {kind} import: "
            + "; ".join(problems)
            + f". Expected columns: {', '.join(known)}"
        )


def read_csv(text: str, kind: str) -> list[Record]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    header_line = 0
    records: list[Record] = []
    last_line = 0
    while True:
        start = last_line + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise ImportFileError(f"line {reader.line_num}: not valid CSV ({exc})") from None
        last_line = reader.line_num
        if not row or all(not cell.strip() for cell in row):
            continue  # blank line
        if header is None:
            header, header_line = [_norm(c) for c in row], start
            _check_header(kind, header, f"line {start}")
            continue
        where = f"line {start}"
        record = Record(where, {})
        if len(row) != len(header):
            record.problems.append(
                RowError(
                    where,
                    None,
                    f"{len(row)} values, but the header (line {header_line}) has {len(header)} columns",
                )
            )
        else:
            record.values = dict(zip(header, row, strict=True))
        records.append(record)
    if header is None:
        raise ImportFileError(
            f"the file is empty: expected a header line with the columns {', '.join(columns(kind))}"
        )
    return records


_WS = re.compile(r"[ \t\n\r]*")


def _item_offsets(text: str) -> list[int]:
    """Character offsets of the items of a top-level JSON array (the text is known to be valid)."""
    decoder = json.JSONDecoder()
    pos = _WS.match(text, 0).end() + 1  # type: ignore[union-attr]
    offsets: list[int] = []
    while True:
        pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
        if text[pos] == "]":
            return offsets
        offsets.append(pos)
        _obj, pos = decoder.raw_decode(text, pos)
        pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
        if text[pos] == ",":
            pos += 1


def read_json(text: str, kind: str) -> list[Record]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFileError(f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise ImportFileError("malformed JSON: nested too deeply") from None
    if not isinstance(data, list):
        raise ImportFileError(
            f"expected a JSON list of objects (one per {kind}), but the file holds {_json_type(data)}"
        )
    offsets = _item_offsets(text)
    known = set(columns(kind))
    records = []
    for i, (item, offset) in enumerate(zip(data, offsets, strict=True), start=1):
        where = f"item {i} (line {text.count(chr(10), 0, offset) + 1})"
        record = Record(where, {})
        if not isinstance(item, dict):
            record.problems.append(RowError(where, None, f"expected an object, got {_json_type(item)}"))
            records.append(record)
            continue
        values = {}
        for key, value in item.items():
            name = _norm(key)
            if name not in known:
                record.problems.append(
                    RowError(where, None, f"unknown field {key!r}; known fields: {', '.join(columns(kind))}")
                )
            elif name in values:
                record.problems.append(RowError(where, name, "given twice"))
            else:
                values[name] = value
        record.values = values
        records.append(record)
    return records


def _json_type(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true/false", type(None): "null"}.get(
        type(value), "a number"
    )


def read_file(path: Path, kind: str, fmt: str | None = None) -> list[Record]:
    """Read and check a whole file; raises ImportFileError without touching the database."""
    if kind not in FORMS:
        raise ImportFileError(f"unknown kind {kind!r}")
    fmt = detect_format(path, fmt)
    text = decode(read_bytes(path), path.name)
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise ImportFileError(f"line {line}: the file contains a NUL byte; is it a text file?")
    return read_csv(text, kind) if fmt == "csv" else read_json(text, kind)


# ---- turning a record into form data -----------------------------------------------------------------


class _CellError(Exception):
    pass


def _cell(kind: str, name: str, fld: forms.Field | None, raw: Any) -> Any:
    """A file value as the form expects it: text, a list for multi-valued fields, a bool."""
    if isinstance(fld, forms.ModelMultipleChoiceField | forms.MultipleChoiceField):
        if raw is None:
            return []
        if isinstance(raw, str):
            items: Iterable[Any] = raw.split(MULTI_SEPARATOR)
        elif isinstance(raw, list):
            items = raw
        else:
            raise _CellError(f"expected a list or text with values separated by '{MULTI_SEPARATOR}'")
        out = []
        for item in items:
            if isinstance(item, dict | list) or item is None:
                raise _CellError(f"expected a list of codes, got {_json_type(item)} in the list")
            text = str(item).strip()
            if text:
                out.append(text)
        return out
    if isinstance(raw, dict | list):
        raise _CellError(f"expected a single value, got {_json_type(raw)}")
    if isinstance(fld, forms.BooleanField):
        if isinstance(raw, bool):
            return raw
        text = "" if raw is None else str(raw).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise _CellError(f"expected true or false, got {raw!r}")
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return "true" if raw else "false"
    return str(raw).strip()


def _current(kind: str, instance: models.Model) -> dict[str, Any]:
    """Form data that keeps `instance` as it is (the model defaults for a new instance)."""
    values: dict[str, Any] = {}
    for name, fld in form_fields(kind).items():
        if kind == "relation" and name in ("source", "target"):
            continue  # part of the key: always in the file
        if kind == "region" and name == "parents":
            values[name] = (
                list(
                    RegionContainment.objects.filter(
                        child_id=instance.pk, kind=RegionContainment.Kind.CONTAINS
                    ).values_list("parent__code", flat=True)
                )
                if instance.pk
                else []
            )
        elif isinstance(fld, forms.ModelMultipleChoiceField):
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


def _key(kind: str, values: dict[str, Any]) -> tuple[str | None, Any] | None:
    """(field to blame, comparable key) for duplicate detection, or None without a key."""
    if kind == "relation":
        parts = tuple(str(values.get(k) or "").strip() for k in RELATION_KEY)
        return (None, parts) if all(parts) else None
    key = key_column(kind)
    assert key is not None  # nosec B101 # type narrowing; checked by the caller
    raw = values.get(key)
    text = "" if raw is None or isinstance(raw, dict | list) else str(raw).strip()
    if not text:
        return None
    return key, (text.casefold() if kind == "region" else text)


def _existing(kind: str, values: dict[str, Any]) -> models.Model | None:
    model = form_class(kind)._meta.model
    if kind == "region":
        code = str(values.get("code") or "").strip()
        return Region.objects.filter(code__iexact=code).first() if code else None
    if kind == "relation":
        from plek.atlas.selectors import entity_by_identifier

        ends = {}
        for end in ("source", "target"):
            end_kind = str(values.get(f"{end}_type") or "").strip()
            ident = str(values.get(end) or "").strip()
            if end_kind not in Relation.EntityType.values or not ident:
                return None
            obj = entity_by_identifier(end_kind, ident)
            if obj is None:
                return None
            ends[end] = (end_kind, obj.pk)
        return Relation.objects.filter(
            kind=str(values.get("kind") or "").strip(),
            source_type=ends["source"][0],
            source_id=ends["source"][1],
            target_type=ends["target"][0],
            target_id=ends["target"][1],
        ).first()
    slug = str(values.get("slug") or "").strip()
    return model._default_manager.filter(slug=slug).first() if slug else None


def _new_instance(kind: str, values: dict[str, Any]) -> models.Model:
    """A new, unsaved instance carrying what the form does not set (slug, code system)."""
    model = form_class(kind)._meta.model
    instance = model()
    slug = str(values.get("slug") or "").strip()
    if slug and "slug" not in form_fields(kind):
        max_length = model._meta.get_field("slug").max_length
        try:
            validate_slug(slug)
        except ValidationError as exc:
            raise _CellError(" ".join(exc.messages)) from None
        if max_length and len(slug) > max_length:
            raise _CellError(f"at most {max_length} characters (it has {len(slug)})")
        instance.slug = slug  # type: ignore[attr-defined]
    return instance


def _code_system(code: str) -> str:
    """The code system a region code belongs to, when the file does not say."""
    upper = code.upper()
    if re.fullmatch(r"(GM|PV|ES|CR|VR|WK|BU|LD|RE)\d+", upper):
        return Region.CodeSystem.CBS
    if re.fullmatch(r"(WS|OORG|MNRE)\d+", upper):
        return Region.CodeSystem.TOOI
    if re.fullmatch(r"[A-Z]{2}", upper):
        return Region.CodeSystem.ISO
    return Region.CodeSystem.PLEK


def _apply_extras(kind: str, instance: models.Model, values: dict[str, Any], where: str) -> list[RowError]:
    """Region code systems: inferred from the code when the file leaves them out or empty."""
    if kind != "region":
        return []
    raw = values.get("code_system")
    text = "" if raw is None else str(raw).strip().lower()
    if not text:
        values.pop("code_system", None)  # keep the current one, or infer it for a new region
        if not instance.pk or not instance.code_system:  # type: ignore[attr-defined]
            instance.code_system = _code_system(str(values.get("code") or ""))  # type: ignore[attr-defined]
        return []
    if "code_system" in form_fields(kind):
        return []  # the form validates it
    if text not in Region.CodeSystem.values:
        choices = ", ".join(Region.CodeSystem.values)
        return [RowError(where, "code_system", f"Onbekende waarde: {raw}. Choose one of {choices}.")]
    instance.code_system = text  # type: ignore[attr-defined]
    return []


def _value_note(raw: Any) -> str:
    if raw is None or isinstance(raw, dict | list | bool):
        return ""
    text = str(raw).strip()
    if not text or len(text) > 80:
        return ""
    return text


# ---- importing -----------------------------------------------------------------------------------------


def import_viewer(user: Any = None) -> Viewer:
    """The viewer imports run as: a platform administrator (optionally a named user, for history)."""
    return Viewer(user=user, is_authenticated=True, is_admin=True)


def _import_one(kind: str, record: Record, viewer: Viewer) -> tuple[str, list[RowError]]:
    """Validate and save one record; returns ("created"|"updated"|"rejected", errors)."""
    where, values = record.where, dict(record.values)
    fields = form_fields(kind)
    try:
        instance = _existing(kind, values)
    except DatabaseError as exc:
        return "rejected", [RowError(where, None, f"could not be looked up ({exc})")]
    creating = instance is None
    errors: list[RowError] = []
    if instance is None:
        try:
            instance = _new_instance(kind, values)
        except _CellError as exc:
            return "rejected", [RowError(where, "slug", str(exc))]
    errors.extend(_apply_extras(kind, instance, values, where))
    data = _current(kind, instance)
    defaulted = defaulted_fields(kind)
    for name, raw in values.items():
        if name not in fields:
            continue
        try:
            value = _cell(kind, name, fields[name], raw)
        except _CellError as exc:
            errors.append(RowError(where, name, str(exc)))
            continue
        if value == "" and name in defaulted:
            continue  # e.g. an empty visibility cell: the model default for a new row, unchanged otherwise
        data[name] = value
    if kind == "region" and not creating:
        data["code"] = instance.code  # type: ignore[attr-defined]  # matched case-insensitively: keep the official spelling
    if errors:
        return "rejected", errors
    try:
        with transaction.atomic():
            form = entity_form(kind, viewer=viewer, data=data, instance=instance)
            entity_save(viewer=viewer, kind=kind, form=form, source="import")
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


def import_records(
    kind: str,
    records: list[Record],
    *,
    viewer: Viewer,
    dry_run: bool = False,
    keep_going: bool = False,
    progress: Callable[[int], Any] | None = None,
) -> ImportReport:
    """Import checked records in one transaction.

    All-or-nothing unless `keep_going`: any bad row rolls everything back (the other rows are still
    validated, so the report lists every problem). `dry_run` validates everything against the real
    database, as a real run would, and then rolls back."""
    report = ImportReport(kind=kind, total=len(records), dry_run=dry_run)
    seen: dict[Any, str] = {}
    with transaction.atomic():
        for record in records:
            errors = list(record.problems)
            if not errors:
                key = _key(kind, record.values)
                if key is not None and key[1] in seen:
                    name = key[0]
                    shown = record.values.get(name) if name else " ".join(key[1])
                    errors.append(RowError(record.where, name, f"duplicate of {seen[key[1]]} ({shown})"))
                elif key is not None:
                    seen[key[1]] = record.where
            if not errors:
                outcome, errors = _import_one(kind, record, viewer)
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


def import_file(
    kind: str,
    path: Path,
    *,
    fmt: str | None = None,
    viewer: Viewer | None = None,
    dry_run: bool = False,
    keep_going: bool = False,
    progress: Callable[[int], Any] | None = None,
) -> ImportReport:
    records = read_file(path, kind, fmt)
    return import_records(
        kind,
        records,
        viewer=viewer or import_viewer(),
        dry_run=dry_run,
        keep_going=keep_going,
        progress=progress,
    )
