"""`plek import` and `plek export`: bad files change nothing and say where; exports show only what
the viewer may see, in a fixed number of queries per batch."""

from __future__ import annotations

import datetime as dt
import io
import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from plek.atlas.exporters import export_atlas, export_viewer
from plek.atlas.models import (
    Hub,
    Milestone,
    Network,
    NetworkMember,
    Organisation,
    Person,
    Programme,
    ProgrammeStatusChange,
    Region,
    RegionContainment,
    Relation,
    Theme,
)
from plek.atlas.permissions import ANONYMOUS
from plek.atlas.tests.factories import (
    HubFactory,
    NetworkFactory,
    OrganisationFactory,
    PersonFactory,
    ProgrammeFactory,
    RegionFactory,
    ThemeFactory,
)
from plek.core.models import ChangeLog, Scale, Visibility

pytestmark = pytest.mark.django_db


# ---- helpers ------------------------------------------------------------------------------------------


def db_counts() -> dict[str, int]:
    """Rows in every Atlas table (including many-to-many tables), the change history and the rest of
    the core tables (such as the search outbox)."""
    models = [
        *apps.get_app_config("atlas").get_models(include_auto_created=True),
        *apps.get_app_config("core").get_models(include_auto_created=True),
    ]
    assert ChangeLog in models
    return {m._meta.label: m._default_manager.count() for m in models}


def queued_for_search(before: dict[str, int], after: dict[str, int]) -> None:
    """Saved rows may be queued for the search index (a core table): not part of the comparison."""
    for counts in (before, after):
        counts.pop("core.SearchOutbox", None)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def run_import(*args: Any) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("import", *[str(a) for a in args], stdout=out, stderr=err)
    return out.getvalue()


def import_fails(*args: Any) -> CommandError:
    with pytest.raises(CommandError) as info:
        run_import(*args)
    return info.value


def run_export(*args: Any) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("export", *[str(a) for a in args], stdout=out, stderr=err)
    return out.getvalue()


@pytest.fixture
def atlas(ref: None) -> dict[str, Any]:
    """The reference regions and themes (loaded once per test database by plek/conftest.py), and a hub.

    Without that conftest, the same handful of regions is made with factories."""
    nl = RegionFactory(code="NL", code_system="iso", name="Nederland", kind="country", scale="national")
    nh = RegionFactory(code="PV27", name="Noord-Holland", kind="province", scale="regional")
    ams = RegionFactory(code="GM0363", name="Amsterdam")
    amv = RegionFactory(code="GM0362", name="Amstelveen")
    for parent, child in ((nl, nh), (nh, ams), (nh, amv)):
        RegionContainment.objects.get_or_create(parent=parent, child=child)
    wonen = ThemeFactory(slug="wonen", label_nl="Wonen", label_en="Housing")
    energie = ThemeFactory(slug="energie", label_nl="Energie", label_en="Energy")
    hub = HubFactory(slug="hub-noord", name="Kennishub Noord", regions=[nh])
    return {"nl": nl, "nh": nh, "ams": ams, "amv": amv, "wonen": wonen, "energie": energie, "hub": hub}


ORGS_CSV = """
slug,name,kind,regions,themes
gemeente-amsterdam,Gemeente Amsterdam,municipality,GM0363,wonen;energie
provincie-nh,Provincie Noord-Holland,province,PV27,
"""


# ---- bad input: a clear message, and the database unchanged ------------------------------------------


def test_unknown_region_code_names_line_and_field_and_changes_nothing(tmp_path: Path, atlas: dict) -> None:
    path = write(tmp_path, "orgs.csv", ORGS_CSV + "hogeschool,Hogeschool Noord,uas,GM0363;GM9999,\n")
    before = db_counts()
    error = import_fails("organisations", path)
    assert "line 4, field regions: Onbekende waarde: GM9999." in str(error)
    assert "Nothing was imported" in str(error)
    assert db_counts() == before


def test_duplicate_slug_is_an_error_on_the_second_line(tmp_path: Path, atlas: dict) -> None:
    path = write(
        tmp_path,
        "people.csv",
        """
        slug,name,email
        anouk-jansen,Anouk Jansen,anouk@example.org
        bram-visser,Bram Visser,
        anouk-jansen,Anouk Jansen (again),anouk2@example.org
    """,
    )
    before = db_counts()
    error = str(import_fails("people", path))
    assert "line 4, field slug: duplicate of line 2 (anouk-jansen)" in error
    assert "line 2" not in error.replace("duplicate of line 2", "")
    assert db_counts() == before


def test_duplicate_region_code_differs_only_in_case(tmp_path: Path, atlas: dict) -> None:
    path = write(
        tmp_path,
        "regions.csv",
        """
        code,name,kind,scale
        GM0001,Eerste,municipality,local
        gm0001,Eerste,municipality,local
    """,
    )
    before = db_counts()
    assert "line 3, field code: duplicate of line 2 (gm0001)" in str(import_fails("regions", path))
    assert db_counts() == before


def test_empty_required_field_names_line_and_field(tmp_path: Path, atlas: dict) -> None:
    path = write(
        tmp_path,
        "orgs.csv",
        """
        slug,name,kind
        gemeente-amsterdam,Gemeente Amsterdam,municipality
        naamloos,,municipality
        zonder-soort,Zonder soort,
    """,
    )
    before = db_counts()
    error = str(import_fails("organisations", path))
    assert "line 3, field name: " in error
    assert "line 4, field kind: " in error
    assert "2 of 3 organisations rows are invalid" in error
    assert db_counts() == before


