"""The platform fills every hook a lower layer reads (plek/platform/registry.py), in layer order."""

from __future__ import annotations

from dataclasses import fields
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from plek.core.hooks import Hooks, hooks


def test_every_hook_is_filled_at_start_up() -> None:
    empty = [f.name for f in fields(Hooks) if not getattr(hooks, f.name)]
    assert empty == []


def test_the_lower_layers_see_what_the_higher_ones_register() -> None:
    from plek.accounts.personal_data import sections
    from plek.atlas.exporters import all_sections
    from plek.atlas.picture import map_measures
    from plek.knowledge.indexing import builders

    assert {
        "knowledge",
        "person",
        "question",
        "trajectory",
        "lesson",
        "decision",
    } <= set(builders())
    names = [s.name for s in all_sections()]
    assert names[-3:] == ["knowledge", "learning_trajectories", "decisions"]
    assert names.index("knowledge") > names.index("people")
    assert {"knowledge", "open_questions", "indicator"} <= set(map_measures())
    assert [s.key for s in sections()] == ["account", "atlas", "brokering", "learning", "governance"]


def test_demo_steps_run_lower_layers_first() -> None:
    apps = [step.__module__.split(".")[1] for step in hooks.demo_steps]
    assert apps == ["atlas", "knowledge", "brokering", "learning", "governance", "strategy"]


@pytest.mark.django_db
def test_plek_demo_refuses_a_second_load_and_leaves_data_alone_if_asked(ref: None) -> None:
    from plek.atlas.models import Person

    quiet = StringIO()
    Person.objects.create(slug="demo-persoon", name="Demo Persoon", is_synthetic=True)
    call_command("demo", "--if-empty", stdout=quiet, verbosity=0)
    assert "already has data" in quiet.getvalue()
    with pytest.raises(CommandError, match="already loaded"):
        call_command("demo", stdout=StringIO(), verbosity=0)
    with pytest.raises(CommandError, match="--items"):
        call_command("demo", "--items", "-1", stdout=StringIO(), verbosity=0)
