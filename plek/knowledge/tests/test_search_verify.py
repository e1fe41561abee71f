"""`plek search verify`: equal after a reindex; a missing, an extra and a stale document each make it
report a difference (and the command exit non-zero)."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from plek.atlas.models import Organisation
from plek.knowledge.indexing import index_verify, reindex
from plek.knowledge.search import get_backend

pytestmark = pytest.mark.django_db


def test_verify_finds_missing_extra_and_stale_documents(hub: Any) -> None:
    a = Organisation.objects.create(slug="org-a", name="Organisatie A", owner_hub=hub)
    b = Organisation.objects.create(slug="org-b", name="Organisatie B", owner_hub=hub)
    reindex()
    result = index_verify()
    assert result["equal"] and result["missing"] == result["extra"] == result["stale"] == 0
    out = StringIO()
    call_command("search", "verify", stdout=out)
    assert json.loads(out.getvalue().strip().splitlines()[-1])["equal"] is True

    get_backend().delete([f"organisation:{a.pk}"])  # lost from the index
    Organisation.objects.filter(pk=b.pk).update(name="Organisatie B, hernoemd")  # index not told
    Organisation.objects.create(slug="org-c", name="Organisatie C", owner_hub=hub)  # never indexed
    result = index_verify()
    assert not result["equal"]
    assert result["missing"] == 2 and result["stale"] == 1 and result["extra"] == 0
    with pytest.raises(CommandError, match="differs"):
        call_command("search", "verify", stdout=StringIO())

    reindex()
    assert index_verify()["equal"]
    Organisation.objects.filter(pk__in=[a.pk, b.pk]).delete()  # gone from the database only
    result = index_verify()
    assert result["extra"] == 2 and result["missing"] == 0 and not result["equal"]