def test_non_utf8_file_names_line_and_byte(tmp_path: Path, atlas: dict) -> None:
    path = tmp_path / "orgs.csv"
    path.write_bytes(
        "slug,name,kind\ngemeente-amsterdam,Gemeente Amsterdam,municipality\ncafe,Caf\u00e9 De Kroon,company\n".encode(
            "latin-1"
        )
    )
    before = db_counts()
    error = str(import_fails("organisations", path))
    assert "not valid UTF-8: line 3, byte 9 of that line" in error
    assert "0xE9" in error
    assert "Nothing was imported" in error
    assert db_counts() == before


def test_utf8_with_byte_order_mark_is_fine(tmp_path: Path, atlas: dict) -> None:
    path = tmp_path / "orgs.csv"
    path.write_bytes("\ufeffslug,name,kind\ncafe,Caf\u00e9 De Kroon,company\n".encode())
    run_import("organisations", path)
    assert Organisation.objects.get(slug="cafe").name == "Café De Kroon"


def test_50_mb_file_is_refused_by_the_default_limit_before_reading(
    tmp_path: Path, atlas: dict, settings: Any
) -> None:
    if hasattr(settings, "PLEK_IMPORT_MAX_BYTES"):
        del settings.PLEK_IMPORT_MAX_BYTES  # the real default
    path = tmp_path / "huge.csv"
    with path.open("wb") as handle:
        handle.write(b"slug,name,kind\nhuge,Huge,company\n")
        handle.truncate(50 * 1024 * 1024)  # sparse: quick to make
    before = db_counts()
    error = str(import_fails("organisations", path))
    assert "huge.csv is 50.0 MB (52,428,800 bytes)" in error
    assert "limit is 20.0 MB (20,971,520 bytes" in error
    assert "PLEK_IMPORT_MAX_BYTES" in error
    assert db_counts() == before


def test_configured_size_limit_applies(tmp_path: Path, atlas: dict, settings: Any) -> None:
    settings.PLEK_IMPORT_MAX_BYTES = 64
    path = write(tmp_path, "orgs.csv", ORGS_CSV)
    before = db_counts()
    error = str(import_fails("organisations", path))
    assert (
        f"orgs.csv is {path.stat().st_size} bytes; the import limit is 64 bytes (setting PLEK_IMPORT_MAX_BYTES)"
        in error
    )
    assert db_counts() == before


def test_unknown_column_is_named(tmp_path: Path, atlas: dict) -> None:
    path = write(
        tmp_path,
        "orgs.csv",
        """
        slug,name,kind,naam
        gemeente-amsterdam,Gemeente Amsterdam,municipality,x
    """,
    )
    before = db_counts()
    error = str(import_fails("organisations", path))
    assert "line 1: wrong header for organisation import: unknown column 'naam'" in error
    assert "Expected columns: slug, name, kind" in error
    assert db_counts() == before


def test_header_with_semicolons_gets_a_hint(tmp_path: Path, atlas: dict) -> None:
    path = write(tmp_path, "orgs.csv", "slug;name;kind\ngemeente-amsterdam;Gemeente Amsterdam;municipality\n")
    error = str(import_fails("organisations", path))
    assert "unknown column 'slug;name;kind'" in error
    assert "use ','" in error


def test_header_missing_required_columns(tmp_path: Path, atlas: dict) -> None:
    path = write(tmp_path, "orgs.csv", "name,website\nGemeente Amsterdam,https://amsterdam.nl\n")
    before = db_counts()
    error = str(import_fails("organisations", path))
    assert "line 1: wrong header for organisation import: missing column kind" in error
    assert db_counts() == before


def test_header_with_duplicate_and_empty_columns(tmp_path: Path, atlas: dict) -> None:
    path = write(tmp_path, "orgs.csv", "slug,name,name,,kind\na,b,c,d,municipality\n")
    error = str(import_fails("organisations", path))
    assert "column 4 has no name" in error
    assert "column 'name' appears twice" in error


def test_regions_file_needs_a_code_column(tmp_path: Path, atlas: dict) -> None:
    path = write(tmp_path, "regions.csv", "name,kind,scale\nX,municipality,local\n")
    assert "missing column code" in str(import_fails("regions", path))


def test_row_with_wrong_number_of_values(tmp_path: Path, atlas: dict) -> None:
    path = write(tmp_path, "orgs.csv", ORGS_CSV + "extra,Extra,company,GM0363,wonen,surplus\n")
    before = db_counts()
    error = str(import_fails("organisations", path))
    assert "line 4: 6 values, but the header (line 1) has 5 columns" in error
    assert db_counts() == before


def test_quoted_multiline_cells_keep_line_numbers_right(tmp_path: Path, atlas: dict) -> None:
    path = write(
        tmp_path,
        "orgs.csv",
        """
        slug,name,kind,description
        een,Een,company,"twee
        regels"

        twee,,company,
    """,
    )
    assert "line 5, field name:" in str(import_fails("organisations", path))


