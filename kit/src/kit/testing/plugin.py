"""pytest fixtures over the real PostgreSQL and RabbitMQ; every run has its own databases,
exchange and queue names, and removes them when it ends."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import aio_pika
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
def amqp_url(infra: Infra) -> str:
    return infra.amqp_url


@pytest.fixture(scope="session")
def run_id() -> str:
    return uuid.uuid4().hex[:10]


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
