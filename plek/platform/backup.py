"""`plek backup` and `plek restore`: the database (SQLite's online backup API or pg_dump), the
uploaded files and a manifest with row counts, per-table checksums and file checksums.

A restore goes into an empty instance only, checks every checksum and count against the manifest,
re-applies the erasure log (plek.core.erasure: erasures made after the backup stay erased) and
rebuilds the search index."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess  # nosec B404 # pg_dump / pg_restore with fixed arguments
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage, storages
from django.db import connection, transaction
from django.utils import timezone

from plek.core.erasure import erasure_entries, erasures_reapply
from plek.knowledge import indexing

FORMAT = 1
MANIFEST = "manifest.json"
# Framework tables that a freshly migrated, otherwise empty instance already fills.
FRAMEWORK = {"contenttypes.contenttype", "auth.permission", "sessions.session", "admin.logentry"}


class BackupError(RuntimeError):
    pass


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _models() -> list[Any]:
    return sorted(
        (m for m in apps.get_models() if m._meta.managed and not m._meta.proxy),
        key=lambda m: m._meta.label_lower,
    )


def _tables() -> set[str]:
    return set(connection.introspection.table_names())


def table_state() -> dict[str, dict[str, Any]]:
    """Per model: the row count and a checksum over every row (ordered by primary key)."""
    tables = _tables()
    state: dict[str, dict[str, Any]] = {}
    for model in _models():
        if model._meta.db_table not in tables:
            continue
        h = hashlib.sha256()
        n = 0
        for row in model._default_manager.order_by("pk").values_list().iterator(chunk_size=2000):
            h.update(repr(row).encode("utf-8"))
            n += 1
        state[model._meta.label_lower] = {"rows": n, "sha256": h.hexdigest()}
    return state


def _pg_env() -> tuple[list[str], dict[str, str]]:
    db = settings.DATABASES["default"]
    args = ["-h", str(db.get("HOST") or "127.0.0.1"), "-p", str(db.get("PORT") or 5432)]
    if db.get("USER"):
        args += ["-U", str(db["USER"])]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def _is_sqlite() -> bool:
    return bool(connection.vendor == "sqlite")


def backup_create(target_dir: Path) -> dict[str, Any]:
    """Write a backup into `target_dir` (created; must be empty) and return its manifest."""
    target_dir = Path(target_dir)
    if target_dir.exists() and any(target_dir.iterdir()):
        raise BackupError(f"{target_dir} is not empty")
    target_dir.mkdir(parents=True, exist_ok=True)
    files: dict[str, str] = {}
    # The counts and checksums describe exactly what is copied: on SQLite one IMMEDIATE transaction
    # holds writers back while both are taken (readers go on); on PostgreSQL pg_dump reads the
    # snapshot of the REPEATABLE READ transaction in which the checksums are taken.
    if _is_sqlite():
        db_file = target_dir / "db.sqlite3"
        with transaction.atomic():  # BEGIN IMMEDIATE: other writers wait until the copy is made
            state = table_state()
            # A second, read-only connection copies: SQLite refuses a backup from a connection that
            # holds the write lock, and in WAL mode a reader sees exactly what table_state() saw.
            src = sqlite3.connect(str(connection.settings_dict["NAME"]))
            dst = sqlite3.connect(db_file)
            try:
                src.backup(dst)
            finally:
                dst.close()
                src.close()
    else:
        db_file = target_dir / "db.dump"
        args, env = _pg_env()
        name = str(settings.DATABASES["default"]["NAME"])
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            state = table_state()
            subprocess.run(  # nosec B603 B607 # pg_dump from PATH, fixed arguments
                ["pg_dump", *args, "-Fc", "--no-owner", f"--snapshot={snapshot}", "-f", str(db_file), name],
                check=True,
                env=env,
                capture_output=True,
            )
    files[db_file.name] = _sha256(db_file)
    storage = storages["default"]  # MEDIA_ROOT, or the S3 bucket (PLEK_S3_BUCKET)
    for name in stored_files(storage):
        rel = Path("media") / name
        (target_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        with storage.open(name, "rb") as stored, (target_dir / rel).open("wb") as copy:
            shutil.copyfileobj(stored, copy)
        files[rel.as_posix()] = _sha256(target_dir / rel)
    manifest = {
        "format": FORMAT,
        "created_at": timezone.now().isoformat(),
        "engine": connection.vendor,
        "database_file": db_file.name,
        "tables": state,
        "files": files,
        "erasure_log_entries": len(erasure_entries()),
    }
    (target_dir / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
    return manifest


def instance_is_empty() -> bool:
    tables = _tables()
    for model in _models():
        if model._meta.label_lower in FRAMEWORK or model._meta.db_table not in tables:
            continue
        if model._default_manager.exists():
            return False
    return True


def stored_files(storage: Storage) -> list[str]:
    """Every file in a storage (a folder tree, or an S3 bucket's prefix), by name, sorted."""
    found: list[str] = []
    folders = [""]
    while folders:
        folder = folders.pop()
        try:
            subfolders, names = storage.listdir(folder)
        except FileNotFoundError:  # MEDIA_ROOT not made yet: no uploads
            continue
        prefix = f"{folder}/" if folder else ""
        found += [prefix + n for n in names]
        folders += [prefix + d for d in subfolders]
    return sorted(found)


def backup_verify_files(source: Path) -> dict[str, Any]:
    manifest = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    for rel, digest in manifest["files"].items():
        path = source / rel
        if not path.is_file() or _sha256(path) != digest:
            raise BackupError(f"{rel}: missing or checksum differs")
    return dict(manifest)


def backup_restore(source: Path, *, reindex: bool = True) -> dict[str, Any]:
    """Restore the backup in `source` into this (empty) instance; returns a report."""
    source = Path(source)
    manifest = backup_verify_files(source)
    if manifest["engine"] != connection.vendor:
        raise BackupError(f"backup of {manifest['engine']}, this instance is {connection.vendor}")
    if not instance_is_empty():
        raise BackupError("this instance already holds data; restore only into an empty one")
    db_file = source / manifest["database_file"]
    if _is_sqlite():
        connection.ensure_connection()
        src = sqlite3.connect(db_file)
        try:
            src.backup(connection.connection)
        finally:
            src.close()
        connection.close()
    else:
        args, env = _pg_env()
        name = str(settings.DATABASES["default"]["NAME"])
        connection.close()
        subprocess.run(  # nosec B603 B607 # pg_restore from PATH, fixed arguments
            ["pg_restore", *args, "--clean", "--if-exists", "--no-owner", "-d", name, str(db_file)],
            check=True,
            env=env,
            capture_output=True,
        )
    storage = storages["default"]
    for rel in manifest["files"]:
        if rel.startswith("media/"):
            name = Path(rel).relative_to("media").as_posix()
            with (source / rel).open("rb") as fh:
                saved = storage.save(name, File(fh))
            if saved != name:  # the name was taken: the storage is not empty
                raise BackupError(f"{name}: already in the upload storage (stored as {saved})")
    state = table_state()
    differs = sorted(label for label, want in manifest["tables"].items() if state.get(label) != want)
    if differs:
        raise BackupError(f"restored tables differ from the manifest: {', '.join(differs[:10])}")
    erasures = erasures_reapply()
    if reindex:
        indexing.reindex()
    return {
        "restored_from": str(source),
        "backup_created_at": manifest["created_at"],
        "tables": len(state),
        "rows": sum(t["rows"] for t in state.values()),
        "files": sum(1 for rel in manifest["files"] if rel.startswith("media/")),
        "erasures": erasures,
        "reindexed": reindex,
        "restored_at": dt.datetime.now(dt.UTC).isoformat(),
    }