def test_malformed_json_names_line_and_column(tmp_path: Path, atlas: dict) -> None:
    path = write(
        tmp_path,
        "orgs.json",
        """
        [
          {"slug": "a", "name": "A", "kind": "company"},
          {"slug": "b", "name": "B" "kind": "company"}
        ]
    """,
    )
    before = db_counts()
    error = str(import_fails("organisations", path))
    assert "malformed JSON at line 3, column 29: Expecting ',' delimiter" in error
    assert db_counts() == before


def test_json_must_be_a_list_of_objects(tmp_path: Path, atlas: dict) -> None:
    path = write(tmp_path, "orgs.json", '{"slug": "a"}')
    assert "expected a JSON list of objects (one per organisation), but the file holds an object" in str(
        import_fails("organisations", path)
    )
    path = write(tmp_path, "orgs2.json", '[{"slug": "a", "name": "A", "kind": "company"}, "b"]')
    before = db_counts()
    assert "item 2 (line 1): expected an object, got text" in str(import_fails("organisations", path))
    assert db_counts() == before


def test_json_unknown_key_and_unknown_region_name_the_item(tmp_path: Path, atlas: dict) -> None:
    path = write(
        tmp_path,
        "orgs.json",
        """
        [
          {"slug": "a", "name": "A", "kind": "company", "regions": ["GM0363"]},
          {"slug": "b", "name": "B", "kind": "company", "regions": ["GM9999"]},
          {"slug": "c", "name": "C", "kind": "company", "naam": "C"}
        ]
    """,
    )
    before = db_counts()
    error = str(import_fails("organisations", path))
    assert "item 2 (line 3), field regions: Onbekende waarde: GM9999." in error
    assert "item 3 (line 4): unknown field 'naam'" in error
    assert db_counts() == before


def test_json_value_of_the_wrong_shape(tmp_path: Path, atlas: dict) -> None:
    path = write(tmp_path, "orgs.json", '[{"slug": "a", "name": {"nl": "A"}, "kind": "company"}]')
    assert "item 1 (line 1), field name: expected a single value, got an object" in str(
        import_fails("organisations", path)
    )


def test_unknown_extension_missing_and_empty_files(tmp_path: Path, atlas: dict) -> None:
    txt = write(tmp_path, "orgs.txt", ORGS_CSV)
    assert "cannot tell the format from the extension '.txt'" in str(import_fails("organisations", txt))
    run_import("organisations", txt, "--format", "csv")  # explicit format works
    assert Organisation.objects.count() == 2
    assert "cannot read the file" in str(import_fails("organisations", tmp_path / "nope.csv"))
    empty = write(tmp_path, "empty.csv", "")
    assert "the file is empty: expected a header line" in str(import_fails("organisations", empty))


def test_bad_boolean_and_bad_slug(tmp_path: Path, atlas: dict) -> None:
    hubs = write(
        tmp_path, "hubs.csv", "slug,name,regions,offers_strategy\nhub-zuid,Hub Zuid,GM0363,misschien\n"
    )
    assert "line 2, field offers_strategy: expected true or false, got 'misschien'" in str(
        import_fails("hubs", hubs)
    )
    orgs = write(tmp_path, "orgs.csv", "slug,name,kind\nniet geldig!,X,company\n")
    assert "line 2, field slug: " in str(import_fails("organisations", orgs))


def test_at_most_50_errors_are_listed(tmp_path: Path, atlas: dict) -> None:
    rows = "".join(f"org-{i},,company\n" for i in range(60))
    path = write(tmp_path, "orgs.csv", "slug,name,kind\n" + rows)
    error = str(import_fails("organisations", path))
    assert "60 of 60 organisations rows are invalid" in error
    assert "line 51, field name" in error
    assert "line 52, field name" not in error
    assert "... and 10 more errors" in error


def test_hub_visibility_needs_an_owner_hub(tmp_path: Path, atlas: dict) -> None:
    path = write(tmp_path, "orgs.csv", "slug,name,kind,visibility\nx,X,company,hub\n")
    assert "line 2, field owner_hub: " in str(import_fails("organisations", path))


# ---- happy paths ------------------------------------------------------------------------------------------


def test_regions_csv_creates_with_parents_and_history(tmp_path: Path, atlas: dict) -> None:
    path = write(
        tmp_path,
        "regions.csv",
        """
        code,name,name_en,kind,scale,parents,valid_from
        GM0001,Testdorp,,municipality,local,PV27,2023-01-01
        RES-TEST,RES Test,RES Test,res_region,regional,PV27;NL,
        ws0999,Waterschap Test,,water_board,regional,,
    """,
    )
    out = run_import("regions", path)
    assert "Imported 3 regions rows from regions.csv: 3 created, 0 updated." in out
    dorp = Region.objects.get(code="GM0001")
    assert (dorp.code_system, dorp.valid_from) == ("cbs", dt.date(2023, 1, 1))
    assert [p.code for p in dorp.parents.all()] == ["PV27"]
    assert Region.objects.get(code="RES-TEST").code_system == "plek"
    assert Region.objects.get(code="ws0999").code_system == "tooi"
    assert set(Region.objects.get(code="RES-TEST").parents.values_list("code", flat=True)) == {"PV27", "NL"}
    logs = ChangeLog.objects.filter(source="import", action="create")
    assert logs.count() == 3


