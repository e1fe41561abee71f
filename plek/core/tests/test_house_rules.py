"""The house rules that tools enforce, so they do not depend on memory (docs/new-feature.md):

- views read through selectors and write through services: no model manager (`Model.objects`,
  `_default_manager`) in a view module;
- who may do what is decided in the app's `permissions.py`: no `… is_admin or …` elsewhere (a rule
  written inline drifts from its twin in the API or the service).

Both are checked on the syntax tree, so comments and strings do not count. The layer rule itself is
import-linter's (`lint-imports`, the contract in pyproject.toml)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]  # the plek package
MANAGERS = {"objects", "_default_manager", "_base_manager"}

# View modules: views.py, views_*.py and views/ packages of every app, and federation's pages.
VIEW_GLOBS = ("*/views*.py", "*/views/**/*.py", "federation/pages.py")

# Files that still break a rule, each with the reason and who removes it. The test fails once such a
# file keeps the rule, so the exemption cannot outlive its reason.
EXEMPT_INLINE_ADMIN: set[str] = set()


def _python_files() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.py") if "tests" not in p.parts and "migrations" not in p.parts)


def _view_files() -> list[Path]:
    found = {p for pattern in VIEW_GLOBS for p in ROOT.glob(pattern)}
    return sorted(p for p in found if "tests" not in p.parts)


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _tree(path: Path) -> ast.AST:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def manager_uses(path: Path) -> list[str]:
    """`<where>: <source>` of every model-manager attribute in the file."""
    source = path.read_text(encoding="utf-8")
    return [
        f"{_name(path)}:{node.lineno}: {ast.get_source_segment(source, node)}"
        for node in ast.walk(_tree(path))
        if isinstance(node, ast.Attribute) and node.attr in MANAGERS
    ]


def inline_admin_rules(path: Path) -> list[str]:
    """Every `… or …` that has an `x.is_admin` operand, in either order and across lines."""
    out = []
    for node in ast.walk(_tree(path)):
        if (
            isinstance(node, ast.BoolOp)
            and isinstance(node.op, ast.Or)
            and any(isinstance(v, ast.Attribute) and v.attr == "is_admin" for v in node.values)
        ):
            out.append(f"{_name(path)}:{node.lineno}")
    return out


def test_the_rules_see_what_they_forbid(tmp_path: Path) -> None:
    """The checks find the constructs (so a green run means something)."""
    sample = tmp_path / "views.py"
    sample.write_text(
        "def view(request, viewer, item):\n"
        "    rows = Thing.objects.filter(pk=1)\n"
        "    allowed = (viewer.is_admin\n"
        "        or item.owner_id == viewer.user_id)\n"
        "    other = item.pk in ids or viewer.is_admin\n"
        "    # Thing.objects in a comment, 'viewer.is_admin or x' in a string: not counted\n",
        encoding="utf-8",
    )
    assert len(manager_uses(sample)) == 1
    assert len(inline_admin_rules(sample)) == 2


def test_view_modules_are_found() -> None:
    names = {str(p.relative_to(ROOT)) for p in _view_files()}
    assert {"atlas/views.py", "atlas/views_consent.py", "brokering/views_overview.py"} <= names
    assert "federation/pages.py" in names


@pytest.mark.parametrize("path", _view_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_views_read_through_selectors(path: Path) -> None:
    """A view parses input, calls a selector (read) or a service (write) and renders."""
    assert manager_uses(path) == [], "use (or add) a selector in the app's selectors.py"


def test_permission_rules_live_in_permissions_modules() -> None:
    found = {
        str(p.relative_to(ROOT)): inline_admin_rules(p) for p in _python_files() if p.name != "permissions.py"
    }
    offending = {name: lines for name, lines in found.items() if lines and name not in EXEMPT_INLINE_ADMIN}
    assert offending == {}, "name the rule as a predicate in the app's permissions.py"
    stale = sorted(name for name in EXEMPT_INLINE_ADMIN if not found.get(name))
    assert stale == [], "these files keep the rule now: remove them from EXEMPT_INLINE_ADMIN"
