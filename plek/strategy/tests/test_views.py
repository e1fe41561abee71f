"""Pages: they render for the demo data, keep a fixed number of queries, and the permission matrix
for solving, cancelling and importing holds (a refused request changes nothing)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from plek.core.models import ChangeLog
from plek.strategy.models import Indicator, LandUnit, Observation, SolveRun, Study

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def test_pages_render_with_demo_data(demo: Study, client: Client) -> None:
    assert "Woningvoorraad" in client.get("/strategie/").content.decode()
    page = client.get("/strategie/indicatoren/co2-uitstoot/?gebied=PV27").content.decode()
    assert "Theil-Sen" in page and "synthetische demogegevens" in page and 'data-chart="chart-series"' in page
    page = client.get("/strategie/indicatoren/co2-uitstoot/vergelijking/").content.decode()
    assert page.count("<tr>") >= 12 * 2
    assert client.get(f"/strategie/scenarios/{demo.slug}/").status_code == 200
    assert client.get(f"/strategie/scenarios/{demo.slug}/vergelijking/").status_code == 200
    assert client.get("/strategie/indicatoren/bestaat-niet/").status_code == 404
    assert client.get("/strategie/indicatoren/co2-uitstoot/?gebied=XX99").status_code == 404


def test_english_pages(demo: Study, client: Client) -> None:
    page = client.get("/strategie/indicatoren/co2-uitstoot/?gebied=PV27&lang=en").content.decode()
    assert "Trend in" in page and "Verdict" in page


def test_list_pages_use_a_fixed_number_of_queries(
    demo: Study, client: Client, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(12):
        client.get("/strategie/")
    with django_assert_max_num_queries(12):
        client.get("/strategie/indicatoren/co2-uitstoot/vergelijking/")
    with django_assert_max_num_queries(14):
        client.get(f"/strategie/scenarios/{demo.slug}/")


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("anonymous", False), ("outsider", False), ("member", True), ("coordinator", True), ("admin", True)],
)
def test_solving_permission_matrix(
    hub_study: Study, cast: dict[str, Any], who: str, allowed: bool, run_tasks: Any
) -> None:
    before_runs, before_log = SolveRun.objects.count(), ChangeLog.objects.count()
    response = run_tasks(
        lambda: _client(cast[who]).post(f"/strategie/scenarios/{hub_study.slug}/varianten/basis/berekenen/")
    )
    if allowed:
        assert response.status_code == 302
        run = SolveRun.objects.get()
        assert run.status == SolveRun.Status.DONE  # immediate task backend in tests
        claims = run.summary["claims"]
        assert {c["use"] for c in claims} == set(hub_study.claims.values_list("land_use", flat=True))
        progress = _client(cast[who]).get(response["Location"])
        assert progress.status_code == 200 and "Bekijk het resultaat" in progress.content.decode()
        partial = _client(cast[who]).get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
        assert "<progress" in partial and "<html" not in partial
        result = _client(cast[who]).get(f"/strategie/resultaten/{run.input_hash}/").content.decode()
        assert "Veranderkaart" in result and run.input_hash[:12] in result
        # the same inputs give the stored result
        again = run_tasks(
            lambda: _client(cast[who]).post(
                f"/strategie/scenarios/{hub_study.slug}/varianten/basis/berekenen/"
            )
        )
        assert again["Location"] == response["Location"] and SolveRun.objects.count() == 1
    else:
        assert response.status_code in (403, 404)
        assert SolveRun.objects.count() == before_runs and ChangeLog.objects.count() == before_log


def test_all_demo_variants_solve_and_compare(hub_study: Study, cast: dict[str, Any], run_tasks: Any) -> None:
    c = _client(cast["member"])
    for slug in ("basis", "meer-wonen", "water-sturend"):
        url = f"/strategie/scenarios/{hub_study.slug}/varianten/{slug}/berekenen/"
        assert run_tasks(lambda url=url: c.post(url)).status_code == 302
    assert SolveRun.objects.filter(status=SolveRun.Status.DONE).count() == 3
    page = c.get(f"/strategie/scenarios/{hub_study.slug}/vergelijking/").content.decode()
    assert (
        "Meer woningen" in page and "Water en bodem sturend" in page and 'data-chart="chart-variants"' in page
    )


def test_an_impossible_variant_gives_a_message_not_a_500(hub_study: Study, cast: dict[str, Any]) -> None:
    v = hub_study.variants.get(slug="meer-wonen")
    v.changes = {"claims": {"wonen": {"wanted_ha": 10_000_000}}}
    v.save()
    response = _client(cast["member"]).post(
        f"/strategie/scenarios/{hub_study.slug}/varianten/meer-wonen/berekenen/"
    )
    assert response.status_code == 400
    assert "geschikte grond" in response.content.decode()
    assert not SolveRun.objects.exists()


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("anonymous", False), ("outsider", False), ("member", True), ("coordinator", True), ("admin", True)],
)
def test_cancel_permission_matrix(hub_study: Study, cast: dict[str, Any], who: str, allowed: bool) -> None:
    run = SolveRun.objects.create(variant=hub_study.variants.get(slug="basis"), input_hash="x" * 64)
    response = _client(cast[who]).post(f"/strategie/berekeningen/{run.pk}/annuleren/")
    run.refresh_from_db()
    if allowed:
        assert response.status_code == 302 and run.status == SolveRun.Status.CANCELLED
    else:
        assert (
            response.status_code in (403, 404)
            and run.status == SolveRun.Status.QUEUED
            and not run.cancel_requested
        )


LONG = "indicator,region,year,value,source,note,kind\nco2-uitstoot,PV27,2025,1234,CBS,,\nco2-uitstoot,PV27,2035,500,,,target\n"
WIDE = "region,2021JJ00,2022JJ00,2023JJ00\nPV27,1,2,.\nPV26,3,4,5\n"


def test_import_long_and_wide(demo: Study, cast: dict[str, Any]) -> None:
    ind = Indicator.objects.get(slug="co2-uitstoot")
    ind.owner_hub = None
    c = _client(cast["admin"])
    r = c.post(
        "/strategie/indicatoren/importeren/",
        {"layout": "long", "file": SimpleUploadedFile("a.csv", LONG.encode())},
    )
    assert r.status_code == 200
    assert Observation.objects.get(indicator=ind, region__code="PV27", year=2025).value == 1234
    assert ind.targets.filter(year=2035, value=500).exists()
    r = c.post(
        "/strategie/indicatoren/importeren/",
        {"layout": "wide", "indicator": "zonnestroom", "file": SimpleUploadedFile("w.csv", WIDE.encode())},
    )
    assert r.status_code == 200
    pv26 = Observation.objects.filter(
        indicator__slug="zonnestroom", region__code="PV26", year__in=[2021, 2022, 2023]
    )
    assert sorted(pv26.values_list("value", flat=True)) == [3, 4, 5]
    # StatLine's "." is a missing value: PV27's 2023 keeps its earlier (demo) value
    assert Observation.objects.get(indicator__slug="zonnestroom", region__code="PV27", year=2022).value == 2


def test_import_with_bad_lines_saves_nothing_and_names_them(demo: Study, cast: dict[str, Any]) -> None:
    before = Observation.objects.count()
    bad = (
        LONG
        + "co2-uitstoot,XX01,2025,1,,,\nco2-uitstoot,PV27,twintig,1,,,\nonbekend,PV27,2025,1,,,\nco2-uitstoot,PV26,2025,veel,,,\n"
    )
    r = _client(cast["admin"]).post(
        "/strategie/indicatoren/importeren/",
        {"layout": "long", "file": SimpleUploadedFile("a.csv", bad.encode())},
    )
    page = r.content.decode()
    assert r.status_code == 400
    for words in ("regel 4", "XX01", "regel 5", "twintig", "regel 6", "onbekend", "regel 7", "veel"):
        assert words in page
    assert Observation.objects.count() == before


@pytest.mark.parametrize("who", ["anonymous", "outsider"])
def test_import_refused_for_non_members(demo: Study, cast: dict[str, Any], who: str) -> None:
    before = Observation.objects.count()
    r = _client(cast[who]).post(
        "/strategie/indicatoren/importeren/",
        {"layout": "long", "file": SimpleUploadedFile("a.csv", LONG.encode())},
    )
    assert r.status_code == 403 and Observation.objects.count() == before


UNITS = "code,area_ha,current_use,suit_wonen,suit_natuur,excluded,x,y\nA,10,landbouw,0.8,0.2,,0,0\nB,5,water,0.5,0.9,wonen,1,0\n"


def test_units_import_csv_and_geojson(hub_study: Study, cast: dict[str, Any]) -> None:
    c = _client(cast["member"])
    url = f"/strategie/scenarios/{hub_study.slug}/eenheden/"
    assert (
        c.post(url, {"format": "csv", "file": SimpleUploadedFile("u.csv", UNITS.encode())}).status_code == 200
    )
    assert LandUnit.objects.filter(study=hub_study).count() == 2
    gj = (
        '{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Polygon","coordinates":'
        '[[[5,52],[5.1,52],[5.1,52.1],[5,52]]]},"properties":{"code":"P1","area_ha":12.5,"current_use":"natuur",'
        '"suit_natuur":1,"excluded":""}}]}'
    )
    assert (
        c.post(url, {"format": "geojson", "file": SimpleUploadedFile("u.json", gj.encode())}).status_code
        == 200
    )
    unit = LandUnit.objects.get(study=hub_study)
    assert unit.code == "P1" and unit.geometry["type"] == "Polygon" and unit.x == pytest.approx(5.05)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("code,area_ha,current_use\nA,-3,landbouw\n", "groter dan nul"),
        ("code,area_ha,current_use\nA,3,maanbasis\n", "maanbasis"),
        ("code,area_ha,current_use,suit_raketten\nA,3,landbouw,0.5\n", "raketten"),
        ("code,area_ha,current_use,suit_wonen\nA,3,landbouw,1.5\n", "tussen 0 en 1"),
        ("code,area_ha,current_use,excluded\nA,3,landbouw,vliegveld\n", "vliegveld"),
    ],
)
def test_units_import_refuses_bad_lines_and_keeps_the_old_units(
    hub_study: Study, cast: dict[str, Any], text: str, words: str
) -> None:
    before = LandUnit.objects.filter(study=hub_study).count()
    r = _client(cast["member"]).post(
        f"/strategie/scenarios/{hub_study.slug}/eenheden/",
        {"format": "csv", "file": SimpleUploadedFile("u.csv", text.encode())},
    )
    assert r.status_code == 400 and words in r.content.decode() and "regel 2" in r.content.decode()
    assert LandUnit.objects.filter(study=hub_study).count() == before


def test_result_draws_land_units_as_a_map_with_a_table(
    hub_study: Study, cast: dict[str, Any], run_tasks: Any
) -> None:
    """Units with a geometry (the demo's cells in the Gelderse Vallei) are drawn as a map coloured by
    the allocated use, with municipal borders as context; the per-unit table is the alternative."""
    import json

    from plek.atlas.boundaries import FIXTURE, boundaries_import

    boundaries_import(FIXTURE, tolerance=0)
    member = _client(cast["member"])
    run_tasks(lambda: member.post(f"/strategie/scenarios/{hub_study.slug}/varianten/basis/berekenen/"))
    run = SolveRun.objects.get()
    html = member.get(f"/strategie/resultaten/{run.input_hash}/").content.decode()
    start = html.index('<script id="map-data" type="application/json">') + len(
        '<script id="map-data" type="application/json">'
    )
    data = json.loads(json.loads(html[start : html.index("</script>", start)]))
    units = [f for f in data["features"] if not f["properties"].get("outline")]
    outlines = [f for f in data["features"] if f["properties"].get("outline")]
    assert len(units) == hub_study.units.count()
    assert all(f["properties"]["colour"].startswith("#") and f["properties"]["label"] for f in units)
    assert {f["properties"]["name"] for f in outlines} >= {"Ede", "Barneveld"}
    assert "Grenzen: CBS/Kadaster, CC BY 4.0" in html
    assert html.count("<tr><td>C") == hub_study.units.count()  # one table row per unit
    assert 'data-chart="chart-map"' not in html  # the grid chart only where units have no shape
