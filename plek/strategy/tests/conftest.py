from __future__ import annotations

from typing import Any

import pytest

from plek.strategy.demo import strategy_demo
from plek.strategy.models import Study


@pytest.fixture
def demo(ref: None) -> Study:
    """The synthetic indicators for the provinces and a small generated study (public, no owner)."""
    strategy_demo(seed=7)
    return Study.objects.get(slug="ruimtepuzzel-demo")


@pytest.fixture
def hub_study(demo: Study, hub: Any, cast: dict[str, Any]) -> Study:
    """The demo study owned by the test hub, written by its member."""
    demo.owner_hub = hub
    demo.created_by = cast["member"]
    demo.is_synthetic = True
    demo.save()
    return demo


@pytest.fixture
def run_tasks(django_capture_on_commit_callbacks: Any) -> Any:
    """Run after-commit work (the solve task, immediate backend) at the end of each request."""

    class Runner:
        def __call__(self, fn: Any) -> Any:
            with django_capture_on_commit_callbacks(execute=True):
                return fn()

    return Runner()
