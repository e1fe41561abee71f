"""A fake source server on loopback for harvest tests: an OAI-PMH repository in the shape real
repositories send (oai_dc, Dutch titles and subjects), a CKAN API, a DCAT catalogue, RSS and Atom
feeds, and the ways sources misbehave. The records are written for these tests."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

OAI_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<responseDate>2026-12-01T10:00:00Z</responseDate><request verb="ListRecords">http://x/oai</request>"""


def dc_record(
    ident: str,
    title: str | None,
    *,
    subjects: tuple[str, ...] = (),
    doi: str = "",
    deleted: bool = False,
    extra: str = "",
    stamp: str = "2026-11-30",
) -> str:
    if deleted:
        return f'<record><header status="deleted"><identifier>{ident}</identifier><datestamp>{stamp}</datestamp></header></record>'
    subj = "".join(f"<dc:subject>{s}</dc:subject>" for s in subjects)
    title_el = f"<dc:title>{title}</dc:title>" if title is not None else ""
    ident_el = f"<dc:identifier>https://doi.org/{doi}</dc:identifier>" if doi else ""
    return f"""<record><header><identifier>{ident}</identifier><datestamp>{stamp}</datestamp><setSpec>col:water</setSpec></header>
<metadata><oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" xmlns:dc="http://purl.org/dc/elements/1.1/">
{title_el}<dc:creator>Jansen, P.</dc:creator>{subj}<dc:description>Onderzoek naar {title or "iets"} in Nederland.{extra}</dc:description>
<dc:date>2024-05-01</dc:date><dc:type>info:eu-repo/semantics/report</dc:type>{ident_el}
<dc:identifier>https://edepot.test/publicaties/{ident.rsplit(":", 1)[-1]}</dc:identifier><dc:language>nl</dc:language><dc:rights>CC BY 4.0</dc:rights>
</oai_dc:dc></metadata></record>"""


def list_records(
    records: list[str], token: str | None = None, *, cursor: int = 0, size: int | None = None
) -> bytes:
    tok = ""
    if token is not None:
        tok = f'<resumptionToken cursor="{cursor}" completeListSize="{size or 0}">{token}</resumptionToken>'
    return (OAI_HEAD + "<ListRecords>" + "".join(records) + tok + "</ListRecords></OAI-PMH>").encode("utf-8")


def oai_error(code: str) -> bytes:
    return (OAI_HEAD + f'<error code="{code}">{code}</error></OAI-PMH>').encode()


RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Nieuws van het programma Ruimte voor de Rivier</title>
<link>https://programma.test/</link><description>Nieuws</description><language>nl</language>
<item><title>Dijkversterking bij Gorinchem gestart</title><link>https://programma.test/nieuws/dijk-gorinchem</link>
<guid>https://programma.test/nieuws/dijk-gorinchem</guid><category>waterveiligheid</category>
<pubDate>Mon, 02 Nov 2026 09:00:00 +0100</pubDate><description>&lt;p&gt;De &lt;b&gt;dijk&lt;/b&gt; wordt versterkt.&lt;/p&gt;</description></item>
<item><title>Nieuwe kaart van de uiterwaarden</title><link>https://programma.test/nieuws/kaart</link>
<guid>https://programma.test/nieuws/kaart</guid><pubDate>Tue, 03 Nov 2026 09:00:00 +0100</pubDate>
<description>Een kaart.</description></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Publicaties Nationaal Programma Landelijk Gebied</title>
<id>urn:uuid:7a1f0000-0000-4000-8000-000000000001</id><updated>2026-11-20T12:00:00Z</updated>
<entry><title>Handreiking gebiedsprogramma stikstof</title><id>urn:uuid:7a1f0000-0000-4000-8000-000000000002</id>
<link href="https://npl.test/publicaties/handreiking"/><updated>2026-11-20T12:00:00Z</updated>
<category term="stikstof"/><summary>Hoe provincies hun gebiedsprogramma opstellen.</summary></entry>
</feed>"""

TURTLE = """@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
<https://data.test/catalogus> a dcat:Catalog ; dct:title "Open data provincie"@nl ;
  dcat:dataset <https://data.test/dataset/grondwater> , <https://data.test/dataset/bodemdaling> .
<https://data.test/dataset/grondwater> a dcat:Dataset ; dct:identifier "grondwater-2025" ;
  dct:title "Grondwaterstanden Groene Hart"@nl ; dct:title "Groundwater levels"@en ;
  dct:description "Meetreeksen van peilbuizen."@nl ; dcat:keyword "grondwater"@nl , "bodemdaling"@nl ;
  dct:issued "2025-01-15" ; dct:modified "2026-11-01" ;
  dct:license <http://creativecommons.org/publicdomain/zero/1.0/> ;
  dcat:landingPage <https://data.test/dataset/grondwater/info> .
<https://data.test/dataset/bodemdaling> a dcat:Dataset ; dct:identifier "bodemdaling-insar" ;
  dct:title "Bodemdaling uit satellietmetingen"@nl ; dct:modified "2026-10-01" .
