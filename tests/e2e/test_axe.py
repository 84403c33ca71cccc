"""axe-core in real Chromium over every page of every demo role and of a visitor signed
in as no one: no serious or critical violation, and no duplicate id.

The pages come from the URL map (tests/pages.py), so a page added later is audited too.
Each pass visits every page as every role: in Chinese at desktop width, then in English
at phone width with the menu opened. That covers both languages, both layouts and the
phone menu at half the cost of all four pairings: the markup changes with the language
and the layout with the width, each on its own. Within a pass, a page whose main region is the same markup as
one already audited (the catalog as a buyer and as finance) is not audited again,
except for each role's first page, which checks that role's top bar.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from urllib.parse import unquote

import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy import update

from app.accounts.models import User
from app.extensions import db, limiter
from tests.conftest import LiveServer, _truncate_all
from tests.pages import DEMO_ACCOUNTS, DEMO_PASSWORD, every_page, seed_demo

AXE_JS = Path(__file__).parent / "vendor" / "axe.min.js"
PASSES = {"zh_CN-desktop": ("zh_CN", {"width": 1366, "height": 900}),
          "en-phone": ("en", {"width": 390, "height": 844})}
ACCOUNTS = [None, *DEMO_ACCOUNTS]

# axe rates its duplicate-id rules minor and has switched two of them off, but here a
# duplicate id breaks a label, an aria reference or an htmx target, so all three count.
DUPLICATE_IDS = ("duplicate-id", "duplicate-id-active", "duplicate-id-aria")
FAILING_IMPACTS = ("serious", "critical")

# Audit what the page shows once loaded: htmx polls (the outbox, an import's progress)
# would otherwise swap regions while axe reads them.
FREEZE_HTMX = """() => document.addEventListener("htmx:beforeRequest", e => e.preventDefault())"""
RUN_AXE = """rules => axe.run(document, {
  rules: Object.fromEntries(rules.map(id => [id, {enabled: true}])),
  resultTypes: ["violations"],
})"""
MAIN = re.compile(r"<main\b.*</main>", re.S)
# Hidden inputs show nothing, and their values (a CSRF token, ?next=) change per request.
HIDDEN_INPUT = re.compile(r'<input[^>]*type="hidden"[^>]*>')


@pytest.fixture(scope="module")
def demo_site(_live_server: LiveServer) -> Iterator[tuple[LiveServer, list[str]]]:
    """The live server over the demo data, with the URL of every page to audit."""
    if not AXE_JS.exists():
        pytest.fail(f"{AXE_JS} is missing: `make test` fetches the pinned axe-core from npm", pytrace=False)
    app = _live_server.app
    with app.app_context():
        seed_demo(app)
        urls = every_page(app)
    yield _live_server, urls
    _truncate_all(app)
    with app.app_context():
        limiter.reset()


@pytest.mark.parametrize("name", PASSES)
def test_every_page_of_every_role_passes_axe(browser: Browser, demo_site, name):
    server, urls = demo_site
    language, viewport = PASSES[name]
    with server.app.app_context():
        db.session.execute(update(User).values(language=language))
        db.session.commit()
    audited: set[str] = set()
    problems: list[str] = []
    for email in ACCOUNTS:
        context = browser.new_context(bypass_csp=True, viewport=viewport, locale="zh-CN",
                                      timezone_id="Asia/Shanghai")
        context.add_cookies([{"name": "kj_lang", "value": language, "url": server.url}])
        context.add_init_script(script=_axe_source())  # in every page the tab opens
        page = context.new_page()
        try:
            if email:
                _sign_in(page, server.url, email)
            auditor = _Auditor(page, server.url, audited, email or "visitor", phone=viewport["width"] < 720)
            for url in urls:
                problems += auditor.audit(url)
        finally:
            context.close()
    assert not problems, f"axe ({name}) found:\n" + "\n".join(problems)


# Hover is a state axe never sees on its own: each of these is hovered, then audited.
HOVERED = {r"/catalog/products/\d+": [".button.primary", ".range-switch .active", ".range-switch .button:not(.active)"],
           r"/ops/catalog/suppliers": [".button.primary", ".ops-tabs a[aria-current]", ".ops-tabs a:not([aria-current])"]}


def test_hovered_buttons_and_tabs_keep_their_contrast(browser: Browser, demo_site):
    server, urls = demo_site
    context = browser.new_context(bypass_csp=True, viewport={"width": 1366, "height": 900}, locale="zh-CN")
    context.add_init_script(script=_axe_source())
    page = context.new_page()
    problems = []
    try:
        _sign_in(page, server.url, "ops@demo.test")
        for pattern, selectors in HOVERED.items():
            url = next(u for u in urls if re.fullmatch(pattern, u))
            page.goto(server.url + url)
            for selector in selectors:
                target = page.locator(selector).first
                target.hover()
                result = target.evaluate("el => axe.run(el, {runOnly: ['color-contrast']})")
                assert result["passes"] or result["violations"], f"axe did not check {selector} on {url}"
                problems += [f"{url}: {selector} hovered: {n['failureSummary']}"
                             for v in result["violations"] for n in v["nodes"]]
    finally:
        context.close()
    assert not problems, "\n".join(problems)


@cache
def _axe_source() -> str:
    return AXE_JS.read_text(encoding="utf-8")


def _sign_in(page: Page, base: str, email: str) -> None:
    page.goto(base + "/login")
    form = page.locator("form[action$='/login']")
    form.locator("input[name=email]").fill(email)
    form.locator("input[name=password]").fill(DEMO_PASSWORD)
    form.locator("button[type=submit]").click()
    page.wait_for_url(lambda url: "/login" not in url)


class _Auditor:
    """One role's browser tab: audits each page it lands on unless its main region was
    audited already in this pass (its top bar is audited on its first page)."""

    def __init__(self, page: Page, base: str, audited: set[str], who: str, *, phone: bool) -> None:
        self.page, self.base, self.audited, self.who, self.phone = page, base, audited, who, phone
        self.top_bar_audited = False

    def audit(self, url: str) -> list[str]:
        probe = self.page.request.get(self.base + url)  # same cookies as the tab
        if probe.status >= 500:
            return [f"{self.who}: {url}: answers {probe.status}"]
        if not probe.headers.get("content-type", "").startswith("text/html"):
            return []  # JSON, CSV: not a page
        html = probe.text()
        main = MAIN.search(html)
        key = hashlib.sha256(HIDDEN_INPUT.sub("", main.group() if main else html).encode()).hexdigest()
        if key in self.audited and self.top_bar_audited:
            return []
        self.audited.add(key)
        self.top_bar_audited = True
        return self._run_axe(url)

    def _run_axe(self, url: str) -> list[str]:
        page = self.page
        page.goto(self.base + url)
        page.evaluate(FREEZE_HTMX)
        page.wait_for_function("() => !document.querySelector('.htmx-request')")
        if self.phone and page.locator(".nav-burger").is_visible():
            page.locator(".nav-burger").click()  # audit the open menu too
        result = page.evaluate(RUN_AXE, list(DUPLICATE_IDS))
        landed = unquote(page.url.removeprefix(self.base))
        where = f"{self.who}: {url}" + (f" (→ {landed})" if landed != url else "")
        return [f"{where}: {v['id']} ({v['impact']}) {v['help']}: "
                + "; ".join(" ".join(n["target"]) for n in v["nodes"][:5])
                + (f" and {len(v['nodes']) - 5} more" if len(v["nodes"]) > 5 else "")
                for v in result["violations"]
                if v["impact"] in FAILING_IMPACTS or v["id"] in DUPLICATE_IDS]