def test_regions_json_update_in_place_keeps_official_code(tmp_path: Path, atlas: dict) -> None:
    path = write(
        tmp_path,
        "regions.json",
        """
        [{"code": "gm0363", "name": "Amsterdam", "name_en": "Amsterdam (EN)", "kind": "municipality",
          "scale": "local", "code_system": "cbs"}]
    """,
    )
    parents = set(atlas["ams"].parents.values_list("code", flat=True))
    assert "PV27" in parents
    before = db_counts()
    assert "0 created, 1 updated" in run_import("regions", path)
    ams = Region.objects.get(pk=atlas["ams"].pk)
    assert (ams.code, ams.name_en) == ("GM0363", "Amsterdam (EN)")
    assert set(ams.parents.values_list("code", flat=True)) == parents  # no parents column: kept
    after = db_counts()
    assert after.pop("core.ChangeLog") == before.pop("core.ChangeLog") + 1
    queued_for_search(before, after)
    assert after == before


def test_region_code_system_is_checked_or_inferred(tmp_path: Path, atlas: dict) -> None:
    bad = write(tmp_path, "bad.csv", "code,name,kind,scale,code_system\nGM0002,Twee,municipality,local,xyz\n")
    before = db_counts()
    assert "line 2, field code_system: " in str(import_fails("regions", bad))
    assert db_counts() == before
    good = write(tmp_path, "good.csv", "code,name,kind,scale,code_system\nGM0002,Twee,municipality,local,\n")
    run_import("regions", good)
    assert Region.objects.get(code="GM0002").code_system == "cbs"


def test_themes_csv(tmp_path: Path, atlas: dict) -> None:
    path = write(
        tmp_path,
        "themes.csv",
        """
        slug,label_nl,label_en,parent,position
        warmte,Warmte,Heat,energie,3
    """,
    )
    run_import("themes", path)
    theme = Theme.objects.get(slug="warmte")
    assert (theme.parent, theme.position) == (atlas["energie"], 3)


def test_organisations_csv_and_json(tmp_path: Path, atlas: dict) -> None:
    run_import("organisations", write(tmp_path, "orgs.csv", ORGS_CSV))
    ams = Organisation.objects.get(slug="gemeente-amsterdam")
    assert ams.visibility == Visibility.PUBLIC  # model default
    assert sorted(ams.themes.values_list("slug", flat=True)) == ["energie", "wonen"]
    assert list(ams.regions.values_list("code", flat=True)) == ["GM0363"]
    run_import(
        "organisations",
        write(
            tmp_path,
            "orgs.json",
            """
        [{"slug": "tu-test", "name": "TU Test", "kind": "university", "regions": "GM0363; GM0362",
          "themes": ["wonen"], "visibility": "hub", "owner_hub": "hub-noord", "website": "https://tu.example"}]
    """,
        ),
    )
    tu = Organisation.objects.get(slug="tu-test")
    assert (tu.visibility, tu.owner_hub, tu.website) == ("hub", atlas["hub"], "https://tu.example")
    assert tu.regions.count() == 2
    assert ChangeLog.objects.filter(source="import").count() == 3


def test_people_import_respects_visibility_columns_and_defaults(tmp_path: Path, atlas: dict) -> None:
    OrganisationFactory(slug="gemeente-amsterdam")
    path = write(
        tmp_path,
        "people.csv",
        """
        slug,name,email,role,organisations,themes,regions,knowledge_kinds,contact_visibility,expertise_visibility
        anouk-jansen,Anouk Jansen,anouk@example.org,beleidsadviseur,gemeente-amsterdam,wonen,GM0363,practice;policy,public,hub
        bram-visser,Bram Visser,bram@example.org,,,,,,,
    """,
    )
    run_import("people", path)
    anouk = Person.objects.get(slug="anouk-jansen")
    assert (anouk.contact_visibility, anouk.expertise_visibility) == ("public", "hub")
    assert anouk.affiliation_visibility == Person._meta.get_field("affiliation_visibility").default
    assert anouk.knowledge_kinds == ["practice", "policy"]
    assert list(anouk.organisations.values_list("slug", flat=True)) == ["gemeente-amsterdam"]
    bram = Person.objects.get(slug="bram-visser")
    # Empty cells in visibility columns mean the model default, as an absent column does.
    assert (bram.contact_visibility, bram.expertise_visibility) == ("private", "members")
    defaults = write(tmp_path, "people2.csv", "slug,name,email\ncor-de-wit,Cor de Wit,cor@example.org\n")
    run_import("people", defaults)
    cor = Person.objects.get(slug="cor-de-wit")
    for group in ("contact", "affiliation", "expertise", "regions"):
        name = f"{group}_visibility"
        assert getattr(cor, name) == Person._meta.get_field(name).default
    # Without consent the profile stays private; the visibility asked for waits until consent.
    assert cor.consent_at is None
    assert cor.visibility == Visibility.PRIVATE and cor.visibility_requested == Visibility.PUBLIC


