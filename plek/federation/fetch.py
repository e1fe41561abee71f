"""HTTP for harvesting, guarded: only http(s), no internal addresses unless allow-listed, redirects
followed by hand (each hop checked, at most MAX_REDIRECTS), timeouts, a size limit read while
streaming, and 429/503 answered by waiting as Retry-After says (bounded) and trying again.

Coordinators type the URLs of sources, so a URL must not reach the platform's own network:
loopback, private ranges, link-local (including the cloud metadata address 169.254.169.254),
carrier-grade NAT, multicast and reserved addresses are refused unless an administrator allowed the
host (`AllowedHost`, or the setting PLEK_HARVEST_ALLOWED_HOSTS). Every address the name resolves to
is checked, so a name with one public and one private address is refused too.

The connection then goes to the address that was checked, not to the name: a name that resolves to
a public address for the check and to an internal one a moment later (DNS rebinding) cannot slip
through between the two. The request still carries the name in its Host header and, over https, in
SNI and the certificate check (`PinnedAdapter`)."""

from __future__ import annotations

import email.utils
import ipaddress
import socket
import time
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3 import PoolManager
from urllib3.connection import HTTPConnection
from urllib3.connectionpool import HTTPConnectionPool

MAX_REDIRECTS = 5
USER_AGENT = "PLeK-harvester/1.0 (+https://github.com/plek)"


class FetchError(Exception):
    """A source could not be read; the message says why, in words a coordinator understands."""


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def allowed_hosts() -> set[str]:
    from plek.federation.models import AllowedHost

    hosts = {h.lower() for h in _setting("PLEK_HARVEST_ALLOWED_HOSTS", [])}
    hosts |= {h.lower() for h in AllowedHost.objects.values_list("host", flat=True)}
    return hosts


def _internal(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or ip in ipaddress.ip_network("100.64.0.0/10")
    )


