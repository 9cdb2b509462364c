"""Lighthouse on the portal's first pages: home, login, registration and the dashboard of a
signed-in citizen, through the real gateway of a whole stack started for the run (as the
end-to-end tests start it), in Debian's chromium, headless, with Lighthouse's mobile settings
(a mid-range phone on a slow 4G network, simulated). Prints each page's accessibility and
performance scores (targets: 100 and at least 90) and its main timings.

    uv run --no-sync python -m bench.lighthouse [--runs 3] [--base-url URL --email E --password P]

With ``--base-url`` it measures a stack already running (``--email``/``--password``: a
citizen of that stack, for the dashboard). Needs web/node_modules (``npm ci`` in web/) and
CHROME_PATH (default /usr/bin/chromium). A run's score varies with the machine's load: each
page is measured ``--runs`` times and the median is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import httpx
from codicefiscale import codicefiscale

from devtools.mailbox import Mailbox
from devtools.teststack import running_stack
from kit.testing.infra import provide_infra
from kit.testing.plugin import sweep_broker

WEB = Path(__file__).resolve().parents[1] / "web"
LIGHTHOUSE = WEB / "node_modules" / ".bin" / "lighthouse"
PAGES = {"home": "/", "login": "/login", "registrazione": "/registrazione", "dashboard": "/dashboard"}
# The flags the machine's chromium needs headless here (no sandbox as root, no network but ours).
CHROME_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-quic --no-first-run "
    "--disable-background-networking --disable-component-update --disable-sync"
)
PASSWORD = "Caserta2026sosta"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_OTP = re.compile(r"\b(\d{6})\b")


def lighthouse(url: str, cookie: str | None) -> dict:
    """One Lighthouse run (mobile, simulated throttling: Lighthouse's defaults) as JSON."""
    command = [
        str(LIGHTHOUSE),
        url,
        "--output=json",
        "--output-path=stdout",
        "--only-categories=performance,accessibility",
        "--quiet",
        f"--chrome-flags={CHROME_FLAGS}",
    ]
    if cookie:
        command.append(f"--extra-headers={json.dumps({'Cookie': cookie})}")
    env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"lighthouse failed on {url}:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout)


def figures(report: dict) -> dict[str, float]:
    audits, categories = report["audits"], report["categories"]
    return {
        "accessibility": round(categories["accessibility"]["score"] * 100),
        "performance": round(categories["performance"]["score"] * 100),
        "fcp_s": audits["first-contentful-paint"]["numericValue"] / 1000,
        "lcp_s": audits["largest-contentful-paint"]["numericValue"] / 1000,
        "tbt_ms": audits["total-blocking-time"]["numericValue"],
        "cls": audits["cumulative-layout-shift"]["numericValue"],
    }


def layout_shift_sources(report: dict) -> list[str]:
    """The elements that moved, as Lighthouse names them (its "layout-shifts" audit)."""
    items = (report["audits"].get("layout-shifts", {}).get("details") or {}).get("items", [])
    moved = [item for item in items if item.get("node")]
    return [f"{item['node'].get('selector', '?')} ({item.get('score', 0):.3f})" for item in moved]


def failed_accessibility_audits(report: dict) -> list[str]:
    refs = report["categories"]["accessibility"]["auditRefs"]
    return [r["id"] for r in refs if r["weight"] and (report["audits"][r["id"]]["score"] or 0) < 1]


async def register_citizen(base_url: str, mail_url: str) -> str:
    """A citizen registered through the gateway's API, the OTP read from the mail catcher."""
    suffix = uuid.uuid4().hex[:8]
    first, last, birth = "Anna", "Esposito", date(1985, 4, 12)
    tax_code = codicefiscale.encode(
        lastname=last, firstname=first, gender="F", birthdate=birth.isoformat(), birthplace="Caserta"
    )
    email = f"bench.{suffix}@example.it"
    async with httpx.AsyncClient(base_url=base_url, timeout=15) as api, httpx.AsyncClient(timeout=5) as mail:
        started = await api.post(
            "/api/identity/registrations",
            json={
                "email": email,
                "tax_code": tax_code,
                "password": PASSWORD,
                "password_confirmation": PASSWORD,
                "privacy_accepted": True,
            },
        )
        started.raise_for_status()
        registration = started.json()
        message = await Mailbox(mail, mail_url).wait_for_message(
            to=email, subject_contains="codice", timeout_s=20
        )
        otp = _OTP.search(message["text"])
        assert otp, "no OTP in the registration e-mail"
        details = {
            "otp": otp.group(1),
            "first_name": first,
            "last_name": last,
            "sex": "F",
            "birth_date": birth.isoformat(),
            "birth_place": "Caserta",
            "address_street": "Corso Trieste",
            "address_number": "12",
            "postcode": "81100",
            "municipality": "Caserta",
            "phone": "3331234567",
        }
        completed = await api.post(
            f"/api/identity/registrations/{registration['registration_id']}/complete",
            json=details,
            headers={"X-Registration-Token": registration["resume_token"]},
        )
        completed.raise_for_status()
    return email


async def session_cookie(base_url: str, email: str, password: str) -> str:
    """The portal's session cookie of a login through its own form, as a browser gets it."""
    async with httpx.AsyncClient(base_url=base_url, timeout=15) as browser:
        token = _CSRF.search((await browser.get("/login")).text)
        assert token, "no CSRF field on /login"
        response = await browser.post(
            "/login", data={"email": email, "password": password, "csrf_token": token.group(1)}
        )
        assert response.status_code == 303 and response.headers["location"].endswith("/dashboard"), (
            f"login refused: {response.status_code}"
        )
        return "; ".join(f"{name}={value}" for name, value in browser.cookies.items())


@contextlib.asynccontextmanager
async def temporary_stack() -> AsyncIterator[tuple[str, str]]:
    """A whole stack of its own (databases and broker names of this run, removed at the end)."""
    run_id = uuid.uuid4().hex[:10]
    prefix = f"test.{run_id}."
    with provide_infra() as infra, tempfile.TemporaryDirectory() as work_dir:
        try:
            async with running_stack(
                pg_admin_url=infra.pg_admin_url,
                amqp_url=infra.amqp_url,
                exchange=f"{prefix}events",
                queue_prefix=prefix,
                database_prefix=f"test_{run_id}_lh",
                work_dir=Path(work_dir),
                base_env={
                    "environment": "test",
                    "amqp_url": infra.amqp_url,
                    "events_exchange": f"{prefix}events",
                    "queue_prefix": prefix,
                },
            ) as stack:
                print(f"stack ready in {stack.startup_s:.1f} s at {stack.url}", file=sys.stderr)
                yield stack.url, stack.mail_url
        finally:
            await sweep_broker(infra.amqp_url, prefix)


def measure(base_url: str, cookie: str, runs: int, pages: list[str]) -> dict[str, dict[str, float]]:
    results = {}
    for name, path in PAGES.items():
        if name not in pages:
            continue
        reports = [lighthouse(base_url + path, cookie if name == "dashboard" else None) for _ in range(runs)]
        final = (
            reports[-1]["finalDisplayedUrl"]
            if "finalDisplayedUrl" in reports[-1]
            else reports[-1]["finalUrl"]
        )
        if not final.rstrip("/").endswith(path.rstrip("/")):
            raise RuntimeError(f"{path} ended on {final}: not the page asked for")
        runs_figures = [figures(report) for report in reports]
        median = {key: statistics.median(f[key] for f in runs_figures) for key in runs_figures[0]}
        median["failed_a11y_audits"] = sorted(
            {a for report in reports for a in failed_accessibility_audits(report)}
        )
        median["shifted"] = sorted({source for report in reports for source in layout_shift_sources(report)})
        results[name] = median
    return results


def print_table(results: dict[str, dict]) -> None:
    print(
        f"{'pagina':<14}{'accessib.':>10}{'perf. mobile':>14}{'FCP s':>8}{'LCP s':>8}{'TBT ms':>9}{'CLS':>7}"
    )
    for name, f in results.items():
        print(
            f"{name:<14}{f['accessibility']:>10.0f}{f['performance']:>14.0f}{f['fcp_s']:>8.2f}"
            f"{f['lcp_s']:>8.2f}{f['tbt_ms']:>9.0f}{f['cls']:>7.3f}"
        )
        if f["cls"] > 0.1:
            print(f"{'':<14}moved: {', '.join(f['shifted'][:5])}")
        if f["failed_a11y_audits"]:
            print(f"{'':<14}accessibility audits not passed: {', '.join(f['failed_a11y_audits'])}")
    print("targets: accessibility 100, mobile performance >= 90")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per page (the median is printed)")
    parser.add_argument("--base-url", help="a running stack's gateway (default: start one)")
    parser.add_argument("--email", help="with --base-url: a citizen of that stack")
    parser.add_argument("--password", default=PASSWORD)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    parser.add_argument("--pages", nargs="+", choices=list(PAGES), default=list(PAGES), help="only these")
    args = parser.parse_args()
    if not LIGHTHOUSE.is_file():
        sys.exit("lighthouse missing: run `npm ci` in web/")

    async with contextlib.AsyncExitStack() as stack:
        if args.base_url:
            if not args.email:
                sys.exit("--base-url needs --email (and --password) of a citizen, for the dashboard")
            base_url, email = args.base_url.rstrip("/"), args.email
        else:
            base_url, mail_url = await stack.enter_async_context(temporary_stack())
            email = await register_citizen(base_url, mail_url)
        cookie = await session_cookie(base_url, email, args.password)
        results = await asyncio.to_thread(measure, base_url, cookie, args.runs, args.pages)
    print_table(results)
    if args.json:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
