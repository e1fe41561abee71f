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


def orm_reads(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [
        f"{path.name}:{node.lineno}: .{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr in MANAGERS
    ]


def defined_functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}


def test_the_check_finds_a_manager() -> None:
    source = "from x import Question\nrows = Question.objects.filter(state='new')\n"
    tree = ast.parse(source)
    found = [n for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr in MANAGERS]
    assert len(found) == 1


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_api_modules_read_through_selectors_never_the_orm(path: Path) -> None:
    assert orm_reads(path) == [], "read through the app's selectors (add one at the end of selectors.py)"


@pytest.mark.parametrize("name", ["validation_problem", "paginate", "created", "region_ref", "_op"])
def test_toolkit_functions_are_defined_once(name: str) -> None:
    homes = [p.name for p in SOURCES if name in defined_functions(p)]
    assert homes in ([], ["common.py"]), f"{name} is defined in {homes}; import it from plek.api.common"
