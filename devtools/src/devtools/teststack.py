"""The whole platform as real processes, isolated for one test run: the gateway (Traefik), the
portal, the six services and the mail catcher on free ports, every service on a fresh database
of its own, and broker names (exchange, queue prefix) nobody else uses. Everything is removed
afterwards: processes, databases, queues and exchanges.

Used by tests/e2e/conftest.py; usable by anything that needs the system running end to end.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aio_pika
import httpx
from sqlalchemy.engine import make_url

from devtools.processes import (
    ManagedProcess,
    ProcessDied,
    free_ports,
    stop_all,
    wait_for_http,
)
from devtools.services import SERVICES, Service
from devtools.stack import prepare_database, service_cli
from kit.consumer import Topology
from kit.db import drop_database
from kit.settings import ServiceSettings

STARTUP_TIMEOUT_S = 60.0


class StackStartError(RuntimeError):
    pass


@dataclass
class Stack:
    url: str  # the gateway: what a browser uses
    mail_url: str  # the mail catcher's own HTTP address (JSON API under /api/messages)
    smtp_host: str  # the mail catcher's SMTP address (its DEVMAIL_SMTP_*, the services' SMTP_*)
    smtp_port: int
    ports: dict[str, int]  # gateway, portal, devmail, smtp and one per service
    env: dict[str, str]  # settings shared by every process (without the inherited environment)
    process_env: dict[str, dict[str, str]]  # what each process was given on top of `env`
    database_urls: dict[str, str]
    work_dir: Path
    processes: dict[str, ManagedProcess] = field(default_factory=dict)
    startup_s: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def access_log(self) -> Path:
        return Path(self.env["GATEWAY_ACCESS_LOG"])

    def service_url(self, name: str) -> str:
        """A process's own address, bypassing the gateway."""
        return f"http://127.0.0.1:{self.ports[name]}"

    def logs(self, lines: int = 60) -> dict[str, str]:
        return {name: process.tail(lines) for name, process in self.processes.items()}

    def failed_processes(self) -> dict[str, int]:
        return {
            name: code for name, process in self.processes.items() if (code := process.exit_code) is not None
        }


def _settings_for(service: Service, env: Mapping[str, str]) -> ServiceSettings:
    """The settings the service process builds from ``env``."""
    factory = service_cli(service).settings_factory
    fields = getattr(factory, "model_fields", {})
    return factory(**{k.lower(): v for k, v in env.items() if k.lower() in fields})


def _topology(settings: ServiceSettings) -> Topology:
    return Topology(
        queue=settings.queue_name,
        exchange=settings.events_exchange,
        max_attempts=settings.consumer_max_attempts,
        retry_base_ms=settings.consumer_retry_base_ms,
    )


async def _delete_broker_objects(amqp_url: str, topologies: list[Topology]) -> None:
    names = [
        name
        for t in topologies
        for name in (t.queue, t.dead_letter_queue, *map(t.retry_queue, t.retry_delays_ms()))
    ]
    exchanges = sorted({e for t in topologies for e in (t.exchange, t.dead_letter_exchange)})
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        for name in names:
            try:
                await channel.queue_delete(name)
            except aio_pika.exceptions.AMQPError:
                channel = await connection.channel()  # an error closes the channel
        for name in exchanges:
            try:
                await channel.exchange_delete(name)
            except aio_pika.exceptions.AMQPError:
                channel = await connection.channel()


