"""`plek bench harvest`: harvest N records (default 10,000) from a local OAI-PMH endpoint end to end —
fetch, parse, map, de-duplicate, save through the knowledge service, index — and report records/s
and memory. The endpoint is a small server on loopback generating oai_dc pages of 100 records with
resumption tokens. Everything is rolled back afterwards and indexed into a temporary search index,
so the database and index in use are left as they were."""

from __future__ import annotations

import os
import resource
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

PAGE = 100
SUBJECTS = ["waterbeheer", "stikstof", "woningbouw", "energietransitie", "bodemdaling", "bereikbaarheid"]
HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
    "<responseDate>2026-12-01T10:00:00Z</responseDate><request>http://bench/oai</request><ListRecords>"
)


def record(i: int) -> str:
    subject = SUBJECTS[i % len(SUBJECTS)]
    return (
        f"<record><header><identifier>oai:bench.test:{i}</identifier><datestamp>2026-11-30</datestamp></header>"
        '<metadata><oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<dc:title>Onderzoek {i} naar {subject} in de regio</dc:title><dc:creator>Auteur {i % 97}</dc:creator>"
        f"<dc:subject>{subject}</dc:subject><dc:description>Samenvatting van onderzoek {i} over {subject}."
        "</dc:description><dc:date>2024-05-01</dc:date><dc:type>report</dc:type>"
        f"<dc:identifier>https://doi.org/10.5555/bench.{i}</dc:identifier><dc:language>nl</dc:language>"
        "</oai_dc:dc></metadata></record>"
    )


def page_body(start: int, total: int) -> bytes:
    end = min(start + PAGE, total)
    token = (
        f'<resumptionToken completeListSize="{total}" cursor="{start}">{end}</resumptionToken>'
        if end < total
        else ""
    )
    return (
        HEAD + "".join(record(i) for i in range(start, end)) + token + "</ListRecords></OAI-PMH>"
    ).encode()


def serve(port: int, total: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            q = parse_qs(urlsplit(self.path).query)
            start = int(q.get("resumptionToken", ["0"])[0])
            body = page_body(start, total)
            self.send_response(200)
            self.send_header("Content-Type", "text/xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def rss_mb() -> float:
    """Current resident memory of this process in MB (Linux /proc; ru_maxrss elsewhere)."""
    try:
        with open("/proc/self/statm") as handle:
            pages = int(handle.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)
    except (OSError, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def summarise(records: int, seconds: float, samples: list[tuple[int, float]]) -> dict[str, Any]:
    """The figures: records/s, peak memory, and memory growth over the second half of the run
    (flat memory: the growth stays small however many records are harvested)."""
    peak = max((mb for _n, mb in samples), default=0.0)
    half = [mb for n, mb in samples if n >= records / 2]
    first_half_end = next((mb for n, mb in samples if n >= records / 2), peak)
    growth = (max(half) - first_half_end) if half else 0.0
    return {
        "suite": "harvest",
        "records": records,
        "seconds": round(seconds, 2),
        "records_per_s": round(records / seconds, 1) if seconds > 0 else 0.0,
        "peak_rss_mb": round(peak, 1),
        "rss_growth_second_half_mb": round(growth, 1),
        "goal_records_per_s": 300,
        "meets_goal": seconds > 0 and records / seconds >= 300,
    }


def bench_harvest(*, records: int = 10_000, port: int = 8139) -> dict[str, Any]:
    from django.db import transaction
    from django.test.utils import override_settings

    from plek.federation.harvest import execute
    from plek.federation.models import HarvestRun, HarvestSource
    from plek.knowledge.indexing import outbox_apply
    from plek.knowledge.models import KnowledgeItem
    from plek.knowledge.search import reset_backends

    server = serve(port, records)
    samples: list[tuple[int, float]] = []
    try:
        with (
            tempfile.TemporaryDirectory() as tmp,
            override_settings(
                PLEK_SEARCH_DIR=tmp, PLEK_HARVEST_ALLOWED_HOSTS=["127.0.0.1"], PLEK_HARVEST_TIMEOUT=60
            ),
        ):
            reset_backends()
            with transaction.atomic():
                source = HarvestSource.objects.create(
                    name="Bench",
                    kind="oai",
                    base_url=f"http://127.0.0.1:{port}/oai",
                    page_cap=records // PAGE + 10,
                )
                run = HarvestRun.objects.create(source=source, trigger="bench")

                def progress(r: HarvestRun) -> None:
                    outbox_apply()  # index what this page saved
                    samples.append((r.fetched, rss_mb()))

                samples.append((0, rss_mb()))
                started = time.perf_counter()
                done = execute(run, progress=progress)
                seconds = time.perf_counter() - started
                created = KnowledgeItem.objects.filter(provenances__source_key=source.source_key).count()
                transaction.set_rollback(True)
            reset_backends()
    finally:
        server.shutdown()
        server.server_close()
    result = summarise(done.fetched, seconds, samples)
    result.update(created=created, refused=done.refused, status=done.status, pages=done.pages)
    return result


def table(result: dict[str, Any]) -> str:
    return (
        f"harvest: {result['records']} records in {result['seconds']} s = {result['records_per_s']} records/s "
        f"(goal ≥ {result['goal_records_per_s']}); peak RSS {result['peak_rss_mb']} MB, growth over the second "
        f"half {result['rss_growth_second_half_mb']} MB; created {result['created']}, refused {result['refused']}"
    )