"""

CKAN = {
    "success": True,
    "result": {
        "count": 3,
        "results": [
            {
                "id": f"c0ffee00-0000-4000-8000-00000000000{i}",
                "name": f"dataset-{i}",
                "title": title,
                "notes": "Gegevens van de waterschappen.",
                "tags": [{"name": "water", "display_name": "water"}],
                "metadata_created": "2025-03-01T10:00:00",
                "metadata_modified": "2026-11-0{i}T10:00:00",
                "license_title": "CC-0",
            }
            for i, title in enumerate(["Waterkwaliteit meetpunten", "Peilbesluiten", "Dijkringen"], start=1)
        ],
    },
}


class State:
    """What the fake repository currently holds (tests change it between runs)."""

    def __init__(self) -> None:
        self.oai_pages: list[list[str]] = []
        self.requests: list[str] = []
        self.retry_hits = 0
        self.from_seen: list[str | None] = []


def make_handler(state: State) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(
            self, status: int, body: bytes, ctype: str = "text/xml; charset=utf-8", **headers: str
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in headers.items():
                self.send_header(k.replace("_", "-"), v)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            import json

            parts = urlsplit(self.path)
            q = {k: v[0] for k, v in parse_qs(parts.query).items()}
            state.requests.append(self.path)
            path = parts.path
            if path == "/oai":
                if "resumptionToken" in q:
                    index = int(q["resumptionToken"].split("-")[1])
                else:
                    state.from_seen.append(q.get("from"))
                    index = 0
                pages = state.oai_pages
                if not pages or not pages[index]:
                    self._send(200, oai_error("noRecordsMatch"))
                    return
                token = f"page-{index + 1}" if index + 1 < len(pages) else None
                self._send(200, list_records(pages[index], token, cursor=index * 10, size=99))
            elif path == "/endless":
                n = int(q.get("resumptionToken", "page-0").split("-")[1])
                rec = dc_record(f"oai:endless.test:{n}", f"Eindeloos {n}")
                self._send(200, list_records([rec], f"page-{n + 1}"))
            elif path == "/expired":
                if "resumptionToken" in q and q["resumptionToken"] == "page-1":
                    self._send(200, oai_error("badResumptionToken"))
                elif "resumptionToken" in q:
                    self._send(200, list_records([dc_record("oai:exp.test:2", "Tweede")]))
                else:
                    self._send(200, list_records([dc_record("oai:exp.test:1", "Eerste")], "page-1"))
            elif path == "/malformed":
                self._send(200, (OAI_HEAD + "<ListRecords><record><header>").encode())
            elif path == "/latin1":
                body = list_records([dc_record("oai:latin.test:1", "Café in Friesland: één onderzoek")])
                self._send(200, body.decode("utf-8").encode("cp1252"))
            elif path == "/status":
                code = int(q.get("code", "500"))
                self._send(code, b"<html>error</html>", "text/html")
            elif path == "/retry":
                state.retry_hits += 1
                if state.retry_hits == 1:
                    self._send(503, b"busy", "text/plain", Retry_After="1")
                else:
                    self._send(200, list_records([dc_record("oai:retry.test:1", "Na het wachten")]))
            elif path == "/wait-long":
                self._send(429, b"slow down", "text/plain", Retry_After="3600")
            elif path == "/slow":
                time.sleep(3)
                self._send(200, b"late")
            elif path == "/loop":
                self.send_response(302)
                self.send_header("Location", "/loop2")
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif path == "/loop2":
                self.send_response(302)
                self.send_header("Location", "/loop")
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif path == "/to-metadata":
                self.send_response(302)
                self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif path == "/feed.rss":
                self._send(200, RSS.encode(), "application/rss+xml")
            elif path == "/feed.atom":
                self._send(200, ATOM.encode(), "application/atom+xml")
            elif path == "/catalogus.ttl":
                self._send(200, TURTLE.encode(), "text/turtle")
            elif path == "/catalogus.jsonld":
                import rdflib

                g = rdflib.Graph().parse(data=TURTLE, format="turtle")
                self._send(200, g.serialize(format="json-ld").encode(), "application/ld+json")
            elif path == "/ckan/api/3/action/package_search":
                start, rows = int(q.get("start", 0)), int(q.get("rows", 100))
                data = json.loads(json.dumps(CKAN))
                data["result"]["results"] = data["result"]["results"][start : start + min(rows, 2)]
                self._send(200, json.dumps(data).encode(), "application/json")
            else:
                self._send(404, b"not found", "text/plain")

    return Handler


class FakeSources:
    def __init__(self, port: int = 0) -> None:
        """On loopback at ``port`` (0: one the kernel picks, free whatever else runs on the machine)."""
        self.state = State()
        self.server = ThreadingHTTPServer(("127.0.0.1", port), make_handler(self.state))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakeSources:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
