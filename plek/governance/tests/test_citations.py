"""A scenario result lists what cites it (knowledge items, proposals, their decisions), each only as
far as the viewer may see; the citing pages link to the result's stable URL (both ways)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from plek.governance.models import Decision, Evidence, Proposal
from plek.governance.tests.factories import make_proposal
from plek.knowledge.models import KnowledgeItem
from plek.strategy.demo import strategy_demo
from plek.strategy.models import SolveRun, Study
from plek.strategy.services import solve_execute, study_problem

pytestmark = pytest.mark.django_db


def test_result_page_lists_what_cites_it(ref: None, gov: dict[str, Any]) -> None:
    strategy_demo(seed=7)
    variant = Study.objects.get(slug="ruimtepuzzel-demo").variants.order_by("id").first()
    assert variant is not None
    run = SolveRun.objects.create(variant=variant, input_hash=study_problem(variant).input_hash())
    solve_execute(run.pk)
    path = f"/strategie/resultaten/{run.input_hash}/"
    KnowledgeItem.objects.create(
        slug="ruimte-analyse",
        title="Analyse ruimtepuzzel",
        summary="s",
        body=f"Zie http://x{path}",
        kind="report",
        visibility="public",
    )
    KnowledgeItem.objects.create(
        slug="geheime-analyse",
        title="Geheime analyse",
        summary="s",
        body=f"Zie {path}",
        kind="report",
        visibility="private",
    )
    public = make_proposal(gov["initiative"], title="Woningbouw niet op waterbergingsgrond")
    Proposal.objects.filter(pk=public.pk).update(state=Proposal.State.DECIDED)
    Evidence.objects.create(proposal=public, kind="scenario", url=f"http://x{path}", title="Uitkomst")
    decision = Decision.objects.create(proposal=public, outcome="adopted", text="Aangenomen.")
    draft = make_proposal(gov["initiative"], title="Conceptvoorstel over water")
    Evidence.objects.create(proposal=draft, kind="scenario", url=path, title="Uitkomst")

    page = Client().get(path).content.decode()
    assert "Geciteerd door" in page
    assert 'href="/kennis/ruimte-analyse/"' in page and "Geheime analyse" not in page
    assert f'href="/governance/voorstellen/{public.pk}/"' in page
    assert f'href="/governance/besluiten/{decision.pk}/"' in page
    assert "Conceptvoorstel over water" not in page  # a draft is for its author and the bodies
    author = Client()
    author.force_login(gov["initiative"])
    assert "Conceptvoorstel over water" in author.get(path).content.decode()
