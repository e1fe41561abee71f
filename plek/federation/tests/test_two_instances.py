"""Federation between two real PLeK instances: own processes, own SQLite databases and search indexes,
each in its own network namespace joined by a veth pair (10.212.0.1 hub, 10.212.0.2 national), so the
harvest crosses a real network hop. Where network namespaces cannot be made (no privilege), the two
instances run as separate processes on distinct loopback ports instead; the test says which in its
output. The national instance harvests the hub's public items (kind "PLeK instance", richer OAI
format); they appear in its search with "uit Kennishub …" provenance; an edit and a withdrawal at the
source arrive on the next incremental run; members-only and private items never cross."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from plek.core.testing import free_port

ROOT = Path(__file__).resolve().parents[3]
PLEK = str(Path(sys.executable).parent / "plek")
PORT = free_port()  # two test runs on one machine must not share a server port either
HUB_IP, NAT_IP = "10.212.0.1", "10.212.0.2"
# names of this process's own (two test runs on one machine must not take each other's namespaces)
TAG = f"{os.getpid() % 100000:05d}"
NS_HUB, NS_NAT = f"h12h-{TAG}", f"h12n-{TAG}"
VETH_HUB, VETH_NAT = f"h12vh{TAG}", f"h12vn{TAG}"


def _ip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=20)


def _netns_up() -> bool:
    _netns_down()
    steps = [
        ("netns", "add", NS_HUB),
        ("netns", "add", NS_NAT),
        ("link", "add", VETH_HUB, "type", "veth", "peer", "name", VETH_NAT),
        ("link", "set", VETH_HUB, "netns", NS_HUB),
        ("link", "set", VETH_NAT, "netns", NS_NAT),
        ("-n", NS_HUB, "addr", "add", f"{HUB_IP}/24", "dev", VETH_HUB),
        ("-n", NS_NAT, "addr", "add", f"{NAT_IP}/24", "dev", VETH_NAT),
        ("-n", NS_HUB, "link", "set", VETH_HUB, "up"),
        ("-n", NS_NAT, "link", "set", VETH_NAT, "up"),
        ("-n", NS_HUB, "link", "set", "lo", "up"),
        ("-n", NS_NAT, "link", "set", "lo", "up"),
    ]
    for step in steps:
        if shutil.which("ip") is None or _ip(*step).returncode != 0:
            _netns_down()
            return False
    return True


def _netns_down() -> None:
    for ns in (NS_HUB, NS_NAT):
        _ip("netns", "del", ns)


class Instance:
    def __init__(self, name: str, tmp: Path, template: Path, netns: str | None) -> None:
        self.name = name
        self.netns = netns
        self.db = tmp / f"{name}.sqlite3"
        shutil.copy(template, self.db)
        self.env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{self.db}",
            "PLEK_SEARCH_DIR": str(tmp / f"search-{name}"),
            "PLEK_SEARCH_BACKEND": "tantivy",  # each instance has its own SQLite database and index
            "PLEK_VAR_DIR": str(tmp / f"var-{name}"),
            "PLEK_TASKS_BACKEND": "immediate",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "ALLOWED_HOSTS": f"127.0.0.1,localhost,testserver,{HUB_IP},{NAT_IP}",
        }
        self.server: subprocess.Popen[bytes] | None = None

    def _wrap(self, cmd: list[str]) -> list[str]:
        return ["ip", "netns", "exec", self.netns, *cmd] if self.netns else cmd

    def plek(self, *args: str, timeout: int = 180) -> str:
        done = subprocess.run(
            self._wrap([PLEK, *args]), env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=timeout
        )
        assert done.returncode == 0, f"{self.name}: plek {args[0]} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def py(self, code: str) -> Any:
        """Run Python in this instance (Django set up); its last printed line is JSON."""
        out = self.plek("shell", "-c", code)
        return json.loads(out.strip().splitlines()[-1])

    def serve(self, host: str, port: int) -> str:
        self.server = subprocess.Popen(
            self._wrap([PLEK, "runserver", f"{host}:{port}", "--noreload", "--skip-checks"]),
            env=self.env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return f"http://{host}:{port}"

    def stop(self) -> None:
        if self.server is not None:
            self.server.terminate()
            try:
                self.server.wait(10)
            except subprocess.TimeoutExpired:
                self.server.kill()


HUB_SETUP = """
import json
from plek.atlas.models import Hub, Theme
from plek.knowledge.models import KnowledgeItem
hub = Hub.objects.create(slug="kennishub-zaanstreek", name="Kennishub Zaanstreek")
def make(title, slug, vis):
    i = KnowledgeItem.objects.create(title=title, slug=slug, kind="case", category="practice", visibility=vis,
        owner_hub=hub, summary="Ervaringen uit de Zaanstreek")
    i.themes.set(Theme.objects.filter(slug="water-bodem"))
