"""Bad input answers RFC 9457 problems naming the parameter; never a 500; API-Version everywhere."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from django.test import override_settings

from plek.api.tests import factories as f
from plek.api.tests.conftest import World, is_problem, send
from plek.atlas.models import Organisation
from plek.core.models import ChangeLog


def names(problem: dict[str, Any]) -> list[str]:
    return [p["name"] for p in problem.get("invalidParams", [])]


def test_malformed_json_is_400(world: World) -> None:
    count = Organisation.objects.count()
    problem = is_problem(send(world.client("member"), "post", "/organisations", '{"name": "x",'), 400)
    assert problem["type"] == "urn:plek:problem:malformed-body"
    problem = is_problem(send(world.client("member"), "patch", f"/hubs/{world.hub.slug}", "not json"), 400)
    assert Organisation.objects.count() == count


def test_wrong_json_types_and_unknown_properties_are_400(world: World) -> None:
    problem = is_problem(
        send(
            world.client("member"), "post", "/organisations", {"name": 12, "kind": "company", "colour": "red"}
        ),
        400,
    )
    assert set(names(problem)) == {"name", "colour"}
    problem = is_problem(send(world.client("member"), "post", "/organisations", ["a", "list"]), 400)
    assert names(problem) == ["body"]
    problem = is_problem(send(world.client("member"), "post", "/organisations", {"kind": "company"}), 400)
    assert names(problem) == ["name"]
    problem = is_problem(
        send(world.client("member"), "post", "/people", {"name": "X", "themes": "water"}), 400
    )
    assert names(problem) == ["themes"]


def test_invalid_fields_are_422_naming_each(world: World) -> None:
    logs = ChangeLog.objects.count()
    body = {
        "name": "  ",
        "kind": "castle",
        "website": "not a url",
        "regions": ["XX0000"],
        "visibility": "secret",
    }
    problem = is_problem(send(world.client("member"), "post", "/organisations", body), 422)
    assert problem["type"] == "urn:plek:problem:validation-failed"
    assert set(names(problem)) == {"name", "kind", "website", "regions", "visibility"}
    assert all(p["reason"] for p in problem["invalidParams"])
    assert ChangeLog.objects.count() == logs


def test_invalid_fields_on_patch_use_camel_case_names(world: World) -> None:
    region = f.RegionFactory(code="GM9950")
    body = {"validFrom": "2024-01-01", "validUntil": "2020-01-01"}
    problem = is_problem(send(world.client("admin"), "patch", f"/regions/{region.code}", body), 422)
    assert names(problem) == ["validUntil"]
    problem = is_problem(
        send(world.client("admin"), "patch", f"/regions/{region.code}", {"validFrom": "gisteren"}), 400
    )
    assert names(problem) == ["validFrom"]
    problem = is_problem(send(world.client("admin"), "patch", f"/regions/{region.code}", {"name": ""}), 422)
    assert names(problem) == ["name"]
    problem = is_problem(send(world.client("admin"), "patch", f"/regions/{region.code}", {"name": None}), 400)
    assert names(problem) == ["name"]
    # nullable properties can be cleared with null
    region.valid_from = "2020-01-01"
    region.save()
    response = send(world.client("admin"), "patch", f"/regions/{region.code}", {"validFrom": None})
    assert response.status_code == 200 and response.json()["validFrom"] is None


@pytest.mark.parametrize(
    "path",
    [
        "/regions/XX9999",
        "/regions/XX9999/overview",
        "/regions/XX9999/busyness",
        "/themes/bestaat-niet",
        "/organisations/bestaat-niet",
        "/people/bestaat-niet",
        "/networks/bestaat-niet",
        "/hubs/bestaat-niet",
        "/programmes/bestaat-niet",
        "/relations/999999",
        "/bestaat-niet",
        "/regions/",
        "/organisations/a/b/c",
    ],
)
def test_unknown_is_404_problem(world: World, path: str) -> None:
    response = send(world.client("anonymous"), "get", path)
    is_problem(response, 404)
    assert response["API-Version"] == "1.0.0"


def test_unknown_identifier_on_write_is_404(world: World) -> None:
    is_problem(send(world.client("admin"), "patch", "/regions/XX9999", {"name": "x"}), 404)
    is_problem(send(world.client("admin"), "delete", "/organisations/bestaat-niet"), 404)


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("/organisations?pageSize=1000", "pageSize"),
        ("/organisations?pageSize=0", "pageSize"),
        ("/organisations?page=0", "page"),
        ("/organisations?page=een", "page"),
        ("/organisations?theme=bestaat-niet", "theme"),
        ("/organisations?region=XX9999", "region"),
        ("/organisations?kind=castle", "kind"),
        ("/people?region=XX9999", "region"),
        ("/networks?scale=galactic", "scale"),
        ("/programmes?status=dreaming", "status"),
        ("/regions?parent=XX9999", "parent"),
        ("/regions?kind=planet", "kind"),
        ("/themes?parent=bestaat-niet", "parent"),
        ("/relations?kind=likes", "kind"),
        ("/graph?theme=bestaat-niet", "theme"),
        ("/graph?region=XX9999", "region"),
        ("/regions/PV99/busyness?months=500", "months"),
        ("/regions/PV99/busyness?start=morgen", "start"),
        ("/regions/PV99/overview?limit=0", "limit"),
    ],
)
def test_bad_query_parameters_are_400_naming_the_parameter(world: World, query: str, param: str) -> None:
    problem = is_problem(send(world.client("anonymous"), "get", query), 400)
    assert names(problem) == [param]


def test_wrong_method_is_405_problem(world: World) -> None:
    response = send(world.client("admin"), "put", "/organisations", {})
    is_problem(response, 405)
    assert "GET" in response["Allow"]
    assert response["API-Version"] == "1.0.0"


def test_unexpected_error_is_a_logged_500_problem(world: World) -> None:
    with mock.patch("plek.atlas.selectors.region_busyness", side_effect=RuntimeError("boom")):
        response = send(world.client("anonymous"), "get", "/regions/PV99/busyness")
    problem = is_problem(response, 500)
    assert "boom" not in problem["detail"]


def test_api_version_header_on_every_kind_of_answer(world: World) -> None:
    client = world.client("anonymous")
    for path, status in [
        ("/regions", 200),
        ("/openapi.json", 200),
        ("/docs", 200),
        ("/", 200),
        ("/regions/XX9999", 404),
        ("/organisations?pageSize=1000", 400),
    ]:
        response = send(client, "get", path)
        assert response.status_code == status, path
        assert response["API-Version"] == "1.0.0", path
    response = send(client, "post", "/organisations", {"name": "x", "kind": "company"})
    assert response.status_code == 401 and response["API-Version"] == "1.0.0"


def test_too_large_body_is_413(world: World) -> None:
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=100):
        body = {"name": "x" * 500, "kind": "company"}
        is_problem(send(world.client("member"), "post", "/organisations", body), 413)


def test_a_getters_http404_is_a_404_problem() -> None:
    """Getters raise Http404 (one getter for the page and the API): the API's handler answers any that
    escapes as problem+json, and `common.found` gives it the operation's own detail."""
    from django.http import Http404
    from django.test import RequestFactory

    from plek.api import errors
    from plek.api.common import found

    request = RequestFactory().get("/api/v1/regions/XX")
    bare = errors.on_not_found(request, Http404("internal detail"))
    assert (bare.status_code, bare["Content-Type"]) == (404, "application/problem+json")
    assert b"internal detail" not in bare.content

    def getter() -> None:
        raise Http404

    with pytest.raises(errors.ApiError) as caught:
        found(getter, "There is no region 'XX'.")
    assert (caught.value.status, caught.value.detail) == (404, "There is no region 'XX'.")
    assert found(lambda: 7, "unused") == 7
