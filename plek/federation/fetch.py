"""HTTP for harvesting, guarded: only http(s), no internal addresses unless allow-listed, redirects
followed by hand (each hop checked, at most MAX_REDIRECTS), timeouts, a size limit read while
streaming, and 429/503 answered by waiting as Retry-After says (bounded) and trying again.

Coordinators type the URLs of sources, so a URL must not reach the platform's own network:
loopback, private ranges, link-local (including the cloud metadata address 169.254.169.254),
carrier-grade NAT, multicast and reserved addresses are refused unless an administrator allowed the
host (`AllowedHost`, or the setting PLEK_HARVEST_ALLOWED_HOSTS). Every address the name resolves to
is checked, so a name with one public and one private address is refused too."""

from __future__ import annotations

import email.utils
import ipaddress
import socket
import time
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings

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


def check_url(url: str, *, allowed: set[str] | None = None) -> None:
    """Raise FetchError unless `url` may be fetched."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchError(f"only http and https addresses can be harvested, not {parts.scheme or 'this'!r}")
    host = (parts.hostname or "").lower()
    if not host:
        raise FetchError("the address has no host name")
    allowed = allowed_hosts() if allowed is None else allowed
    if host in allowed:
        return
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
    headers = {"User-Agent": USER_AGENT, "Accept": accept}
    attempt = 0
    while True:
        current, query, seen = url, params, [url]
        for _hop in range(MAX_REDIRECTS + 1):
            check_url(current, allowed=allowed)
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
