"""The signal sink: area learning and brokering pass obstacles and solutions on to governance."""

from __future__ import annotations

from typing import Any

import pytest

from plek.atlas.models import Region, Theme
from plek.core.errors import PermissionDenied, ValidationFailed
from plek.core.handoff import SignalHandoff, pass_on_signal
from plek.governance.models import Event, Signal

pytestmark = pytest.mark.django_db


def handoff(**kw: Any) -> SignalHandoff:
    data: dict[str, Any] = {
        "kind": "obstacle",
        "title": "Data over bodemdaling niet te delen",
        "description": "Gemeenten mogen de metingen niet doorgeven.",
        "source_type": "learning.barrier",
        "source_id": 7,
        "source_url": "/gebiedsleren/barrieres/7/",
    }
    data.update(kw)
    return SignalHandoff(**data)


def test_pass_on_creates_a_linked_signal_and_returns_its_url(cast: dict[str, Any]) -> None:
    region = Region.objects.get(code="GM0363")
    theme = Theme.objects.first()
    assert theme is not None
    url = pass_on_signal(user=cast["member"], handoff=handoff(region_ids=(region.pk,), theme_ids=(theme.pk,)))
    signal = Signal.objects.get()
    assert url == f"/governance/signalen/{signal.pk}/"
    assert (signal.source_type, signal.source_id, signal.source_url) == (
        "learning.barrier",
        7,
        "/gebiedsleren/barrieres/7/",
    )
    assert signal.state == "new" and signal.raised_by == cast["member"]
    assert list(signal.regions.all()) == [region] and list(signal.themes.all()) == [theme]
    assert Event.objects.filter(target="signal", target_id=signal.pk, to_state="new").exists()


def test_same_source_returns_the_existing_signal(cast: dict[str, Any]) -> None:
    first = pass_on_signal(user=cast["member"], handoff=handoff())
    again = pass_on_signal(user=cast["outsider"], handoff=handoff(title="Anders genoemd"))
    assert first == again
    assert Signal.objects.count() == 1
    other = pass_on_signal(user=cast["member"], handoff=handoff(source_type="brokering.question"))
    assert other != first and Signal.objects.count() == 2


def test_anonymous_may_not_pass_on(cast: dict[str, Any]) -> None:
    with pytest.raises(PermissionDenied):
        pass_on_signal(user=None, handoff=handoff())
    assert not Signal.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "gripe"}, "kind"),
        ({"title": ""}, "title"),
        ({"title": "x" * 301}, "title"),
        ({"source_type": ""}, "source_type"),
        ({"region_ids": (999_999_999,)}, "region_ids"),
        ({"theme_ids": (999_999_999,)}, "theme_ids"),
    ],
)
def test_bad_handoff_names_the_field_and_saves_nothing(
    cast: dict[str, Any], change: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationFailed) as exc:
        pass_on_signal(user=cast["member"], handoff=handoff(**change))
    assert field in exc.value.errors
    assert not Signal.objects.exists()