def test_people_import_records_consent_from_its_columns(tmp_path: Path, atlas: dict) -> None:
    path = write(
        tmp_path,
        "people.csv",
        """
        slug,name,email,consent_at,consent_basis,consent_groups,visibility,contact_visibility
        eva,Eva,eva@example.org,2026-03-01T10:00:00+01:00,paper,expertise;regions,public,public
        gert,Gert,gert@example.org,,email,,members,public
    """,
    )
    run_import("people", path)
    eva = Person.objects.get(slug="eva")
    assert eva.consent_basis == "paper" and eva.consent_at.isoformat().startswith("2026-03-01T09:00")
    assert eva.visibility == "public"
    assert eva.contact_visibility == "private"  # contact is outside the consented groups
    assert eva.consent_groups == ["expertise", "regions"]
    gert = Person.objects.get(slug="gert")  # a basis without a date means "now"
    assert gert.consent_at is not None and gert.visibility == "members"
    bad = write(
        tmp_path,
        "bad.csv",
        """
        slug,name,consent_at,consent_basis
        fons,Fons,2026-03-02,
        hans,Hans,gisteren,paper
    """,
    )
    error = str(import_fails("people", bad))
    assert "line 2, field consent_basis:" in error
    assert "line 3, field consent_at:" in error
    assert not Person.objects.filter(slug__in=["fons", "hans"]).exists()


def test_people_json(tmp_path: Path, atlas: dict) -> None:
    path = write(
        tmp_path,
        "people.json",
        """
        [{"slug": "dirk", "name": "Dirk", "knowledge_kinds": ["research"], "regions": ["GM0362"],
          "regions_visibility": "public", "visibility": "members",
          "consent_at": "2026-01-05", "consent_basis": "email"}]
    """,
    )
    run_import("people", path)
    dirk = Person.objects.get(slug="dirk")
    assert (dirk.visibility, dirk.regions_visibility, dirk.knowledge_kinds) == (
        "members",
        "public",
        ["research"],
    )


def test_people_unknown_visibility_is_an_error(tmp_path: Path, atlas: dict) -> None:
    path = write(tmp_path, "people.csv", "slug,name,contact_visibility\ne,E,iedereen\n")
    before = db_counts()
    assert "line 2, field contact_visibility: " in str(import_fails("people", path))
    assert db_counts() == before


def test_empty_visibility_cell_keeps_the_current_value(tmp_path: Path, atlas: dict) -> None:
    PersonFactory(slug="e", name="E", contact_visibility="public")
    run_import("people", write(tmp_path, "people.csv", "slug,name,contact_visibility\ne,E2,\n"))
    assert Person.objects.get(slug="e").contact_visibility == "public"


def test_networks_with_parent_in_the_same_file(tmp_path: Path, atlas: dict) -> None:
    ProgrammeFactory(slug="np-test")
    path = write(
        tmp_path,
        "networks.csv",
        """
        slug,name,kind,scale,parent,programmes,regions
        kennisnet-energie,Kennisnet Energie,knowledge,national,,np-test,NL
        energie-noord,Energie Noord,learning,regional,kennisnet-energie,,PV27
    """,
    )
    run_import("networks", path)
    child = Network.objects.get(slug="energie-noord")
    assert child.parent == Network.objects.get(slug="kennisnet-energie")
    assert list(child.parent.programmes.values_list("slug", flat=True)) == ["np-test"]


def test_hubs_csv(tmp_path: Path, atlas: dict) -> None:
    path = write(
        tmp_path,
        "hubs.csv",
        """
        slug,name,regions,themes,offers_strategy
        hub-zuid,Kennishub Zuid,GM0363;GM0362,wonen,nee
    """,
    )
    run_import("hubs", path)
    hub = Hub.objects.get(slug="hub-zuid")
    assert (hub.offers_strategy, hub.offers_brokering, hub.regions.count()) == (False, True, 2)


def test_programmes_csv_and_json(tmp_path: Path, atlas: dict) -> None:
    run_import(
        "programmes",
        write(
            tmp_path,
            "p.csv",
            """
        slug,name,abbr,status,start_year,themes,regions
        np-test,Nationaal Programma Regionale Energiestrategie,NP RES,active,2019,energie,NL
    """,
        ),
    )
    prog = Programme.objects.get(slug="np-test")
    assert (prog.abbr, prog.start_year, prog.scale) == ("NP RES", 2019, Scale.NATIONAL)
    run_import(
        "programmes",
        write(
            tmp_path,
            "p.json",
            """
        [{"slug": "np-test", "horizon_year": 2030, "status": "revised"},
         {"slug": "np-test-twee", "name": "Nationaal Programma Landelijk Gebied", "start_year": null}]
    """,
        ),
    )
    prog.refresh_from_db()
    assert (prog.horizon_year, prog.status, prog.abbr) == (2030, "revised", "NP RES")  # abbr kept
    assert Programme.objects.get(slug="np-test-twee").start_year is None


def test_relations_csv_and_json_update_in_place(tmp_path: Path, atlas: dict) -> None:
    OrganisationFactory(slug="gemeente-amsterdam")
    NetworkFactory(slug="kennisnet")
    path = write(
        tmp_path,
        "relations.csv",
        """
        kind,source_type,source,target_type,target,valid_from,source_note
        member_of,organisation,gemeente-amsterdam,network,kennisnet,2024-01-01,jaarverslag
        works_with,hub,hub-noord,region,GM0363,,
    """,
    )
    run_import("relations", path)
    assert Relation.objects.count() == 2
    rel = Relation.objects.get(kind="member_of")
    assert (rel.source_id, rel.valid_from) == (
        Organisation.objects.get(slug="gemeente-amsterdam").pk,
        dt.date(2024, 1, 1),
    )
    run_import(
        "relations",
        write(
            tmp_path,
            "relations.json",
            """
        [{"kind": "member_of", "source_type": "organisation", "source": "gemeente-amsterdam",
          "target_type": "network", "target": "kennisnet", "source_note": "website"}]
    """,
        ),
    )
    assert Relation.objects.count() == 2
    rel.refresh_from_db()
    assert (rel.source_note, rel.valid_from) == ("website", dt.date(2024, 1, 1))