def check_url(url: str, *, allowed: set[str] | None = None) -> str | None:
    """Raise FetchError unless `url` may be fetched; the checked address to connect to (None for an
    allow-listed host, which may resolve wherever it likes)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchError(f"only http and https addresses can be harvested, not {parts.scheme or 'this'!r}")
    host = (parts.hostname or "").lower()
    if not host:
        raise FetchError("the address has no host name")
    allowed = allowed_hosts() if allowed is None else allowed
    if host in allowed:
        return None
    try:
        infos = socket.getaddrinfo(host, parts.port or (443 if parts.scheme == "https" else 80))
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"the host {host} cannot be found ({exc})") from None
    for info in infos:
        address = str(info[4][0])
        if _internal(address):
            raise FetchError(
                f"{host} resolves to the internal address {address}; harvesting from internal addresses is "
                "refused unless an administrator allows the host"
            )
    if not infos:
        raise FetchError(f"the host {host} has no address")
    return str(infos[0][4][0])


def _pinned_connection(cls: type[HTTPConnection], address: str) -> type[HTTPConnection]:
    class Pinned(cls):  # type: ignore[valid-type,misc]
        def _new_conn(self) -> socket.socket:
            # Connect to the checked address; the name stays the connection's host (Host header, SNI,
            # certificate), which urllib3 reads from the same attribute, so it is put back at once.
            name = self._dns_host  # type: ignore[has-type]
            self._dns_host = address
            try:
                return super()._new_conn()  # type: ignore[no-any-return]
            finally:
                self._dns_host = name

    return Pinned


class _PinnedPoolManager(PoolManager):
    def __init__(self, *args: Any, pins: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pins = pins

    def _new_pool(
        self, scheme: str, host: str, port: int, request_context: dict[str, Any] | None = None
    ) -> HTTPConnectionPool:
        pool = super()._new_pool(scheme, host, port, request_context)
        address = self.pins.get(host.lower().strip("[]"))
        if address is not None:
            pool.ConnectionCls = _pinned_connection(pool.ConnectionCls, address)  # type: ignore[arg-type]
        return pool


class PinnedAdapter(HTTPAdapter):
    """A requests transport that connects to the address pinned for each host name (`pins`, filled in
    as each hop is checked) while speaking to the name."""

    def __init__(self, pins: dict[str, str]) -> None:
        self.pins = pins
        super().__init__(max_retries=0)

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        self._pool_connections, self._pool_maxsize, self._pool_block = connections, maxsize, block
        self.poolmanager = _PinnedPoolManager(
            num_pools=connections, maxsize=maxsize, block=block, pins=self.pins, **pool_kwargs
        )


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def fetch(url: str, *, params: dict[str, str] | None = None, accept: str = "*/*") -> requests.Response:
    """GET `url` (with `params`) safely; the returned response has its body read (`.content`)."""
    timeout = float(_setting("PLEK_HARVEST_TIMEOUT", 20))
    max_bytes = int(_setting("PLEK_HARVEST_MAX_BYTES", 50 * 1024 * 1024))
    max_wait = float(_setting("PLEK_HARVEST_MAX_RETRY_WAIT", 60))
    retries = int(_setting("PLEK_HARVEST_RETRIES", 3))
    allowed = allowed_hosts()
    session = requests.Session()
    session.trust_env = False  # no proxies from the environment: the guard checks the real target
    pins: dict[str, str] = {}
    adapter = PinnedAdapter(pins)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    headers = {"User-Agent": USER_AGENT, "Accept": accept}
    attempt = 0
    while True:
        current, query, seen = url, params, [url]
        for _hop in range(MAX_REDIRECTS + 1):
            address = check_url(current, allowed=allowed)
            host = (urlsplit(current).hostname or "").lower()
            if address is None:
                pins.pop(host, None)
            elif host not in pins:
                pins[host] = address  # the first checked address of a host serves the whole fetch
            try:
                response = session.get(
                    current,
                    params=query,
                    headers=headers,
                    timeout=timeout,
                    allow_redirects=False,
                    stream=True,
                )
            except requests.Timeout:
                raise FetchError(
                    f"no answer from {urlsplit(current).hostname} within {timeout:g} seconds"
                ) from None
            except requests.ConnectionError as exc:
                raise FetchError(f"cannot connect to {urlsplit(current).hostname} ({_short(exc)})") from None
            except requests.RequestException as exc:
                raise FetchError(f"the request failed ({_short(exc)})") from None
            if response.is_redirect:
                target = urljoin(response.url, response.headers.get("Location", ""))
                response.close()
                if target in seen:
                    raise FetchError(f"redirect loop: {' → '.join([*seen, target])}")
                seen.append(target)
                current, query = target, None
                continue
            break
        else:
            raise FetchError(f"more than {MAX_REDIRECTS} redirects, starting at {url}")
        if response.status_code in (429, 503) and attempt < retries:
            wait = _retry_after(response)
            response.close()
            if wait is None:
                wait = 2.0**attempt
            if wait > max_wait:
                raise FetchError(
                    f"HTTP {response.status_code}: the source asks to wait {wait:.0f} seconds "
                    f"(more than {max_wait:.0f}); the next run tries again"
                )
            time.sleep(wait)
            attempt += 1
            continue
        if response.status_code >= 400:
            response.close()
            raise FetchError(f"HTTP {response.status_code} {response.reason or ''} from {current}".strip())
        body = bytearray()
        try:
            for chunk in response.iter_content(64 * 1024):
                body += chunk
                if len(body) > max_bytes:
                    raise FetchError(f"the answer is larger than {max_bytes // (1024 * 1024)} MB; refused")
        except requests.Timeout:
            raise FetchError(
                f"the answer from {urlsplit(current).hostname} stalled for {timeout:g} seconds"
            ) from None
        except requests.RequestException as exc:
            raise FetchError(f"reading the answer failed ({_short(exc)})") from None
        finally:
            response.close()
        response._content = bytes(body)
        return response


def _short(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) < 200 else text[:200] + "…"
