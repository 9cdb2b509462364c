"""axe-core (WCAG 2.1 A and AA) on every page of the portal, in chromium, at a desktop width and
at 390 pixels (a phone): the public pages, the citizen's with real data (a certification, a
plate, a subscription paid, hence its invoice form and renewal), the operator's console and
queues, the admin's catalogues and ratings. Pages are found by following the links each area
shows, so a page added later is checked without listing it here.

axe-core comes from web/node_modules (npm, pinned in web/package-lock.json) and is injected as
a script: these browser contexts bypass the CSP, which forbids scripts the portal does not
serve itself (the CSP is checked by the other browser tests)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Browser, Page, expect

from devtools.mailbox import Mailbox
from devtools.teststack import Stack
from tests.e2e.journeys import (
    PASSWORD,
    RESIDENT_PRICE,
    RESIDENT_TYPE,
    approve_plate,
    approve_subscription,
    certify_residence,
    fill_details,
    fill_first_step,
    log_in,
    new_person,
    new_plate,
    open_checkout,
    otp_in,
    pay_on_checkout,
    registration_email,
    request_plate,
    request_subscription,
)

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "web" / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WIDTHS = {"desktop": {"width": 1280, "height": 900}, "telefono": {"width": 390, "height": 844}}
# Links that are files, not pages (PDF, XML, CSV, images, the filled-in form), or that leave.
NOT_PAGES = re.compile(
    r"/(pdf|xml|ricevuta|ticket|modulo|anteprima|esporta[^/]*)(\?|$)|/documenti/|^/(static|api|dev)/"
)
MAX_PAGES_PER_AREA = 40
# The pages link Bootstrap Italia cut to what they use (portal/assets.py, purge_stylesheet);
# each page checked here is also drawn with the full stylesheet, and must compute the same.
FULL_CSS = "/static/vendor/css/bootstrap-italia.min.css"
STYLE_PROPERTIES = [
    "display", "position", "float", "visibility", "opacity", "z-index", "overflow-x", "overflow-y",
    "width", "height", "margin-top", "margin-right", "margin-bottom", "margin-left",
    "padding-top", "padding-right", "padding-bottom", "padding-left",
    "border-top-width", "border-right-width", "border-bottom-width", "border-left-width",
    "border-top-color", "border-bottom-color", "border-top-style", "border-radius",
    "color", "background-color", "background-image", "box-shadow", "outline-style",
    "font-family", "font-size", "font-weight", "font-style", "line-height", "text-align",
    "text-decoration-line", "text-transform", "white-space", "list-style-type", "content",
    "flex-direction", "flex-wrap", "justify-content", "align-items", "gap", "order",
    "grid-template-columns", "transform", "cursor",
]  # fmt: skip
_COMPUTED = """(properties) => {
    const describe = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
        Array.from(el.classList).map((c) => "." + c).join("");
    const styles = {};
    document.querySelectorAll("body, body *").forEach((el, i) => {
        for (const pseudo of [null, "::before", "::after"]) {
            const cs = getComputedStyle(el, pseudo);
            styles[`${i} ${describe(el)}${pseudo || ""}`] =
                properties.map((p) => `${p}: ${cs.getPropertyValue(p)}`);
        }
    });
    return styles;
}"""
# What screen readers hear of a page after its load: text added inside its live regions.
LIVE_REGION_ADDITIONS = """
window.liveRegionAdditions = [];
document.addEventListener("DOMContentLoaded", () => {
    new MutationObserver((records) => {
        for (const record of records) {
            for (const node of record.addedNodes) {
                const element = node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement;
                if (element && element.closest('[role="status"], [role="alert"], [aria-live]')) {
                    window.liveRegionAdditions.push(node.textContent.trim());
                }
            }
        }
    }).observe(document.body, {childList: true, subtree: true});
});
"""
# Both drawings without transitions: a width just changed would otherwise be read mid-way.
_STILL = """() => {
    const style = document.createElement("style");
    style.id = "no-transitions";
    style.textContent = "*, *::before, *::after { transition: none !important; animation: none !important; }";
    document.head.append(style);
}"""
_SWAP_TO_FULL = """async (full) => {
    const purged = document.querySelector('link[rel="stylesheet"][href*="bootstrap-italia.portal"]');
    const link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = full;
    link.id = "full-stylesheet";
    await new Promise((resolve, reject) => {
        link.onload = resolve;
        link.onerror = reject;
        purged.after(link);
    });
    purged.disabled = true;
}"""
_SWAP_BACK = """() => {
    document.getElementById("no-transitions").remove();
    document.getElementById("full-stylesheet").remove();
    document.querySelector('link[rel="stylesheet"][href*="bootstrap-italia.portal"]').disabled = false;
}"""


@pytest.fixture
def browser_context_options(browser_base_url: str) -> dict[str, Any]:
    """As the shared ones, with the CSP bypassed so that axe-core can be injected."""
    return {
        "locale": "it-IT",
        "timezone_id": "Europe/Rome",
        "viewport": WIDTHS["desktop"],
        "base_url": browser_base_url,
        "bypass_csp": True,
    }


class Audit:
    """The violations found, by page and width, and the pages already checked."""

    def __init__(self) -> None:
        self.violations: list[str] = []
        self.differences: list[str] = []
        self.checked: list[str] = []

    async def check(self, page: Page, label: str | None = None) -> None:
        label = label or urlsplit(page.url).path + (
            f"?{urlsplit(page.url).query}" if urlsplit(page.url).query else ""
        )
        if not await page.evaluate("typeof window.axe !== 'undefined'"):
            await page.add_script_tag(path=str(AXE))
        for width, viewport in WIDTHS.items():
            await page.set_viewport_size(viewport)
            # The whole page inside the viewport: axe-core checks colour contrast (and a few
            # other rules) only on what is on screen (dequelabs/axe-core#5183), and a badge
            # in the footer failed only when a run happened to have it in view.
            height = await page.evaluate("document.documentElement.scrollHeight")
            await page.set_viewport_size(
                {"width": viewport["width"], "height": max(viewport["height"], height)}
            )
            found = await page.evaluate(
                """async (tags) => {
                    const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
                    return result.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ` +
                        v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | "));
                }""",
                TAGS,
            )
            self.violations += [f"{label} [{width}] {violation}" for violation in found]
            self.differences += [f"{label} [{width}] {d}" for d in await _style_differences(page)]
        await page.set_viewport_size(WIDTHS["desktop"])
        self.checked.append(label)

    async def crawl(self, page: Page, start: list[str]) -> None:
        """Every page reachable from ``start`` through the links in <main>, each once."""
        queue, seen = list(start), set()
        while queue and len(seen) < MAX_PAGES_PER_AREA:
            path = queue.pop(0)
            if path in seen:
                continue
            seen.add(path)
            # Files (a PDF, a CSV) are not pages: ask first what the link gives.
            head = await page.request.get(path)
            if "text/html" not in head.headers.get("content-type", ""):
                continue
            await page.goto(path)
            # A page that sends this user elsewhere (the login, once signed in): checked there.
            landed = urlsplit(page.url).path
            if landed != urlsplit(path).path and landed in seen:
                continue
            seen.add(landed)
            await self.check(page, path)
            for href in await page.locator("main a[href]").evaluate_all(
                "as => as.map(a => a.getAttribute('href'))"
            ):
                target = href.split("#")[0]
                if target.startswith("/") and not target.startswith("//") and not NOT_PAGES.search(target):
                    if target not in seen:
                        queue.append(target)

    def report(self) -> str:
        return f"{len(self.violations)} violations on {len(self.checked)} pages:\n" + "\n".join(
            self.violations
        )


async def _style_differences(page: Page) -> list[str]:
    """What the page computes differently with the full stylesheet: a rule the purge dropped
    although the page uses it (its first elements, each with the properties that differ)."""
    await page.evaluate(_STILL)
    purged = await page.evaluate(_COMPUTED, STYLE_PROPERTIES)
    await page.evaluate(_SWAP_TO_FULL, FULL_CSS)
    try:
        full = await page.evaluate(_COMPUTED, STYLE_PROPERTIES)
    finally:
        await page.evaluate(_SWAP_BACK)
    differences = []
    for element, values in full.items():
        changed = [
            f"{v} (cut: {p.split(': ', 1)[1]})"
            for v, p in zip(values, purged.get(element, []), strict=False)
            if v != p
        ]
        if changed:
            differences.append(f"{element}: {'; '.join(changed[:4])}")
    return differences[:5]


def create_admin(stack: Stack, email: str) -> None:
    """What `make create-operator` does, with the admin role."""
    env = {**os.environ, **stack.env, **stack.process_env["identity"]}
    command = [sys.executable, "-m", "identity", "create-user", "--role", "admin", "--email", email]
    command += ["--password", PASSWORD, "--first-name", "Amministratore", "--last-name", "Prova"]
    result = subprocess.run(command, env=env, cwd=stack.work_dir, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


async def test_every_page_passes_axe_at_desktop_and_phone_widths(
    page: Page,
    operator: Page,
    mailbox: Mailbox,
    browser: Browser,
    browser_context_options: dict[str, Any],
    stack: Stack,
) -> None:
    assert AXE.is_file(), "axe-core missing: run `npm ci` in web/ (or `python -m portal assets`)"
    audit = Audit()

    # Public pages, and a form showing its errors.
    await audit.crawl(
        page,
        [
            "/",
            "/login",
            "/registrazione",
            "/password/dimenticata",
            "/password/reimposta?t=non-valido",
            "/privacy",
            "/note-legali",
            "/media-policy",
            "/accessibilita",
            "/dichiarazione-accessibilita",
            "/valuta-servizio?stelle=4&pagina=/",
            "/pagina-che-non-esiste",
        ],
    )
    # "Valuta questo servizio", from a page's stars to the admins' list (checked below).
    comment = f"Chiaro e veloce {uuid.uuid4().hex[:6]}"
    await page.context.add_init_script(script=LIVE_REGION_ADDITIONS)
    await page.goto("/privacy")
    # A person clicks the fourth star (the radio button's label).
    stars = page.get_by_role("complementary")
    await stars.locator("label[for='stelle-4']").click()
    await expect(stars.get_by_label("4 stelle su 5")).to_be_checked()
    await page.get_by_role("button", name="Valuta", exact=True).click()
    await page.get_by_label("Commento (facoltativo)").fill(comment)
    await page.get_by_role("button", name="Invia la valutazione").click()
    await expect(page).to_have_url(re.compile(r"/privacy$"))
    await expect(page.get_by_text("Grazie per la tua valutazione")).to_be_visible()
    # Announced: the live region receives the message's text after the page loaded.
    await page.wait_for_function(
        "() => (window.liveRegionAdditions || []).some((t) => t.includes('Grazie per la tua valutazione'))"
    )
    await audit.check(page, "/privacy (valutazione inviata)")

    await page.goto("/login")
    await page.get_by_role("button", name="Accedi").click()
    await expect(page.locator("[data-error-summary]")).to_be_visible()
    await audit.check(page, "/login (errori)")

    # The registration, checked at both steps.
    person = new_person()
    await page.goto("/registrazione")
    await fill_first_step(page, person)
    await page.get_by_role("button", name="Registrati").click()
    await expect(page.get_by_role("heading", name="Completa la registrazione")).to_be_visible()
    await audit.check(page, "/registrazione/{id}")
    await fill_details(page, person, otp_in(await registration_email(mailbox, person)))
    await page.get_by_role("button", name="Completa la registrazione").click()
    await expect(page.get_by_text("Registrazione completata")).to_be_visible()
    if "/dashboard" not in page.url:  # signed in by the registration, or asked to log in
        await log_in(page, person.email)
    await expect(page).to_have_url(re.compile(r"/dashboard"))

    # Real data: a certification, a plate, a subscription requested, approved and paid.
    await certify_residence(page, operator, mailbox, person)
    plate = new_plate()
    await request_plate(page, plate, "Fiat", "Panda", "Benzina")
    await approve_plate(operator, plate, electric=False)
    # A second plate left pending: the operator's queue then links its review page.
    await request_plate(page, new_plate(), "Lancia", "Ypsilon", "Diesel")
    request_row = await request_subscription(page, plate, "Fiat Panda", RESIDENT_TYPE)
    await approve_subscription(operator, plate, RESIDENT_PRICE)
    await page.goto("/dashboard")
    await open_checkout(page, request_row, RESIDENT_PRICE)
    await pay_on_checkout(page, RESIDENT_PRICE)
    await audit.check(page, "/abbonamenti/{id}/esito")

    # Every page of the citizen's area, from the dashboard (plate removal, invoice, renewal).
    await audit.crawl(
        page,
        [
            "/dashboard",
            "/certificazioni/nuova",
            "/targhe/nuova",
            "/abbonamenti/nuova",
            "/abbonamenti/auto-elettriche",
            "/profilo",
        ],
    )

    # The operator's console, queues, a request's review, payments, invoices, plate check.
    await audit.crawl(
        operator,
        [
            "/operatore",
            "/operatore/certificazioni",
            "/operatore/targhe",
            "/operatore/abbonamenti",
            "/operatore/verifica",
        ],
    )

    # The admin's catalogues and the service ratings.
    admin_email = f"admin.{uuid.uuid4().hex[:8]}@comune.caserta.it"
    await asyncio.to_thread(create_admin, stack, admin_email)
    context = await browser.new_context(**browser_context_options)
    try:
        admin = await context.new_page()
        await log_in(admin, admin_email)
        await expect(admin).to_have_url(re.compile(r"/operatore$"))
        await audit.crawl(admin, ["/operatore/settori", "/operatore/tipologie", "/operatore/valutazioni"])
        await admin.goto("/operatore/valutazioni")
        await expect(admin.get_by_role("row").filter(has_text=comment)).to_contain_text("4 su 5")
    finally:
        await context.close()

    print(f"\naxe-core: {len(audit.checked)} pages, each at {', '.join(WIDTHS)}")
    print(json.dumps(audit.checked, ensure_ascii=False))
    for area in ("/dashboard", "/operatore", "/operatore/valutazioni", "/dichiarazione-accessibilita"):
        assert area in audit.checked
    assert audit.violations == [], audit.report()
    # The stylesheet the pages link, cut to what they use, draws each of them as the full one.
    assert audit.differences == [], "\n".join(audit.differences)