def test_relation_to_unknown_entity_and_duplicate_relation(tmp_path: Path, atlas: dict) -> None:
    OrganisationFactory(slug="gemeente-amsterdam")
    path = write(
        tmp_path,
        "relations.csv",
        """
        kind,source_type,source,target_type,target
        works_with,organisation,gemeente-amsterdam,hub,hub-noord
        works_with,organisation,gemeente-amsterdam,hub,hub-noord
        works_with,organisation,bestaat-niet,hub,hub-noord
    """,
    )
    before = db_counts()
    error = str(import_fails("relations", path))
    assert "line 3: duplicate of line 2" in error
    assert "line 4, field source: Onbekend: bestaat-niet." in error
    assert db_counts() == before


def test_dry_run_changes_nothing(tmp_path: Path, atlas: dict) -> None:
    path = write(tmp_path, "orgs.csv", ORGS_CSV)
    before = db_counts()
    out = run_import("organisations", path, "--dry-run")
    assert (
        "Dry run: all 2 organisations rows in orgs.csv are valid (2 created, 0 updated); nothing was changed."
        in out
    )
    assert db_counts() == before
    bad = write(tmp_path, "bad.csv", ORGS_CSV + "x,,company,,\n")
    error = str(import_fails("organisations", bad, "--dry-run", "--keep-going"))
    assert "Dry run: nothing was changed." in error
    assert "line 4, field name" in error
    assert db_counts() == before


def test_keep_going_commits_only_valid_rows(tmp_path: Path, atlas: dict) -> None:
    path = write(
        tmp_path, "orgs.csv", ORGS_CSV + "hogeschool,Hogeschool,uas,GM9999,\nlaatste,Laatste,company,,\n"
    )
    with pytest.raises(CommandError) as info:
        run_import("organisations", path, "--keep-going")
    assert info.value.returncode == 2
    assert "imported 3 of 4 organisations rows (3 created, 0 updated); 1 rejected" in str(info.value)
    assert "line 4, field regions: Onbekende waarde: GM9999." in str(info.value)
    assert sorted(Organisation.objects.values_list("slug", flat=True)) == [
        "gemeente-amsterdam",
        "laatste",
        "provincie-nh",
    ]
    assert ChangeLog.objects.filter(source="import").count() == 3


def test_reimport_updates_in_place(tmp_path: Path, atlas: dict) -> None:
    run_import("organisations", write(tmp_path, "orgs.csv", ORGS_CSV))
    before = db_counts()
    changed = ORGS_CSV.replace(
        "Gemeente Amsterdam,municipality,GM0363,wonen;energie",
        "Gemeente Amsterdam,municipality,GM0363;GM0362,wonen",
    )
    out = run_import("organisations", write(tmp_path, "orgs2.csv", changed))
    assert "0 created, 2 updated" in out
    after = db_counts()
    assert after.pop("core.ChangeLog") == before.pop("core.ChangeLog") + 2
    queued_for_search(before, after)
    org_regions = "atlas.Organisation_regions"
    assert after.pop(org_regions) == before.pop(org_regions) + 1
    org_themes = "atlas.Organisation_themes"
    assert after.pop(org_themes) == before.pop(org_themes) - 1
    assert after == before
    ams = Organisation.objects.get(slug="gemeente-amsterdam")
    assert list(ams.themes.values_list("slug", flat=True)) == ["wonen"]
    log = ChangeLog.objects.filter(object_id=ams.pk, action="update").get()
    assert log.source == "import"
    assert set(log.changes) == {"regions", "themes"}


def test_partial_update_keeps_absent_columns(tmp_path: Path, atlas: dict) -> None:
    person = PersonFactory(
        slug="anouk", name="Anouk", role="onderzoeker", regions=[atlas["ams"]], expertise_visibility="public"
    )
    run_import("people", write(tmp_path, "p.csv", "slug,email\nanouk,nieuw@example.org\n"))
    person.refresh_from_db()
    assert (person.email, person.name, person.role, person.expertise_visibility) == (
        "nieuw@example.org",
        "Anouk",
        "onderzoeker",
        "public",
    )
    assert list(person.regions.values_list("code", flat=True)) == ["GM0363"]


def test_history_actor_from_user_option(tmp_path: Path, atlas: dict, django_user_model: Any) -> None:
    admin = django_user_model.objects.create_user("beheerder", is_superuser=True)
    run_import("organisations", write(tmp_path, "orgs.csv", ORGS_CSV), "--user", "beheerder")
    assert set(ChangeLog.objects.filter(source="import").values_list("actor", flat=True)) == {admin.pk}
    assert "no active user 'niemand'" in str(
        import_fails("organisations", tmp_path / "orgs.csv", "--user", "niemand")
    )


def test_reference_regions_can_be_used(tmp_path: Path, ref: None) -> None:
    path = write(
        tmp_path, "orgs.csv", "slug,name,kind,regions\nutrecht,Gemeente Utrecht,municipality,GM0344\n"
    )
    run_import("organisations", path)
    assert list(Organisation.objects.get(slug="utrecht").regions.values_list("name", flat=True)) == [
        "Utrecht"
    ]


