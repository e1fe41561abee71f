from plek.api.tests.conftest import send
from plek.api.tests import factories as f


def test_smoke(world):
    org = f.OrganisationFactory(owner_hub=world.hub, created_by=world.author)
    org.regions.set([world.municipality])
    for role in ("anonymous", "admin"):
        c = world.client(role)
        for path in ["/regions", "/regions/PV99", "/regions/PV99/overview", "/regions/PV99/busyness", "/themes", "/themes/water",
                     "/organisations", f"/organisations/{org.slug}", "/people", "/networks", "/hubs", "/hubs/proefhub", "/programmes", "/relations", "/graph", "/nope", "/regions/"]:
            r = send(c, "get", path)
            print(role, path, r.status_code, r.get("API-Version"), r.content[:300])
    c = world.client("member")
    r = send(c, "post", "/organisations", {"name": "X", "kind": "company", "regions": ["GM9901"]})
    print(r.status_code, r.content, r.get("Location"))
    r = send(c, "patch", "/organisations/x", {"description": "hoi"})
    print(r.status_code, r.content)
    r = send(c, "post", "/organisations", "{bad")
    print(r.status_code, r.content)
    r = send(c, "post", "/organisations", {"name": 5, "foo": 1})
    print(r.status_code, r.content)
    r = send(c, "post", "/organisations", {"name": "", "kind": "zz", "website": "nope", "regions": ["QQ"]})
    print(r.status_code, r.content)
    r = send(c, "get", "/organisations?pageSize=1000&theme=zz")
    print(r.status_code, r.content)
    r = send(c, "put", "/organisations", {})
    print(r.status_code, r.content, r.get("API-Version"))
    r = send(world.client("anonymous"), "post", "/organisations", {"name": "X", "kind": "company"})
    print(r.status_code, r.content, dict(r.headers))
