"""Database access shared by every service: engine, sessions, and the outbox and inbox tables
that every service database carries next to its own tables."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import asyncpg
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

if TYPE_CHECKING:
    from kit.settings import ServiceSettings

kit_metadata = MetaData()

outbox_table = Table(
    "outbox",
    kit_metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("event_id", Uuid, nullable=False, unique=True),
    Column("routing_key", String(200), nullable=False),
    Column("body", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("sent_at", DateTime(timezone=True)),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_error", Text),
)
# The relay only ever scans unsent rows: keep that index small.
Index("ix_outbox_unsent", outbox_table.c.id, postgresql_where=outbox_table.c.sent_at.is_(None))

inbox_table = Table(
    "inbox",
    kit_metadata,
    Column("event_id", Uuid, primary_key=True),
    Column("handler", String(200), primary_key=True),
    Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# One row per periodic job of the service: its period is claimed here (kit.jobs).
scheduled_jobs_table = Table(
    "scheduled_jobs",
    kit_metadata,
    Column("name", String(100), primary_key=True),
    Column("next_run_at", DateTime(timezone=True), nullable=False),
    Column("last_started_at", DateTime(timezone=True)),
    Column("last_succeeded_at", DateTime(timezone=True)),
    Column("last_error", Text),
    Column("runs", BigInteger, nullable=False, server_default="0"),
    Column("failures", BigInteger, nullable=False, server_default="0"),
)

OUTBOX_CHANNEL = "outbox"


def asyncpg_dsn(url: str) -> str:
    """The plain libpq URL of an SQLAlchemy URL (asyncpg connects with it directly)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class Database:
    def __init__(
        self, url: str, *, pool_size: int = 10, pool_pre_ping: bool = True, echo: bool = False
    ) -> None:
        # pre-ping costs a round trip per transaction but hides connections that a database
        # restart killed; turn it off only where that trade is measured to matter.
        self.url = url
        self.engine: AsyncEngine = create_async_engine(
            url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=pool_pre_ping, echo=echo
        )
        self.sessionmaker = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)

    @classmethod
    def of(cls, settings: ServiceSettings) -> Database:
        """The database of a service, its pool sized by ``db_pool_size``."""
        return cls(settings.database_url, pool_size=settings.db_pool_size)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self.sessionmaker() as session:
            yield session

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


async def ensure_database(url: str) -> bool:
    """Create the database of ``url`` when missing; True when it was created."""
    target = make_url(url)
    admin = asyncpg_dsn(target.set(database="postgres").render_as_string(hide_password=False))
    conn = await asyncpg.connect(admin)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", target.database)
        if exists:
            return False
        try:
            await conn.execute(f'CREATE DATABASE "{target.database}"')
        except asyncpg.DuplicateDatabaseError:  # created meanwhile by a concurrent process
            return False
        return True
    finally:
        await conn.close()


async def drop_database(url: str) -> None:
    target = make_url(url)
    admin = asyncpg_dsn(target.set(database="postgres").render_as_string(hide_password=False))
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
    finally:
        await conn.close()
