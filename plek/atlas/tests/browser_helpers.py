"""Helpers for the Playwright browser tests: launching Debian's Chromium, axe-core checks,
keyboard walking and screenshots. The `browser` and `page` fixtures built on them live in plek/conftest.py."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings

CHROMIUM = os.environ.get("PLEK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_JS = Path(settings.BASE_DIR) / "plek" / "static" / "vendor" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SHOTS = Path(os.environ.get("PLEK_SHOTS_DIR", Path(tempfile.gettempdir()) / "plek-shots"))
BLOCKING_IMPACTS = {"serious", "critical"}


CSP_LISTENER = """document.addEventListener("securitypolicyviolation", (e) => {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline")
    + " at " + (e.sourceFile || "") + ":" + e.lineNumber);
});"""


def chromium_available() -> bool:
    return Path(CHROMIUM).exists() and AXE_JS.exists()


@contextmanager
def async_unsafe_allowed() -> Iterator[None]:
    """Playwright's sync API keeps an asyncio loop in the main thread; Django's ORM would then refuse
    to run there (SynchronousOnlyOperation). The tests only touch the ORM between browser steps."""
    old = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = old


@contextmanager
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with async_unsafe_allowed(), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def new_page(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL")
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # Content-Security-Policy violations (a blocked inline script, eval, a foreign host) count as
    # JavaScript errors, so every browser test that checks `page.js_errors` also proves the pages
    # work under the policy.
    page.add_init_script(CSP_LISTENER)
    page.on(
        "console",
        lambda msg: errors.append(msg.text) if msg.text.startswith("CSP violation") else None,
    )
    page.js_errors = errors  # type: ignore[attr-defined]
    return page


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """All axe violations for the WCAG 2.1 A/AA rule set on the current page."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, which the page's CSP does not govern (an injected
        # <script> tag would be refused as an inline script without the nonce).
        page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    result = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary,
                                          html: n.html.slice(0, 200)})),
            }));
        }""",
        AXE_TAGS,
    )
    return list(result)


def blocking(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in violations if v["impact"] in BLOCKING_IMPACTS]


def format_violations(violations: list[dict[str, Any]], limit_nodes: int = 5) -> str:
    lines = []
    for v in violations:
        lines.append(f"  [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:limit_nodes]:
            lines.append(f"      at {node['target']}: {node['html']}")
            summary = (node["summary"] or "").replace("\n", " ")
            if summary:
                lines.append(f"         {summary[:300]}")
        if len(v["nodes"]) > limit_nodes:
            lines.append(f"      ... and {len(v['nodes']) - limit_nodes} more")
    return "\n".join(lines)


def screenshot(page: Any, name: str, lang: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}-{lang}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def active(page: Any) -> dict[str, Any]:
    """A description of the focused element."""
    return dict(
        page.evaluate(
            """() => {
            const el = document.activeElement;
            if (!el) return {tag: null};
            return {tag: el.tagName.toLowerCase(), id: el.id || '', name: el.getAttribute('name') || '',
                    type: el.getAttribute('type') || '', href: el.getAttribute('href') || '',
                    text: (el.innerText || el.value || '').trim().slice(0, 80),
                    cls: el.className || '', inNav: !!el.closest('nav.plek-nav'),
                    inForm: !!el.closest('form.plek-form')};
        }"""
        )
    )


def tab_until(page: Any, predicate: Any, limit: int = 60, key: str = "Tab") -> dict[str, Any]:
    """Press Tab until the focused element satisfies predicate; fail after `limit` presses."""
    seen = []
    for _ in range(limit):
        page.keyboard.press(key)
        el = active(page)
        seen.append(f"{el['tag']}#{el['id']}[{el['text'][:20]}]")
        if predicate(el):
            return el
    raise AssertionError(f"focus never reached the wanted element after {limit} x {key}: {' > '.join(seen)}")


def login(page: Any, base_url: str, username: str, password: str) -> None:
    """Sign in through the login page form."""
    page.goto(f"{base_url}/accounts/inloggen/")
    page.fill("#id_login", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("form.plek-form button[type=submit]")
    assert "/accounts/inloggen/" not in page.url, f"login as {username} failed: {page.url}"
