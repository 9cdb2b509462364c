"""pytest fixtures over the real PostgreSQL and RabbitMQ; every run has its own databases,
exchange and queue names, and removes them when it ends.

Whatever a test leaves on the broker under the run's prefix (``test.<run>.``) is deleted when
the session ends and named in the summary: a queue left behind is a fixture that tears down
in the wrong order (deleting a queue under a live robust consumer makes aio-pika declare it
again)."""

from __future__ import annotations

import asyncio
import functools
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import aio_pika
import aio_pika.channel
import httpx
import pytest
from sqlalchemy.engine import make_url

# With --import-mode=importlib, collecting contracts/tests or kit/tests would otherwise bind
# "contracts" and "kit" to the project folders; importing the real packages first prevents it.
import contracts  # noqa: F401
from kit.db import drop_database, ensure_database
from kit.migrations import upgrade
from kit.testing.infra import Infra, provide_infra


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    with provide_infra() as found:
        yield found


@pytest.fixture(scope="session")
def pg_admin_url(infra: Infra) -> str:
    return infra.pg_admin_url


@pytest.fixture(scope="session")
def run_id() -> str:
    return uuid.uuid4().hex[:10]


@pytest.fixture(scope="session")
async def amqp_url(infra: Infra, run_id: str, request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """The broker; torn down after everything that uses it, then swept of this run's names."""
    yield infra.amqp_url
    try:
        swept = await sweep_broker(infra.amqp_url, run_prefix(run_id))
    except Exception as exc:  # a broker gone by now: say so, without failing the run
        swept = Swept(run_prefix(run_id), f"nothing (the sweep failed: {exc!r})")
    request.config.stash[_SWEPT] = swept


def run_prefix(run_id: str) -> str:
    """Every queue and exchange a run declares starts with this."""
    return f"test.{run_id}."


# Broker sweep ---------------------------------------------------------------------------------


@dataclass
class Swept:
    prefix: str
    source: str  # how the names were found
    queues: list[str] = field(default_factory=list)
    exchanges: list[str] = field(default_factory=list)


_SWEPT: pytest.StashKey[Swept] = pytest.StashKey()
# Names declared by this process: the last resort when the broker cannot be asked for a list.
_declared_queues: set[str] = set()
_declared_exchanges: set[str] = set()


def _record_declarations() -> None:
    """Remember every queue and exchange name this process declares (idempotent)."""
    channel_cls: Any = aio_pika.channel.Channel
    if getattr(channel_cls, "_parking_recorded", False):
        return

    def recording(method: Any, names: set[str]) -> Any:
        @functools.wraps(method)
        async def declare(self: Any, name: str | None = None, *args: Any, **kwargs: Any) -> Any:
            if name:
                names.add(name)
            return await method(self, name, *args, **kwargs)

        return declare

    channel_cls.declare_queue = recording(channel_cls.declare_queue, _declared_queues)
    channel_cls.declare_exchange = recording(channel_cls.declare_exchange, _declared_exchanges)
    channel_cls._parking_recorded = True


def _listed_by_management_api(amqp_url: str) -> tuple[list[str], list[str]] | None:
    parts = urlsplit(amqp_url)
    vhost = quote(parts.path[1:] or "/", safe="")
    base = f"http://{parts.hostname or '127.0.0.1'}:15672/api"
    auth = (parts.username or "guest", parts.password or "guest")
    try:
        with httpx.Client(auth=auth, timeout=5.0) as client:
            queues = client.get(f"{base}/queues/{vhost}", params={"columns": "name"})
            exchanges = client.get(f"{base}/exchanges/{vhost}", params={"columns": "name"})
        queues.raise_for_status()
        exchanges.raise_for_status()
    except httpx.HTTPError:
        return None
    return [q["name"] for q in queues.json()], [e["name"] for e in exchanges.json()]


def _listed_by_rabbitmqctl(amqp_url: str) -> tuple[list[str], list[str]] | None:
    parts = urlsplit(amqp_url)
    binary = shutil.which("rabbitmqctl") or shutil.which(
        "rabbitmqctl", path="/usr/sbin:/usr/lib/rabbitmq/bin"
    )
    if binary is None or parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        return None
    vhost = parts.path[1:] or "/"
    listed = []
    for kind in ("list_queues", "list_exchanges"):
        try:
            done = subprocess.run(
                [binary, "-q", kind, "--vhost", vhost, "--no-table-headers", "name"],
                capture_output=True,
                text=True,
                timeout=30,
                check=True,
            )
        except (OSError, subprocess.SubprocessError):  # not ours to run (no Erlang cookie)
            return None
        listed.append(done.stdout.split())
    return listed[0], listed[1]


async def _exists(connection: aio_pika.abc.AbstractConnection, kind: str, name: str) -> bool:
    channel = await connection.channel()
    try:
        if kind == "queue":
            await channel.declare_queue(name, passive=True)
        else:
            await channel.declare_exchange(name, passive=True)
    except aio_pika.exceptions.ChannelClosed:  # 404: an error closes the channel
        return False
    await channel.close()
    return True


async def sweep_broker(amqp_url: str, prefix: str) -> Swept:
    """Delete every queue and exchange whose name starts with ``prefix``; say which existed.

    The names come from the management API, else ``rabbitmqctl`` (a local broker, run as its
    owner or root), else from what this process declared."""
    listed = await asyncio.to_thread(_listed_by_management_api, amqp_url)
    source = "management API"
    if listed is None:
        listed = await asyncio.to_thread(_listed_by_rabbitmqctl, amqp_url)
        source = "rabbitmqctl"
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        if listed is None:
            source = "names declared by this process"
            candidates = {
                "queue": sorted(n for n in _declared_queues if n.startswith(prefix)),
                "exchange": sorted(n for n in _declared_exchanges if n.startswith(prefix)),
            }
            present = {
                kind: [n for n in names if await _exists(connection, kind, n)]
                for kind, names in candidates.items()
            }
        else:
            present = {
                "queue": sorted(n for n in listed[0] if n.startswith(prefix)),
                "exchange": sorted(n for n in listed[1] if n.startswith(prefix)),
            }
        channel = await connection.channel()
        for name in present["queue"]:
            await channel.queue_delete(name)
        for name in present["exchange"]:
            await channel.exchange_delete(name)
    return Swept(prefix, source, present["queue"], present["exchange"])


def pytest_configure(config: pytest.Config) -> None:
    _record_declarations()


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    swept = config.stash.get(_SWEPT, None)
    if swept is None or not (swept.queues or swept.exchanges or swept.source.startswith("nothing")):
        return
    terminalreporter.section("broker objects left by this run (now deleted)", yellow=True)
    terminalreporter.line(f"prefix {swept.prefix}, found by {swept.source}:")
    for name in swept.queues:
        terminalreporter.line(f"  queue    {name}")
    for name in swept.exchanges:
        terminalreporter.line(f"  exchange {name}")


MakeDatabase = Callable[..., Awaitable[str]]


@pytest.fixture(scope="session")
async def make_database(pg_admin_url: str, run_id: str) -> AsyncIterator[MakeDatabase]:
    """``await make_database("identity", migrate="identity")``: a fresh database for this run,
    migrated with a service's Alembic history when ``migrate`` names the service package."""
    created: list[str] = []

    async def make(name: str, *, migrate: str | None = None) -> str:
        url = (
            make_url(pg_admin_url)
            .set(drivername="postgresql+asyncpg", database=f"test_{run_id}_{name}_{len(created)}")
            .render_as_string(hide_password=False)
        )
        await ensure_database(url)
        created.append(url)
        if migrate:
            await asyncio.to_thread(upgrade, migrate, url)
        return url

    yield make
    for url in created:
        await drop_database(url)


@pytest.fixture(scope="session")
async def exchange_name(amqp_url: str, run_id: str) -> AsyncIterator[str]:
    """The events exchange of this run; deleted (with its dead-letter exchange) at the end."""
    name = f"test.{run_id}.events"
    yield name
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        for exchange in (name, f"{name}.dlx"):
            await channel.exchange_delete(exchange)


@pytest.fixture(scope="session")
def service_env(amqp_url: str, exchange_name: str, run_id: str) -> dict[str, str]:
    """Settings every service under test shares: this run's broker names and fast retries."""
    return {
        "environment": "test",
        "amqp_url": amqp_url,
        "events_exchange": exchange_name,
        "queue_prefix": f"test.{run_id}.",
        "consumer_retry_base_ms": "50",
        "consumer_max_attempts": "3",
        "relay_poll_interval_s": "0.5",
        "relay_retry_base_s": "0.1",
        "log_json": "true",
    }
