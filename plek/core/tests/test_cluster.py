"""Two web nodes, one worker and HAProxy on one PostgreSQL database (`plek.core.cluster`): what one
node writes the other reads, search included; a killed node costs no acknowledged write and the
balancer stops sending to it. Runs on its own throwaway PostgreSQL database whatever the suite's."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from urllib.parse import quote

import pytest

from plek.core.cluster import Cluster, get, post_json


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    with Cluster(web_workers=1) as c:
        yield c


def _item(title: str) -> bytes:
    return json.dumps({"title": title, "kind": "case", "body": f"{title}: over peilbeheer."}).encode()


def test_a_write_through_one_node_is_read_and_found_through_the_other(cluster: Cluster) -> None:
    status, body = post_json(
        cluster.url("a") + "/api/v1/knowledge", _item("Kwelsloot Purmer"), token=cluster.token
    )
    assert status == 201, body
    slug = json.loads(body)["slug"]
    status, body = get(cluster.url("b") + f"/api/v1/knowledge/{slug}")  # public: read anonymously on B
    assert status == 200 and json.loads(body)["title"] == "Kwelsloot Purmer"

    def found_on_b() -> bool:
        status, body = get(cluster.url("b") + "/api/v1/search?q=" + quote("kwelsloot"))
        return status == 200 and any(h["title"] == "Kwelsloot Purmer" for h in json.loads(body)["items"])

    cluster.wait_until(found_on_b, "the worker indexed the write for node B", timeout=60)


def test_a_session_made_on_one_node_holds_on_the_other(cluster: Cluster) -> None:
    """Sessions live in the database and are signed with the one SECRET_KEY: no sticky sessions."""
    import http.cookiejar
    import urllib.request

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(cluster.url("a") + "/accounts/inloggen/").read().decode()
    csrf = next(c.value for c in jar if c.name == "csrftoken")
    assert "csrfmiddlewaretoken" in page
    form = f"csrfmiddlewaretoken={csrf}&login=cluster-admin&password=cluster-wachtwoord".encode()
    request = urllib.request.Request(
        cluster.url("a") + "/accounts/inloggen/", data=form, headers={"Referer": cluster.url("a") + "/"}
    )
    opener.open(request).read()
    session = next(c for c in jar if c.name == "sessionid")
    request = urllib.request.Request(
        cluster.url("b") + "/accounts/mijn-gegevens/", headers={"Cookie": f"sessionid={session.value}"}
    )
    with urllib.request.urlopen(request) as response:
        assert response.status == 200 and b"cluster-admin" in response.read()


def test_killing_a_node_loses_no_acknowledged_write_and_the_balancer_recovers(cluster: Cluster) -> None:
    acknowledged: list[str] = []
    statuses: list[int] = []
    for i in range(10):
        status, body = post_json(
            cluster.url("lb") + "/api/v1/knowledge", _item(f"Voor de val {i}"), token=cluster.token
        )
        statuses.append(status)
        if status == 201:
            acknowledged.append(json.loads(body)["slug"])
    cluster.kill("a")
    after: list[int] = []
    for i in range(40):
        status, body = post_json(
            cluster.url("lb") + "/api/v1/knowledge", _item(f"Na de val {i}"), token=cluster.token
        )
        after.append(status)
        if status == 201:
            acknowledged.append(json.loads(body)["slug"])
        time.sleep(0.05)
    assert statuses == [201] * 10
    assert after[-20:] == [201] * 20  # the error rate is back to zero
    for slug in acknowledged:  # every acknowledged write is there, read through the survivor
        assert get(cluster.url("b") + f"/api/v1/knowledge/{slug}")[0] == 200
