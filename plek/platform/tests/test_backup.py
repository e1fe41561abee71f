"""Issue 13, point 8: `plek backup` → `plek restore` round trip. The restore (a real `plek restore`
process into a new, empty instance) checks every table's row count and checksum and every file
against the manifest, erases again what was erased after the backup (the erasure log lives outside
the backup), and reindexes. A damaged backup or a non-empty target is refused."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connection

from plek.atlas.models import Person
from plek.atlas.permissions import viewer_for
from plek.atlas.services import entity_delete
from plek.core.erasure import erasure_entries
from plek.platform.backup import BackupError, backup_create, backup_restore, backup_verify_files

pytestmark = pytest.mark.django_db(transaction=True)


def _target_database(tmp_path: Path) -> tuple[str, Any]:
    """A new, empty database of the same engine; returns its URL and a cleanup."""
    if connection.vendor == "sqlite":
        return f"sqlite:///{tmp_path / 'restored' / 'plek.sqlite3'}", lambda: None
    import psycopg

    db = connection.settings_dict
    name = f"{db['NAME']}_restore"[:60]
    dsn = f"host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432} user={db['USER']} dbname=postgres"
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}"')
        c.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(dsn, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"
    return url, drop


def _person_ids(url: str) -> set[int]:
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as c:
            return {r[0] for r in c.execute("SELECT id FROM atlas_person")}
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://")) as c:
        return {r[0] for r in c.execute("SELECT id FROM atlas_person")}


def test_backup_restore_round_trip_keeps_everything_and_erasures(
    cast: dict[str, Any], hub: Any, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PLEK_ERASURE_LOG = str(tmp_path / "outside" / "erasure-log.jsonl")
    upload = Path(settings.MEDIA_ROOT) / "bijlagen" / "2026" / "rapport.pdf"
    upload.parent.mkdir(parents=True)
    upload.write_bytes(b"%PDF-1.4 " + os.urandom(4096))
    keep = Person.objects.create(slug="blijft-bestaan", name="Blijft Bestaan", owner_hub=hub)
    erase = Person.objects.create(
        slug="wordt-gewist", name="Wordt Gewist", email="w@example.org", owner_hub=hub
    )

    manifest = backup_create(tmp_path / "backup")
    assert manifest["tables"]["atlas.person"]["rows"] == Person.objects.count()
    assert "media/bijlagen/2026/rapport.pdf" in manifest["files"]
    assert backup_verify_files(tmp_path / "backup")["created_at"] == manifest["created_at"]

    # An erasure after the backup is logged outside it.
    erased_pk = erase.pk
    entity_delete(viewer=viewer_for(cast["admin"]), kind="person", instance=erase)
    assert erasure_entries()[-1]["pk"] == erased_pk and erasure_entries()[-1]["model"] == "atlas.person"
    assert "Wordt" not in Path(settings.PLEK_ERASURE_LOG).read_text()

    # This instance is not empty: refused, nothing changed.
    with pytest.raises(BackupError, match="already holds data"):
        backup_restore(tmp_path / "backup")
    assert Person.objects.filter(pk=keep.pk).exists()

    url, cleanup = _target_database(tmp_path)
    try:
        target = tmp_path / "restored"
        target.mkdir(exist_ok=True)
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": url,
            "PLEK_VAR_DIR": str(target),
            "MEDIA_ROOT": str(target / "media"),
            "PLEK_SEARCH_DIR": str(target / "search"),
            "PLEK_ERASURE_LOG": settings.PLEK_ERASURE_LOG,
            "PLEK_SEARCH_BACKEND": django_settings.PLEK_SEARCH_BACKEND,
        }
        done = subprocess.run(
            [sys.executable, "-m", "plek.cli", "restore", str(tmp_path / "backup")],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            cwd=str(django_settings.BASE_DIR),
        )
        assert done.returncode == 0, done.stderr[-3000:]
        report = json.loads(done.stdout.strip().splitlines()[-1])
        assert report["rows"] == sum(t["rows"] for t in manifest["tables"].values())
        assert report["tables"] == len(manifest["tables"])
        assert report["erasures"] == {"entries": 1, "erased_again": 1}
        assert report["reindexed"] is True
        restored = _person_ids(url)
        assert keep.pk in restored and erased_pk not in restored
        assert (target / "media" / "bijlagen" / "2026" / "rapport.pdf").read_bytes() == upload.read_bytes()
    finally:
        cleanup()


def test_a_damaged_backup_is_refused(hub: Any, settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    (Path(settings.MEDIA_ROOT) / "a.txt").parent.mkdir(parents=True)
    (Path(settings.MEDIA_ROOT) / "a.txt").write_text("inhoud")
    backup_create(tmp_path / "backup")
    with pytest.raises(BackupError, match="not empty"):
        backup_create(tmp_path / "backup")
    copy = tmp_path / "damaged"
    shutil.copytree(tmp_path / "backup", copy)
    (copy / "media" / "a.txt").write_text("veranderd")
    with pytest.raises(BackupError, match="checksum"):
        backup_verify_files(copy)