make("Waterberging op het boerenerf", "erf", "public")
make("Proef met drijvende woningen", "drijvend", "public")
make("Interne evaluatie voor leden", "leden", "members")
make("Alleen voor de hub", "hub-only", "hub")
make("Privé aantekeningen", "prive", "private")
print(json.dumps("ok"))
"""

NAT_SETUP = """
import json
from plek.federation.models import HarvestSource
s = HarvestSource.objects.create(name="PLeK Zaanstreek", kind="plek", base_url="{url}/oai")
print(json.dumps(s.pk))
"""

NAT_STATE = """
import json
from django.test import Client
from plek.atlas.permissions import ANONYMOUS
from plek.knowledge import selectors
from plek.knowledge.models import KnowledgeItem
found = selectors.search(viewer=ANONYMOUS, params=selectors.SearchParams(q="{q}", size=20))
titles = sorted(h.title for h in found.result.hits if h.type == "knowledge")
items = {i.title: [i.visibility, bool(i.withdrawn_at), [p.source_name for p in i.provenances.all()]]
         for i in KnowledgeItem.objects.all()}
page = ""
first = KnowledgeItem.objects.filter(visibility="public").first()
if first:
    page = Client().get("/kennis/%s/" % first.slug).content.decode()
print(json.dumps({"search": titles, "items": items, "uit": "uit Kennishub Zaanstreek" in page}))
"""


@pytest.fixture(scope="module")
def instances(tmp_path_factory: Any) -> Any:
    tmp = tmp_path_factory.mktemp("federation")
    template = tmp / "template.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{template}",
        "PLEK_SEARCH_BACKEND": "tantivy",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    for args in (["migrate", "--no-input", "-v", "0"], ["reference", "load"]):
        done = subprocess.run([PLEK, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
    use_netns = os.geteuid() == 0 and _netns_up()
    hub = Instance("hub", tmp, template, NS_HUB if use_netns else None)
    nat = Instance("national", tmp, template, NS_NAT if use_netns else None)
    print(
        f"federation test: {'network namespaces ' + NS_HUB + ' / ' + NS_NAT if use_netns else 'loopback ports'}"
    )
    try:
        yield hub, nat, use_netns
    finally:
        hub.stop()
        nat.stop()
        if use_netns:
            _netns_down()


def _wait(url: str, netns: str | None) -> None:
    """Wait until the hub answers, asking from inside its namespace (the test runs outside it)."""
    probe = (
        "import sys, urllib.request\n"
        "try:\n    sys.stdout.write(str(urllib.request.urlopen(sys.argv[1], timeout=20).status))\n"
        "except Exception:\n    sys.stdout.write('no')"
    )
    cmd = [sys.executable, "-c", probe, f"{url}/oai?verb=Identify"]
    if netns:
        cmd = ["ip", "netns", "exec", netns, *cmd]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        except subprocess.TimeoutExpired:
            continue
        if done.stdout == "200":
            return
        time.sleep(0.5)
    raise AssertionError(f"the hub instance did not answer at {url}")


def test_national_instance_harvests_a_hub_instance(instances: Any) -> None:
    hub, nat, use_netns = instances
    assert hub.py(HUB_SETUP) == "ok"
    url = hub.serve(HUB_IP if use_netns else "127.0.0.1", PORT)
    _wait(url, NS_HUB if use_netns else None)
    source_id = nat.py(NAT_SETUP.replace("{url}", url))
    nat.plek("harvest", "allow", HUB_IP if use_netns else "127.0.0.1")

    report = json.loads(nat.plek("harvest", "run", str(source_id)).strip().splitlines()[-1])
    assert (report["status"], report["created"], report["refused"]) == ("done", 2, 0), report
    state = nat.py(NAT_STATE.replace("{q}", "Zaanstreek"))
    assert state["search"] == ["Proef met drijvende woningen", "Waterberging op het boerenerf"]
    assert state["items"]["Waterberging op het boerenerf"][2] == ["Kennishub Zaanstreek"]
    assert state["uit"] is True
    for hidden in ("Interne evaluatie voor leden", "Alleen voor de hub", "Privé aantekeningen"):
        assert hidden not in state["items"]

    # An edit and a withdrawal at the source arrive on the next incremental run.
    hub.py(
        "import json\nfrom plek.knowledge.models import KnowledgeItem\n"
        "i = KnowledgeItem.objects.get(slug='erf'); i.title = 'Waterberging op het boerenerf (vervolg)'; i.save()\n"
        "j = KnowledgeItem.objects.get(slug='drijvend'); j.visibility = 'members'; j.save()\n"
        "print(json.dumps('ok'))"
    )
    report = json.loads(nat.plek("harvest", "run", str(source_id)).strip().splitlines()[-1])
    assert (report["updated"], report["withdrawn"], report["created"]) == (1, 1, 0), report
    state = nat.py(NAT_STATE.replace("{q}", "Zaanstreek"))
    assert state["search"] == ["Waterberging op het boerenerf (vervolg)"]
    assert state["items"]["Proef met drijvende woningen"][:2] == ["private", True]
    assert "Interne evaluatie voor leden" not in state["items"]
