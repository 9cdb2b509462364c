"""HTTP benchmarks of the whole local stack (devtools.teststack: every service, the portal and
the real Traefik gateway as separate processes), the load from a separate process: wrk for the
saturating runs, ``bench.loadgen`` for the paced login. Every path is measured through the
gateway and directly on its process, one after the other in the same run.

The citizen is seeded through the real APIs (registration, OTP read from the mail catcher)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import re
import shutil
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import httpx
from codicefiscale import codicefiscale

from devtools.mailbox import Mailbox
from devtools.teststack import Stack, running_stack

PASSWORD = "Caserta2026sosta"
OTP_LINE = re.compile(r"^\s*(\d{6})\s*$", re.M)

# wrk's per-thread Lua: the summary as one JSON line (wrk --latency has no p95).
_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"errors":%d,"non2xx":%d,"p50":%.3f,"p95":%.3f,"p99":%.3f}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""

# GET, cycling through the paths given after "--", with the headers given as "Name: value".
_READ = (
    """
local paths, n = {}, 0
init = function(args)
  for _, a in ipairs(args) do
    if a:sub(1, 1) == "/" then table.insert(paths, a)
    else local k, v = a:match("^([^:]+): (.*)$"); wrk.headers[k] = v end
  end
end
request = function()
  n = n + 1
  return wrk.format("GET", paths[(n % #paths) + 1])
end
"""
    + _DONE
)

# A new plate association request each time: multipart with the libretto, a plate no other
# request of the run has (thread number and counter encoded in letters and digits).
_WRITE = (
    """
local letters = "ABCDEFGHJKLMNPRSTVWXYZ"
local counter, base, path, pdf = 0, 0, "", ""
local threads = 0
setup = function(thread) thread:set("tid", threads); threads = threads + 1 end
init = function(args)
  path = args[1]; base = tonumber(args[2]) + tid * 1000000
  wrk.headers["Authorization"] = args[3]
  local f = io.open(args[4], "rb"); pdf = f:read("*a"); f:close()
  wrk.headers["Content-Type"] = "multipart/form-data; boundary=benchboundary"
end
local function letter(i) return letters:sub(i + 1, i + 1) end
local function field(name, value)
  return "--benchboundary\\r\\nContent-Disposition: form-data; name=\\"" .. name .. "\\"\\r\\n\\r\\n"
    .. value .. "\\r\\n"
end
request = function()
  counter = counter + 1
  local n = base + counter
  local m = math.floor(n / 1000)
  local plate = letter(m % 22) .. letter(math.floor(m / 22) % 22) .. string.format("%03d", n % 1000)
    .. letter(math.floor(m / 484) % 22) .. letter(math.floor(m / 10648) % 22)
  local body = field("plate", plate) .. field("plate_confirmation", plate) .. field("foreign", "false")
    .. field("make", "Fiat") .. field("model", "Panda") .. field("fuel", "benzina")
    .. field("owned", "true")
    .. "--benchboundary\\r\\nContent-Disposition: form-data; name=\\"registration_document\\"; "
    .. "filename=\\"libretto.pdf\\"\\r\\nContent-Type: application/pdf\\r\\n\\r\\n" .. pdf
    .. "\\r\\n--benchboundary--\\r\\n"
  return wrk.format("POST", path, nil, body)
end
"""
    + _DONE
)


@dataclass
class HttpResult:
    name: str
    via: str  # "gateway" or "direct"
    rate: float  # requests/s
    p50_ms: float
    p95_ms: float
    p99_ms: float
    requests: int
    errors: int
    detail: str = ""  # what the errors were, when the load generator tells


@dataclass
class MemoryRow:
    name: str
    processes: int
    rss_mib: float


@dataclass
class HttpReport:
    results: list[HttpResult]
    memory: list[MemoryRow]
    startup_s: float
    note: str = ""


def _rss_by_group(pgids: dict[str, int]) -> list[MemoryRow]:
    """Resident memory of every process of each process group (each stack process starts its
    own group: uvicorn, Traefik under the gateway wrapper, ...)."""
    rows = {name: [0, 0] for name in pgids}
    by_pgid = {pgid: name for name, pgid in pgids.items()}
    page_kib = os.sysconf("SC_PAGE_SIZE") // 1024
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        name = by_pgid.get(int(fields[2]))  # pgrp
        if name is not None:
            rows[name][0] += 1
            rows[name][1] += int(fields[21]) * page_kib  # rss pages
    return [MemoryRow(name, n, kib / 1024) for name, (n, kib) in rows.items()]


async def _wrk(url: str, seconds: float, connections: int, script: Path, *args: str) -> dict:
    proc = await asyncio.create_subprocess_exec(
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{seconds:g}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        url,
        "--",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    lines = [ln for ln in out.decode().splitlines() if ln.startswith('{"requests"')]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed: {err.decode()[-500:]} {out.decode()[-500:]}")
    return json.loads(lines[-1])


async def _paced(url: str, rate: float, seconds: float, body: str, *headers: str) -> dict:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.loadgen",
        url,
        str(rate),
        str(seconds),
        body,
        *headers,
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await proc.communicate()
    return json.loads(out.decode().strip().splitlines()[-1])


def _new_person() -> dict[str, str]:
    first, last, sex = "Mario", random.choice(["Esposito", "Russo", "Romano", "Ricci"]), "M"
    born = date(1950, 1, 1) + timedelta(days=random.randrange(365 * 50))
    tax_code = codicefiscale.encode(
        lastname=last, firstname=first, gender=sex, birthdate=born.strftime("%d/%m/%Y"), birthplace="Caserta"
    )
    return {
        "first_name": first,
        "last_name": last,
        "tax_code": tax_code,
        "email": f"bench.{uuid.uuid4().hex[:10]}@example.it",
    }


async def seed_citizen(stack: Stack) -> str:
    """Register a citizen through the gateway as the portal would; returns the e-mail."""
    person = _new_person()
    async with httpx.AsyncClient(base_url=stack.url, timeout=30.0) as client:
        started = await client.post(
            "/api/identity/registrations",
            json={
                "email": person["email"],
                "tax_code": person["tax_code"],
                "password": PASSWORD,
                "password_confirmation": PASSWORD,
                "privacy_accepted": True,
            },
        )
        started.raise_for_status()
        reg = started.json()
        async with httpx.AsyncClient(timeout=5.0) as mail_client:
            message = await Mailbox(mail_client, stack.mail_url).wait_for_message(
                to=person["email"], subject_contains="codice di verifica", timeout_s=60
            )
        match = OTP_LINE.search(message["text"])
        if match is None:
            raise RuntimeError("no OTP in the registration e-mail")
        done = await client.post(
            f"/api/identity/registrations/{reg['registration_id']}/complete",
            headers={"X-Registration-Token": reg["resume_token"]},
            json={
                "otp": match.group(1),
                "first_name": person["first_name"],
                "last_name": person["last_name"],
                "address_street": "Via San Carlo",
                "address_number": "15",
                "postcode": "81100",
                "municipality": "Caserta",
                "phone": "3331234567",
            },
        )
        done.raise_for_status()
    return person["email"]


async def access_token(stack: Stack, email: str) -> str:
    async with httpx.AsyncClient(base_url=stack.url, timeout=30.0) as client:
        r = await client.post("/api/identity/auth/login", json={"email": email, "password": PASSWORD})
        r.raise_for_status()
        return r.json()["access_token"]


async def portal_cookie(stack: Stack, email: str) -> str:
    """The portal's session cookie after the login form, as a browser gets it."""
    async with httpx.AsyncClient(base_url=stack.url, timeout=30.0) as client:
        page = await client.get("/login")
        csrf = re.search(r'name="csrf_token"\s+value="([^"]+)"', page.text)
        if csrf is None:
            raise RuntimeError("no CSRF token on the login page")
        r = await client.post(
            "/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf.group(1)}
        )
        if r.status_code != 303:
            raise RuntimeError(f"portal login answered {r.status_code}")
        dashboard = await client.get("/dashboard")
        if dashboard.status_code != 200:
            raise RuntimeError(f"portal dashboard answered {dashboard.status_code}")
        return "; ".join(f"{k}={v}" for k, v in client.cookies.items())


def _libretto_pdf(path: Path) -> None:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (640, 400), "white")
    ImageDraw.Draw(image).text((30, 30), "CARTA DI CIRCOLAZIONE", fill="navy")
    image.save(path, "PDF")


@asynccontextmanager
async def bench_stack(pg_url: str, amqp_url: str, run_id: str, work_dir: Path) -> AsyncIterator[Stack]:
    async with running_stack(
        pg_admin_url=pg_url,
        amqp_url=amqp_url,
        exchange=f"bench.{run_id}.http",
        queue_prefix=f"bench.{run_id}.",
        database_prefix=f"bench_{run_id}_http",
        work_dir=work_dir,
        # The per-client login limit (10/s) would answer most of the 20 logins/s with 429:
        # raised here to measure the login itself.
        overrides={"gateway": {"GATEWAY_AUTH_RATE_AVERAGE": "1000", "GATEWAY_AUTH_RATE_BURST": "1000"}},
    ) as stack:
        yield stack


async def run_http(pg_url: str, amqp_url: str, run_id: str, seconds: float, log) -> HttpReport:  # noqa: ANN001
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed (apt-get install -y wrk)")
    with tempfile.TemporaryDirectory(prefix="bench-http-") as tmp:
        work = Path(tmp)
        read_lua, write_lua, pdf = work / "read.lua", work / "write.lua", work / "libretto.pdf"
        read_lua.write_text(_READ)
        write_lua.write_text(_WRITE)
        _libretto_pdf(pdf)
        log("http: starting the stack")
        # The databases' seed scripts print their progress: stdout is the report's.
        with contextlib.redirect_stdout(sys.stderr):
            async with bench_stack(pg_url, amqp_url, run_id, work) as stack:
                return await _measure_all(stack, seconds, read_lua, write_lua, pdf, log)


async def _measure_all(
    stack: Stack,
    seconds: float,
    read_lua: Path,
    write_lua: Path,
    pdf: Path,
    log,  # noqa: ANN001
) -> HttpReport:
    log(f"http: stack ready in {stack.startup_s:.1f} s; seeding a citizen")
    email = await seed_citizen(stack)
    cookie = await portal_cookie(stack, email)
    results: list[HttpResult] = []

    def add(name: str, via: str, r: dict) -> None:
        rate = r.get("rate") or r["requests"] / (r["duration_us"] / 1e6)
        errors = r["errors"] + r.get("non2xx", 0)
        detail = {k: v for k, v in r.items() if k in ("exceptions", "statuses") and v}
        results.append(
            HttpResult(
                name, via, rate, r["p50"], r["p95"], r["p99"], r["requests"], errors, json.dumps(detail)
            )
        )

    targets = {
        "read API (my requests + subscriptions)": ("subscriptions", 32),
        "read page (portal dashboard)": ("portal", 16),
    }
    for name, (process, conns) in targets.items():
        for via, base in (("gateway", stack.url), ("direct", stack.service_url(process))):
            log(f"http: {name} via {via}")
            if process == "portal":
                args = ["/dashboard", f"Cookie: {cookie}"]
            else:
                token = await access_token(stack, email)
                args = [
                    "/api/subscriptions/requests",
                    "/api/subscriptions/subscriptions",
                    f"Authorization: Bearer {token}",
                ]
            add(name, via, await _wrk(base, seconds, conns, read_lua, *args))
    for i, (via, base) in enumerate((("gateway", stack.url), ("direct", stack.service_url("vehicles")))):
        log(f"http: write (plate request) via {via}")
        token = await access_token(stack, email)
        r = await _wrk(
            base,
            seconds,
            16,
            write_lua,
            "/api/vehicles/requests",
            str(i * 50_000_000),
            f"Bearer {token}",
            str(pdf),
        )
        add("write (plate request + outbox row)", via, r)
    body = json.dumps({"email": email, "password": PASSWORD})
    for via, base in (("gateway", stack.url), ("direct", stack.service_url("identity"))):
        log(f"http: login at 20/s via {via}")
        r = await _paced(
            f"{base}/api/identity/auth/login", 20, seconds, body, "Content-Type: application/json"
        )
        add("login (argon2id) @20/s", via, r)
    pgids = {
        name: p.popen.pid
        for name, p in stack.processes.items()
        if p.popen is not None and p.exit_code is None
    }
    memory = _rss_by_group(pgids)
    return HttpReport(results, memory, stack.startup_s)
