"""DNS rebinding: the harvester connects to the address it checked, not to whatever the name resolves
to a moment later, and still speaks to the name (Host header)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from plek.federation.fetch import FetchError, PinnedAdapter, fetch

PUBLIC = "192.88.99.1"  # an address the guard accepts as public


class Recorder:
    def __init__(self, body: bytes) -> None:
        self.hosts: list[str] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                recorder.hosts.append(self.headers.get("Host", ""))
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def servers() -> Iterator[tuple[Recorder, Recorder]]:
    internal, public = Recorder(b"internal secrets"), Recorder(b"public answer")
    yield internal, public
    internal.close()
    public.close()


def test_a_name_that_rebinds_to_loopback_after_the_check_never_reaches_loopback(
    db: Any, servers: tuple[Recorder, Recorder], monkeypatch: Any, settings: Any
) -> None:
    internal, public = servers
    settings.PLEK_HARVEST_ALLOWED_HOSTS = []
    settings.PLEK_HARVEST_TIMEOUT = 5
    real = socket.getaddrinfo
    lookups: list[str] = []

    def rebinding(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "rebind.test":
            lookups.append(host)
            # the first answer is public (what the guard checks), every later one is loopback
            address = PUBLIC if len(lookups) == 1 else "127.0.0.1"
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port)))]
        if host == PUBLIC:
            # the network: the public address is served by a stand-in (bound on loopback here)
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", public.port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    response = fetch(f"http://rebind.test:{internal.port}/oai")
    assert response.content == b"public answer"
    assert internal.hosts == []  # never reached
    assert public.hosts == [f"rebind.test:{internal.port}"]  # spoken to by name
    assert lookups == ["rebind.test"]  # resolved once, for the check; the connection used that answer


def test_a_name_resolving_to_loopback_at_the_check_is_refused(
    db: Any, monkeypatch: Any, settings: Any
) -> None:
    settings.PLEK_HARVEST_ALLOWED_HOSTS = []
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, port, *a, **k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", int(port)))],
    )
    with pytest.raises(FetchError, match=r"internal address 127\.0\.0\.1"):
        fetch("http://rebind.test:9/")


def test_pinned_adapter_connects_to_the_pin_and_keeps_the_host_header(
    servers: tuple[Recorder, Recorder],
) -> None:
    _internal, public = servers
    session = requests.Session()
    session.trust_env = False
    session.mount("http://", PinnedAdapter({"kennis.test": "127.0.0.1"}))
    # kennis.test resolves nowhere: the answer can only come through the pinned address
    answer = session.get(f"http://kennis.test:{public.port}/x", timeout=5)
    assert answer.content == b"public answer"
    assert public.hosts == [f"kennis.test:{public.port}"]
