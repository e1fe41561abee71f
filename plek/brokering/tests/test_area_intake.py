"""The question intake takes areas of every kind by name, through the shared area picker."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from plek.brokering.models import Question

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_question_form_takes_every_region_kind_by_name(cast: dict[str, Any]) -> None:
    client = _client(cast["outsider"])
    response = client.post(
        reverse("brokering:intake"),
        {
            "title": "Hoe combineren we waterberging en woningbouw?",
            "text": "In onze regio willen we weten hoe waterberging en woningbouw samengaan in de Vallei.",
            "regions": [],
            "region_add": "waterschap Vallei en Veluwe; Foodvalley",
            "answer_kind": "expert",
            "asker_role": "practice",
            "visibility": "public",
        },
    )
    question = Question.objects.filter(title__startswith="Hoe combineren").first()
    assert response.status_code == 302 and question is not None
    kinds = sorted(question.regions.values_list("kind", flat=True))
    assert kinds == ["res_region", "water_board"]
