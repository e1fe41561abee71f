"""Uploads in an S3-compatible bucket (`PLEK_S3_BUCKET`, django-storages), against a real S3 server
started here (moto's standalone server over HTTP): an upload through the page lands in the bucket
and nowhere on disk, its text is extracted from there, the download streams it back through the
permission check, a refused upload leaves no object, removing the attachment removes the object, and
`plek backup` → `plek restore` carries the bucket's files into another bucket."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from plek.core.env import storages_from_env
from plek.core.testing import free_port, stop, wait_for
from plek.knowledge.models import Attachment, KnowledgeItem
from plek.knowledge.tests.pdf_fixture import pdf_with_text
from plek.platform.backup import backup_create
from plek.platform.tests.test_backup import _target_database


def _answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=2).read()
        return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def s3_server() -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(url + "/"), timeout=60)
        yield url
    finally:
        stop(proc)


def _s3_env(server: str, bucket: str) -> dict[str, str]:
    return {
        "PLEK_S3_BUCKET": bucket,
        "PLEK_S3_ENDPOINT_URL": server,
        "PLEK_S3_REGION": "us-east-1",
        "PLEK_S3_ACCESS_KEY_ID": "plek-test",
        "PLEK_S3_SECRET_ACCESS_KEY": "plek-test-secret",
        "PLEK_S3_ADDRESSING_STYLE": "path",
        "PLEK_S3_PREFIX": "uploads",
    }


def _client(server: str) -> Any:
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=server,
        region_name="us-east-1",
        aws_access_key_id="plek-test",
        aws_secret_access_key="plek-test-secret",
    )


def _objects(server: str, bucket: str) -> dict[str, bytes]:
    client = _client(server)
    listed = client.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {o["Key"]: client.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in listed}


@pytest.fixture
def bucket(s3_server: str, settings: Any, tmp_path: Path) -> str:
    name = f"plek-{uuid.uuid4().hex[:12]}"
    _client(s3_server).create_bucket(Bucket=name)
    settings.STORAGES = storages_from_env(_s3_env(s3_server, name))
    settings.MEDIA_ROOT = tmp_path / "media"  # must stay empty: nothing goes to this node's disk
    return name


def _form(file: SimpleUploadedFile, title: str) -> dict[str, Any]:
    return {
        "title": title,
        "kind": "case",
        "language": "nl",
        "scale": "local",
        "visibility": "public",
        "provenance": "made_here",
        "licence": "CC BY 4.0",
        "file": file,
    }


def test_without_a_bucket_uploads_stay_on_disk_and_with_one_they_go_to_s3() -> None:
    assert storages_from_env({})["default"] == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    config = storages_from_env(_s3_env("http://s3.example:9000", "plek-media"))["default"]
    assert config["BACKEND"] == "storages.backends.s3.S3Storage"
    assert config["OPTIONS"] == {
        "bucket_name": "plek-media",
        "location": "uploads",
        "default_acl": None,
        "querystring_auth": True,
        "file_overwrite": False,
        "signature_version": "s3v4",
        "endpoint_url": "http://s3.example:9000",
        "region_name": "us-east-1",
        "access_key": "plek-test",
        "secret_key": "plek-test-secret",
        "addressing_style": "path",
    }
    # No keys given: boto3's own chain (environment, instance role) finds them.
    bare = storages_from_env({"PLEK_S3_BUCKET": "b"})["default"]["OPTIONS"]
    assert "access_key" not in bare and "endpoint_url" not in bare and bare["location"] == "media"
    with pytest.raises(ValueError, match="ADDRESSING_STYLE"):
        storages_from_env({"PLEK_S3_BUCKET": "b", "PLEK_S3_ADDRESSING_STYLE": "sideways"})


@pytest.mark.django_db
def test_an_upload_lands_in_the_bucket_and_comes_back_through_the_permission_check(
    cast: dict[str, Any],
    hub: Any,
    bucket: str,
    s3_server: str,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = Client()
    client.force_login(cast["member"])
    refused = client.post(
        "/kennis/nieuw/",
        _form(SimpleUploadedFile("virus.pdf", Path("/bin/ls").read_bytes()[:50_000]), "Geweigerd"),
    )
    assert refused.status_code == 422
    assert _objects(s3_server, bucket) == {}  # a refused upload leaves no object

    pdf = pdf_with_text("Zoutindringing in de Zeeuwse polders")
    with django_capture_on_commit_callbacks(execute=True):  # the worker extracts after the commit
        response = client.post("/kennis/nieuw/", _form(SimpleUploadedFile("rapport.pdf", pdf), "In de emmer"))
    assert response.status_code == 302
    item = KnowledgeItem.objects.get(title="In de emmer")
    attachment = item.attachments.get()
    stored = _objects(s3_server, bucket)
    assert stored == {f"uploads/{attachment.file.name}": pdf}
    assert attachment.file.name.startswith(f"kennis/{item.uuid}/")
    assert not Path(settings.MEDIA_ROOT).exists() or not any(Path(settings.MEDIA_ROOT).rglob("*"))
    assert attachment.text.strip().startswith("Zoutindringing")  # read back from the bucket

    download = client.get(f"/kennis/{item.slug}/bijlagen/{attachment.pk}/")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == pdf
    outsider = Client()  # public item: anyone may download; a private one answers 404 (test_attachments)
    item.visibility = "private"
    item.save(update_fields=["visibility"])
    assert outsider.get(f"/kennis/{item.slug}/bijlagen/{attachment.pk}/").status_code == 404

    with django_capture_on_commit_callbacks(execute=True):
        removed = client.post(f"/kennis/{item.slug}/bijlagen/{attachment.pk}/verwijderen/")
    assert removed.status_code == 302
    assert not Attachment.objects.filter(pk=attachment.pk).exists()
    assert _objects(s3_server, bucket) == {}


@pytest.mark.django_db(transaction=True)
def test_backup_and_restore_carry_the_buckets_files(
    hub: Any, bucket: str, s3_server: str, settings: Any, tmp_path: Path
) -> None:
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    settings.PLEK_ERASURE_LOG = str(tmp_path / "outside" / "erasure-log.jsonl")
    data = b"%PDF-1.4 " + os.urandom(2048)
    name = default_storage.save("kennis/abc/rapport.pdf", ContentFile(data))
    assert name == "kennis/abc/rapport.pdf"
    manifest = backup_create(tmp_path / "backup")
    assert "media/kennis/abc/rapport.pdf" in manifest["files"]
    assert (tmp_path / "backup" / "media" / "kennis" / "abc" / "rapport.pdf").read_bytes() == data

    other = f"plek-{uuid.uuid4().hex[:12]}"
    _client(s3_server).create_bucket(Bucket=other)
    url, cleanup = _target_database(tmp_path)
    try:
        target = tmp_path / "restored"
        target.mkdir(exist_ok=True)
        env = {
            **os.environ,
            **_s3_env(s3_server, other),
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
        assert json.loads(done.stdout.strip().splitlines()[-1])["files"] == 1
        assert _objects(s3_server, other) == {"uploads/kennis/abc/rapport.pdf": data}
        assert not (target / "media").exists() or not any((target / "media").rglob("*"))
    finally:
        cleanup()
