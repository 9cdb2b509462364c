"""pytest fixtures over the real PostgreSQL and RabbitMQ; every run has its own databases,
exchange and queue names, and removes them when it ends.

Whatever a test leaves on the broker under the run's prefix (``test.<run>.``) is deleted when
the session ends and named in the summary: a queue left behind is a fixture that tears down
in the wrong order (deleting a queue under a live robust consumer makes aio-pika declare it
again)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import shutil
import socket
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


# The fast lane ---------------------------------------------------------------------------------
# A test is marked ``io`` when it uses a fixture that reaches PostgreSQL, RabbitMQ, a server on
# the network, a process that listens, or a browser (pytest's fixture closure: any fixture that
# requests one of these is I/O too); ``make test-fast`` runs ``-m "not io" --io-guard``.
IO_FIXTURES = frozenset(
    {
        "infra",  # PostgreSQL and RabbitMQ: pg_admin_url, amqp_url, make_database, service_env...
        "browser",  # chromium (kit.testing.browser): context, page
        # Fixtures of the project's conftests that start servers or processes of their own:
        "stack",  # tests/e2e: the whole platform behind Traefik
        "make_stack",
        "start_gateway",  # tests/gateway: Traefik and the echo backends
        "backends",  # tests/gateway, tests/deploy: echo servers on local ports
        "kit_backend",
        "compose_gateway",  # tests/deploy: Traefik with the Compose and Kubernetes configuration
        "k8s_gateway",
        "catcher",  # devtools' mail catcher (SMTP and HTTP on local ports)
        "taken_port",  # tests/devtools: a local port held open
        "cluster",  # tests/deploy: a PostgreSQL cluster of its own
        "vendor_assets",  # npm ci when web/node_modules is stale
    }
)
IO_GUARD_MESSAGE = (
    "{nodeid} opened a network connection ({address!r}) without being marked io: make it use a "
    "fixture in kit.testing.plugin.IO_FIXTURES (or add its own I/O fixture there)"
)


def is_io(item: pytest.Item) -> bool:
    """Whether ``item`` touches a database, the broker, the network or a browser."""
    return bool(IO_FIXTURES.intersection(getattr(item, "fixturenames", ()))) or (
        item.get_closest_marker("io") is not None or item.get_closest_marker("browser") is not None
    )


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--io-guard",
        action="store_true",
        help="fail a test that is not marked io and still opens a network socket (the fast lane)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if is_io(item):
            item.add_marker(pytest.mark.io)


class UnmarkedIOError(AssertionError):
    """A test outside the io marker reached the network."""


@contextlib.contextmanager
def network_refused(nodeid: str) -> Iterator[None]:
    """Within it, connecting or binding an internet socket raises (Unix sockets, which the
    event loop uses for itself, stay allowed)."""
    originals = {name: getattr(socket.socket, name) for name in ("connect", "connect_ex", "bind")}

    def refusing(name: str) -> Any:
        original = originals[name]

        def guarded(self: socket.socket, address: Any, *args: Any) -> Any:
            if self.family in (socket.AF_INET, socket.AF_INET6):
                raise UnmarkedIOError(IO_GUARD_MESSAGE.format(nodeid=nodeid, address=address))
            return original(self, address, *args)

        return guarded

    for name in originals:
        setattr(socket.socket, name, refusing(name))
    try:
        yield
    finally:
        for name, original in originals.items():
            setattr(socket.socket, name, original)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    if not item.config.getoption("--io-guard", default=False) or is_io(item):
        return (yield)
    with network_refused(item.nodeid):
        return (yield)


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
        # Dozens of apps and a whole stack share one PostgreSQL (max_connections 100 on a
        # fresh machine) while both test lanes run: each keeps at most this many idle.
        "db_pool_size": "3",
    }