# ---- export ---------------------------------------------------------------------------------------------


SECRET_EMAIL = "geheim-adres@example.org"
HUB_ONLY_EXPERTISE = "alleen-voor-de-hub expertise over warmtenetten"
PRIVATE_PERSON = "Verborgen Persoon"
PRIVATE_ORG = "Geheime Organisatie BV"
MEMBERS_NETWORK = "Ledennetwerk Alleen Leden"


@pytest.fixture
def field(atlas: dict) -> dict[str, Any]:
    """Public and non-public things side by side."""
    public_org = OrganisationFactory(slug="open-org", name="Open Organisatie", regions=[atlas["ams"]])
    private_org = OrganisationFactory(slug="geheime-org", name=PRIVATE_ORG, visibility="private")
    anouk = PersonFactory(
        slug="anouk",
        name="Anouk Openbaar",
        email=SECRET_EMAIL,
        contact_visibility="private",
        expertise=HUB_ONLY_EXPERTISE,
        expertise_visibility="hub",
        owner_hub=atlas["hub"],
        role="beleidsadviseur",
        affiliation_visibility="public",
        regions_visibility="public",
        themes=[atlas["wonen"]],
        organisations=[public_org, private_org],
        regions=[atlas["ams"]],
    )
    hidden = PersonFactory(slug="verborgen", name=PRIVATE_PERSON, visibility="private")
    net = NetworkFactory(slug="open-net", name="Open Netwerk", regions=[atlas["nh"]])
    NetworkFactory(slug="leden-net", name=MEMBERS_NETWORK, visibility="members")
    NetworkMember.objects.create(network=net, organisation=public_org, role="coordinator")
    NetworkMember.objects.create(network=net, organisation=private_org)
    NetworkMember.objects.create(network=net, person=hidden)
    programme = ProgrammeFactory(
        slug="np-test", name="NP RES", regions=[atlas["nl"]], themes=[atlas["energie"]]
    )
    Milestone.objects.create(
        programme=programme, date=dt.date(2026, 7, 1), kind="report", label="RES 3.0 klaar"
    )
    ProgrammeStatusChange.objects.create(programme=programme, status="active", date=dt.date(2019, 6, 1))
    Relation.objects.create(
        kind="works_with",
        source_type="organisation",
        source_id=public_org.pk,
        target_type="network",
        target_id=net.pk,
    )
    Relation.objects.create(
        kind="funds",
        source_type="organisation",
        source_id=private_org.pk,
        target_type="network",
        target_id=net.pk,
        source_note="geheime financiering",
    )
    Relation.objects.create(
        kind="advises",
        source_type="person",
        source_id=hidden.pk,
        target_type="organisation",
        target_id=public_org.pk,
        source_note="verborgen advies",
    )
    return {"anouk": anouk, "hidden": hidden, "net": net, "programme": programme}


def test_anonymous_export_leaves_out_everything_not_public(field: dict) -> None:
    text = run_export()
    data = json.loads(text)
    for secret in (
        SECRET_EMAIL,
        HUB_ONLY_EXPERTISE,
        PRIVATE_PERSON,
        PRIVATE_ORG,
        "geheime-org",
        MEMBERS_NETWORK,
        "verborgen",
        "geheime financiering",
    ):
        assert secret not in text
    assert data["meta"]["audience"] == "public"
    anouk = next(p for p in data["people"] if p["slug"] == "anouk")
    assert "email" not in anouk and "expertise" not in anouk and "themes" not in anouk
    assert anouk["hidden"] == ["contact", "expertise"]
    assert anouk["role"] == "beleidsadviseur"
    assert anouk["organisations"] == ["open-org"]
    assert anouk["regions"] == ["GM0363"]
    assert "contact_visibility" not in anouk
    net = next(n for n in data["networks"] if n["slug"] == "open-net")
    assert net["members"] == [{"organisation": "open-org", "role": "coordinator"}]
    assert [(r["source"], r["target"]) for r in data["relations"]] == [("open-org", "open-net")]
    assert data["counts"]["people"] == 1


def test_private_export_includes_everything(field: dict) -> None:
    text = run_export("--include-private")
    data = json.loads(text)
    for secret in (
        SECRET_EMAIL,
        HUB_ONLY_EXPERTISE,
        PRIVATE_PERSON,
        PRIVATE_ORG,
        MEMBERS_NETWORK,
        "geheime financiering",
        "verborgen advies",
    ):
        assert secret in text
    anouk = next(p for p in data["people"] if p["slug"] == "anouk")
    assert anouk["hidden"] == []
    assert (anouk["contact_visibility"], anouk["owner_hub"]) == ("private", "hub-noord")
    assert data["meta"]["audience"] == "all"
    assert data["counts"]["relations"] == 3


def test_export_contains_regions_programmes_hubs_and_themes(field: dict) -> None:
    data = json.loads(run_export())
    ams = next(r for r in data["regions"] if r["code"] == "GM0363")
    assert (ams["kind"], ams["scale"]) == ("municipality", "local")
    assert "PV27" in ams["parents"]
    programme = next(p for p in data["programmes"] if p["slug"] == "np-test")
    assert programme["milestones"] == [
        {
            "date": "2026-07-01",
            "date_precision": "day",
            "kind": "report",
            "label": "RES 3.0 klaar",
            "verified": True,
        }
    ]
    assert programme["status_history"][0]["date"] == "2019-06-01"
    assert [h["slug"] for h in data["hubs"]] == ["hub-noord"]
    assert {"wonen", "energie"} <= {t["slug"] for t in data["themes"]}


