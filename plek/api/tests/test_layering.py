"""The API is a thin adapter: it reads through the apps' selectors, never the ORM, and the toolkit
(operations, errors, pagination, references) exists once, in `plek/api/common.py`."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

API = Path(__file__).resolve().parents[1]
SOURCES = sorted(p for p in API.glob("*.py"))
# A manager reached from a model class: `Model.objects`, `Model._default_manager`,
# `Model.regions.through.objects`. Related managers on instances (`item.themes.all()`) are fine.
MANAGERS = {"objects", "_default_manager", "_base_manager"}
# What a selector decides: which related rows are read along (`select=`, `prefetch=` arguments of the
# selectors instead).
JOINS = {"select_related", "prefetch_related", "prefetch_related_objects"}


def orm_reads(path: Path) -> list[str]:
    return found_in(path.read_text(encoding="utf-8"), path.name)


def found_in(source: str, name: str = "<source>") -> list[str]:
    tree = ast.parse(source, filename=name)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in MANAGERS | JOINS:
            found.append(f"{name}:{node.lineno}: .{node.attr}")
        elif isinstance(node, ast.Name) and node.id in JOINS:
            found.append(f"{name}:{node.lineno}: {node.id}")
        elif isinstance(node, ast.ImportFrom) and any(a.name in JOINS for a in node.names):
            found.append(f"{name}:{node.lineno}: import")
    return found


def defined_functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}


def test_the_check_finds_a_manager_and_a_join() -> None:
    assert len(found_in("from x import Question\nrows = Question.objects.filter(state='new')\n")) == 1
    assert len(found_in("rows = selectors.question_queryset(viewer=v).select_related('owner_hub')\n")) == 1
    assert len(found_in("from django.db.models import prefetch_related_objects\n")) == 1
    assert len(found_in("import django.db.models as m\nm.prefetch_related_objects([q], 'regions')\n")) == 1
    assert found_in("rows = selectors.question_queryset(viewer=v, select=REFERENCES)\n") == []


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_api_modules_read_through_selectors_never_the_orm(path: Path) -> None:
    assert orm_reads(path) == [], "read through the app's selectors (add one at the end of selectors.py)"


@pytest.mark.parametrize("name", ["validation_problem", "paginate", "created", "region_ref", "_op"])
def test_toolkit_functions_are_defined_once(name: str) -> None:
    homes = [p.name for p in SOURCES if name in defined_functions(p)]
    assert homes in ([], ["common.py"]), f"{name} is defined in {homes}; import it from plek.api.common"