@asynccontextmanager
async def running_stack(
    *,
    pg_admin_url: str,
    amqp_url: str,
    exchange: str,
    queue_prefix: str,
    database_prefix: str,
    work_dir: Path,
    base_env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Mapping[str, str]] | None = None,
    timeout_s: float = STARTUP_TIMEOUT_S,
) -> AsyncIterator[Stack]:
    """Start everything, wait until every service is ready through the gateway, yield.

    ``work_dir`` (an existing directory) receives the logs and the gateway's configuration.

    ``overrides`` maps a process name ("gateway", "portal", "devmail", a service name, or
    "all") to extra environment variables, e.g. ``{"identity": {"X_TTL_S": "5"}}``.
    """
    started = time.monotonic()
    overrides = overrides or {}
    names = ["gateway", "portal", "devmail", "smtp", *(s.name for s in SERVICES)]
    ports = dict(zip(names, free_ports(len(names)), strict=True))
    gateway_url = f"http://127.0.0.1:{ports['gateway']}"
    host = "127.0.0.1"

    env: dict[str, str] = {k.upper(): str(v) for k, v in (base_env or {}).items()}
    env |= {
        "ENVIRONMENT": "test",
        "LOG_JSON": "true",
        "HOST": host,
        "PYTHONUNBUFFERED": "1",
        "AMQP_URL": amqp_url,
        "EVENTS_EXCHANGE": exchange,
        "QUEUE_PREFIX": queue_prefix,
        "PUBLIC_BASE_URL": gateway_url,
        "API_BASE_URL": gateway_url,
        "JWKS_URL": f"http://{host}:{ports['identity']}/api/identity/.well-known/jwks.json",
        # The services send to the catcher; the catcher listens on its own DEVMAIL_SMTP_* address.
        "SMTP_HOST": host,
        "SMTP_PORT": str(ports["smtp"]),
        "DEVMAIL_SMTP_HOST": host,
        "DEVMAIL_SMTP_PORT": str(ports["smtp"]),
        "DEVMAIL_HOST": host,
        "DEVMAIL_PORT": str(ports["devmail"]),
        "GATEWAY_HOST": host,
        "GATEWAY_PORT": str(ports["gateway"]),
        "GATEWAY_PORTAL_URL": f"http://{host}:{ports['portal']}",
        "GATEWAY_DEVMAIL_URL": f"http://{host}:{ports['devmail']}",
        "GATEWAY_OUTPUT_DIR": str(work_dir / "gateway"),
        "GATEWAY_ACCESS_LOG": str(work_dir / "gateway-access.log"),
    }
    env |= {f"GATEWAY_{s.env_name}_URL": f"http://{host}:{ports[s.name]}" for s in SERVICES}
    env |= overrides.get("all", {})

    database_urls = {
        s.name: make_url(pg_admin_url)
        .set(drivername="postgresql+asyncpg", database=f"{database_prefix}_{s.name}")
        .render_as_string(hide_password=False)
        for s in SERVICES
    }
    process_env: dict[str, dict[str, str]] = {
        "gateway": {},
        "portal": {"PORT": str(ports["portal"])},
        "devmail": {},
    }
    for s in SERVICES:
        process_env[s.name] = {"PORT": str(ports[s.name]), "DATABASE_URL": database_urls[s.name]}
    for name in process_env:
        process_env[name] |= overrides.get(name, {})

    stack = Stack(
        url=gateway_url,
        mail_url=f"http://{host}:{ports['devmail']}",
        smtp_host=host,
        smtp_port=ports["smtp"],
        ports=ports,
        env=env,
        process_env=process_env,
        database_urls=database_urls,
        work_dir=work_dir,
    )
    commands = {
        "gateway": ["-m", "devtools.gateway", "run"],
        "portal": ["-m", "portal", "serve"],
        "devmail": ["-m", "devtools.devmail"],
    } | {s.name: ["-m", s.package, "serve"] for s in SERVICES}

    # A developer's own gateway settings must not change the gateway under test.
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}

    def start(name: str) -> ManagedProcess:
        process = ManagedProcess(
            name=name,
            args=[sys.executable, *commands[name]],
            env={**inherited, **env, **process_env[name]},
            log_path=work_dir / "logs" / f"{name}.log",
            # Not the repository: a developer's .env must not leak into the test processes.
            cwd=work_dir,
        )
        stack.processes[name] = process
        return process.start()

    service_settings = {s.name: _settings_for(s, {**env, **process_env[s.name]}) for s in SERVICES}
    created_databases: list[str] = []
    try:
        # These need no database: they start while the databases are prepared.
        for name in ("gateway", "devmail", "portal"):
            start(name)
        for s in SERVICES:
            created_databases.append(database_urls[s.name])
            await prepare_database(s, service_settings[s.name])
            start(s.name)  # boots while the next database is prepared
        stack.timings["databases"] = time.monotonic() - started

        watch = list(stack.processes.values())
        checks = [f"{gateway_url}/ping", f"{stack.mail_url}/health/live"]
        checks += [f"{gateway_url}/health/live", f"{gateway_url}/dev/mail/health/live"]
        checks += [f"{gateway_url}{s.prefix}/health/ready" for s in SERVICES]
        try:
            async with httpx.AsyncClient(timeout=5.0) as client:
                await asyncio.gather(
                    *(wait_for_http(client, url, watch=watch, timeout_s=timeout_s) for url in checks)
                )
        except (TimeoutError, ProcessDied) as exc:
            logs = "\n".join(f"----- {name} -----\n{text}" for name, text in stack.logs().items())
            raise StackStartError(f"{exc}\n\nLogs of every process:\n{logs}") from None
        stack.startup_s = time.monotonic() - started
        yield stack
    finally:
        await asyncio.to_thread(stop_all, stack.processes.values())
        try:
            await _delete_broker_objects(
                amqp_url, [_topology(settings) for settings in service_settings.values()]
            )
        except Exception as exc:  # leftovers are named after the run: report, do not mask
            print(f"teststack: could not delete the broker objects: {exc!r}", file=sys.stderr)
        for url in created_databases:
            try:
                await drop_database(url)
            except Exception as exc:
                print(f"teststack: could not drop {url}: {exc!r}", file=sys.stderr)