def test_jsonld_export_parses_and_uses_schema_org(field: dict) -> None:
    text = run_export("--format", "jsonld")
    for secret in (SECRET_EMAIL, HUB_ONLY_EXPERTISE, PRIVATE_PERSON, PRIVATE_ORG, MEMBERS_NETWORK):
        assert secret not in text
    doc = json.loads(text)
    assert doc["@context"]["@vocab"] == "https://schema.org/"
    nodes = {n.get("@id"): n for n in doc["@graph"]}
    types = {n["@type"] for n in doc["@graph"]}
    assert {
        "Dataset",
        "AdministrativeArea",
        "DefinedTerm",
        "Organization",
        "Person",
        "Project",
        "Relation",
    } <= types
    ams = next(n for n in doc["@graph"] if n.get("identifier") == "GM0363")
    assert nodes[ams["@id"]] is ams
    assert ams["@type"] == "AdministrativeArea"
    # the province, and since the COROP/RES memberships also the COROP and RES regions holding it
    assert any(p["@id"].endswith("/gebieden/PV27/") for p in ams["containedInPlace"])
    anouk = next(n for n in doc["@graph"] if n["@type"] == "Person")
    assert "email" not in anouk and "knowsAbout" not in anouk
    assert anouk["worksFor"][0]["@id"].endswith("/organisaties/open-org/")
    programme = next(n for n in doc["@graph"] if n.get("identifier") == "np-test")
    assert programme["event"][0]["startDate"] == "2026-07-01"
    assert programme["statusHistory"][0]["status"] == "active"


def test_jsonld_private_export_has_knows_about_for_people(field: dict) -> None:
    doc = json.loads(run_export("--format", "jsonld", "--include-private"))
    anouk = next(n for n in doc["@graph"] if n.get("identifier") == "anouk")
    assert anouk["email"] == SECRET_EMAIL
    assert anouk["knowsAbout"][0]["@id"].endswith("/themas/wonen/")


def test_export_to_file(tmp_path: Path, field: dict) -> None:
    target = tmp_path / "atlas.json"
    out, err = io.StringIO(), io.StringIO()
    call_command("export", "--output", str(target), stdout=out, stderr=err)
    assert out.getvalue() == ""
    assert "Exported" in err.getvalue() and "1 people" in err.getvalue()
    assert json.loads(target.read_text(encoding="utf-8"))["counts"]["people"] == 1
    assert list(tmp_path.iterdir()) == [target]  # no temporary file left behind


def _people(n: int, atlas: dict) -> None:
    orgs = [OrganisationFactory(regions=[atlas["ams"]]) for _ in range(3)]
    for i in range(n):
        PersonFactory(
            regions=[atlas["ams"], atlas["amv"]],
            themes=[atlas["wonen"]],
            organisations=[orgs[i % 3]],
            contact_visibility="public" if i % 2 else "private",
            affiliation_visibility="public",
        )
    net = NetworkFactory()
    for person in Person.objects.all()[:5]:
        NetworkMember.objects.create(network=net, person=person)


@pytest.mark.parametrize("fmt", ["json", "jsonld"])
@pytest.mark.parametrize("include_private", [False, True])
def test_export_query_count_does_not_grow_with_people(atlas: dict, fmt: str, include_private: bool) -> None:
    viewer = export_viewer(include_private)
    _people(10, atlas)
    with CaptureQueriesContext(connection) as small:
        counts_small = export_atlas(io.StringIO(), viewer=viewer, fmt=fmt)
    _people(50, atlas)
    with CaptureQueriesContext(connection) as large:
        counts_large = export_atlas(io.StringIO(), viewer=viewer, fmt=fmt)
    assert (counts_small["people"], counts_large["people"]) == (10, 60)
    assert len(large.captured_queries) == len(small.captured_queries)


def test_export_batches_cover_every_row_once(atlas: dict) -> None:
    _people(23, atlas)
    out = io.StringIO()
    with CaptureQueriesContext(connection) as queries:
        export_atlas(out, viewer=ANONYMOUS, batch_size=5)
    data = json.loads(out.getvalue())
    slugs = [p["slug"] for p in data["people"]]
    assert sorted(slugs) == sorted(Person.objects.values_list("slug", flat=True))
    assert len(slugs) == len(set(slugs)) == 23
    people_queries = [q for q in queries.captured_queries if 'FROM "atlas_person"' in q["sql"]]
    assert len(people_queries) == 5  # ceil(23 / 5) batches, one query each


def test_export_then_import_round_trips_organisations(tmp_path: Path, field: dict) -> None:
    data = json.loads(run_export())
    rows = data["organisations"]
    path = tmp_path / "orgs.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    before = db_counts()
    assert f"0 created, {len(rows)} updated" in run_import("organisations", path)
    after = db_counts()
    assert after.pop("core.ChangeLog") == before.pop("core.ChangeLog") + len(rows)
    queued_for_search(before, after)
    assert after == before
