"""The CBS StatLine importer on fixtures written here in StatLine's OData JSON shapes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from plek.core.models import ChangeLog
from plek.strategy.errors import Forbidden, StrategyError
from plek.strategy.models import Indicator, Observation
from plek.strategy.permissions import viewer_for
from plek.strategy.services import statline_import, statline_period

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).parent / "fixtures"


def _text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


@pytest.fixture
def indicator(hub: Any, cast: dict[str, Any]) -> Indicator:
    return Indicator.objects.create(
        slug="inwoners", name="Inwoners", unit="inwoners", owner_hub=hub, created_by=cast["member"]
    )


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("2024JJ00", (2024, "")),
        ("2024KW01", (2024, "KW01")),
        ("2023MM12", (2023, "MM12")),
        (" 2021JJ00 ", (2021, "")),
    ],
)
def test_statline_periods(code: str, expected: tuple[int, str]) -> None:
    assert statline_period(code) == expected


@pytest.mark.parametrize("code", ["2024", "2024KW05", "2024MM13", "2024X0", "24JJ00", ""])
def test_statline_periods_refused(code: str) -> None:
    with pytest.raises(ValueError):
        statline_period(code)


def test_observations_shape_imports_one_measure_with_quarters_and_months(
    indicator: Indicator, cast: dict[str, Any]
) -> None:
    viewer = viewer_for(cast["member"])
    report = statline_import(
        viewer=viewer, text=_text("statline_observations.json"), indicator=indicator, measure="M000352"
    )
    assert report.errors == []
    # 3 years + quarter + month for GM0363, one year for PV27 (the missing one skipped), one for NL01
    assert report.created == 7 and report.updated == 0
    rows = {
        (o.region.code, o.year, o.period): o.value for o in Observation.objects.filter(indicator=indicator)
    }
    assert rows[("GM0363", 2024, "")] == 918117.0
    assert rows[("GM0363", 2024, "KW01")] == 3000.5
    assert rows[("GM0363", 2024, "MM01")] == 1000.25
    assert ("PV27", 2023, "") not in rows
    assert all(
        o.source == "CBS StatLine, maat M000352" for o in Observation.objects.filter(indicator=indicator)
    )
    # a second import updates instead of duplicating
    again = statline_import(
        viewer=viewer, text=_text("statline_observations.json"), indicator=indicator, measure="M000352"
    )
    assert (again.created, again.updated) == (0, 7)
    assert ChangeLog.objects.filter(action="import").count() == 2


def test_trend_pages_read_whole_years_only(indicator: Indicator, cast: dict[str, Any]) -> None:
    statline_import(
        viewer=viewer_for(cast["member"]),
        text=_text("statline_observations.json"),
        indicator=indicator,
        measure="M000352",
    )
    from plek.strategy.selectors import indicator_trends

    (item,) = indicator_trends(indicator, region_code="GM0363")
    assert [o.year for o in item["observations"]] == [2022, 2023, 2024]


def test_several_measures_need_a_choice(indicator: Indicator, cast: dict[str, Any]) -> None:
    with pytest.raises(StrategyError) as exc:
        statline_import(
            viewer=viewer_for(cast["member"]), text=_text("statline_observations.json"), indicator=indicator
        )
    assert exc.value.field == "measure" and "M000100" in exc.value.message and "M000352" in exc.value.message
    with pytest.raises(StrategyError) as exc:
        statline_import(
            viewer=viewer_for(cast["member"]),
            text=_text("statline_observations.json"),
            indicator=indicator,
            measure="M9",
        )
    assert exc.value.field == "measure"
    assert not Observation.objects.exists()


def test_typed_dataset_shape_with_padded_region_codes(indicator: Indicator, cast: dict[str, Any]) -> None:
    report = statline_import(
        viewer=viewer_for(cast["member"]),
        text=_text("statline_typeddataset.json"),
        indicator=indicator,
        measure="Bevolkingsdichtheid_2",
    )
    assert report.errors == [] and report.created == 2  # the null for PV27 is skipped
    assert Observation.objects.get(region__code="GM0363", year=2024).value == 5469


def test_errors_name_the_record_and_save_nothing(indicator: Indicator, cast: dict[str, Any]) -> None:
    report = statline_import(
        viewer=viewer_for(cast["member"]), text=_text("statline_bad.json"), indicator=indicator
    )
    assert len(report.errors) == 3
    assert report.errors[0].startswith("waarneming 2:") and "GM9999" in report.errors[0]
    assert report.errors[1].startswith("waarneming 3:") and "2024XX01" in report.errors[1]
    assert report.errors[2].startswith("waarneming 4:") and "veel" in report.errors[2]
    assert not Observation.objects.exists()


@pytest.mark.parametrize("text", ["{not json", "[]", '{"value": {}}', '{"value": [{"a": 1}]}'])
def test_unreadable_files_get_a_clear_error(indicator: Indicator, cast: dict[str, Any], text: str) -> None:
    with pytest.raises(StrategyError) as exc:
        statline_import(viewer=viewer_for(cast["member"]), text=text, indicator=indicator)
    assert exc.value.field == "file"


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("anonymous", False), ("outsider", False), ("member", True), ("coordinator", True), ("admin", True)],
)
def test_import_page_permission_matrix(
    indicator: Indicator, cast: dict[str, Any], who: str, allowed: bool
) -> None:
    client = Client()
    if cast[who] is not None:
        client.force_login(cast[who])
    upload = SimpleUploadedFile("cbs.json", _text("statline_observations.json").encode(), "application/json")
    response = client.post(
        "/strategie/indicatoren/importeren/",
        {"layout": "statline", "indicator": indicator.slug, "measure": "M000352", "file": upload},
    )
    if allowed:
        assert response.status_code == 200, response.content.decode()[:500]
        assert Observation.objects.filter(indicator=indicator).count() == 7
    else:
        assert response.status_code == 403
        assert not Observation.objects.exists()


def test_import_page_shows_record_errors(indicator: Indicator, cast: dict[str, Any]) -> None:
    client = Client()
    client.force_login(cast["member"])
    upload = SimpleUploadedFile("cbs.json", _text("statline_bad.json").encode(), "application/json")
    response = client.post(
        "/strategie/indicatoren/importeren/",
        {"layout": "statline", "indicator": indicator.slug, "file": upload},
    )
    assert response.status_code == 400
    assert "waarneming 2" in response.content.decode()
    assert not Observation.objects.exists()


def test_outsider_cannot_import_into_someone_elses_indicator(
    indicator: Indicator, cast: dict[str, Any]
) -> None:
    with pytest.raises(Forbidden):
        statline_import(
            viewer=viewer_for(cast["outsider"]), text=_text("statline_observations.json"), indicator=indicator
        )


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("anonymous", False), ("outsider", False), ("member", True), ("coordinator", True), ("admin", True)],
)
def test_indicator_made_in_a_page_then_filled_for_municipalities(
    cast: dict[str, Any], who: str, allowed: bool
) -> None:
    client = Client()
    if cast[who] is not None:
        client.force_login(cast[who])
    before = Indicator.objects.count()
    response = client.post(
        "/strategie/indicatoren/nieuw/",
        {"name": "Inwoners per gemeente", "unit": "inwoners", "direction": "higher", "visibility": "public"},
    )
    if not allowed:
        assert response.status_code == 403 and Indicator.objects.count() == before
        return
    ind = Indicator.objects.get(name="Inwoners per gemeente")
    assert response.status_code == 302 and response["Location"].endswith(f"?indicator={ind.slug}")
    upload = SimpleUploadedFile("cbs.json", _text("statline_observations.json").encode(), "application/json")
    client.post(
        "/strategie/indicatoren/importeren/",
        {"layout": "statline", "indicator": ind.slug, "measure": "M000352", "file": upload},
    )
    page = client.get(f"/strategie/indicatoren/{ind.slug}/?gebied=GM0363")
    assert page.status_code == 200
    html = page.content.decode()
    assert "gemeente Amsterdam" in html and "918.117" in html  # a municipality, Dutch number format
    english = client.get(f"/strategie/indicatoren/{ind.slug}/?gebied=GM0363&lang=en").content.decode()
    assert "918,117" in english


def test_indicator_form_names_the_missing_field(cast: dict[str, Any]) -> None:
    client = Client()
    client.force_login(cast["member"])
    response = client.post("/strategie/indicatoren/nieuw/", {"name": "", "unit": "x", "direction": "higher"})
    assert response.status_code == 400 and "id_name" in response.content.decode()
    assert not Indicator.objects.filter(unit="x").exists()
