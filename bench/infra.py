"""Throwaway resources of one run: two databases and uuid-named exchanges and queues, all
removed at the end whatever happened."""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass, field

import aio_pika
from sqlalchemy import Column, DateTime, MetaData, String, Table, Uuid, func
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from kit.consumer import Topology
from kit.db import drop_database, ensure_database, kit_metadata

# Producer state: the row the business transaction writes next to its outbox row.
producer_metadata = MetaData()
users = Table(
    "users",
    producer_metadata,
    Column("id", Uuid, primary_key=True),
    Column("email", String(320), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Consumer effect: keyed by event id, so a double application would fail loudly.
consumer_metadata = MetaData()
effects = Table(
    "effects",
    consumer_metadata,
    Column("event_id", Uuid, primary_key=True),
    Column("user_id", Uuid, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("applied_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)


@dataclass
class Resources:
    pg_url: str
    amqp_url: str
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:10])
    created_dbs: list[str] = field(default_factory=list)

    def db_url(self, role: str) -> str:
        return (
            make_url(self.pg_url)
            .set(drivername="postgresql+asyncpg", database=f"bench_{self.run_id}_{role}")
            .render_as_string(hide_password=False)
        )

    @property
    def kit_topology(self) -> Topology:
        # Production defaults of ServiceSettings (5 attempts, 1 s base) shape the retry queues.
        return Topology(f"bench.{self.run_id}.consumer.events", self.kit_exchange, 5, 1000)

    @property
    def kit_exchange(self) -> str:
        return f"bench.{self.run_id}.events"

    @property
    def bare_exchange(self) -> str:
        return f"bench.{self.run_id}.bare"

    @property
    def bare_queue(self) -> str:
        return f"bench.{self.run_id}.bare.q"

    async def create_databases(self) -> tuple[str, str]:
        producer, consumer = self.db_url("producer"), self.db_url("consumer")
        for url, metadata in ((producer, producer_metadata), (consumer, consumer_metadata)):
            await ensure_database(url)
            self.created_dbs.append(url)
            engine = create_async_engine(url)
            try:
                async with engine.begin() as conn:
                    await conn.run_sync(kit_metadata.create_all)
                    await conn.run_sync(metadata.create_all)
            finally:
                await engine.dispose()
        return producer, consumer

    async def teardown(self) -> list[str]:
        """Best effort per resource: one failure must not leave the others behind."""
        problems: list[str] = []
        t = self.kit_topology
        queues = [t.queue, t.dead_letter_queue, *map(t.retry_queue, t.retry_delays_ms())]
        queues.append(self.bare_queue)
        exchanges = [self.kit_exchange, t.dead_letter_exchange, self.bare_exchange]
        try:
            connection = await aio_pika.connect(self.amqp_url)
            async with connection:
                for kind, name in [("queue", q) for q in queues] + [("exchange", e) for e in exchanges]:
                    # A failed delete closes the channel: a fresh one per deletion is simplest.
                    channel = await connection.channel()
                    try:
                        if kind == "queue":
                            await channel.queue_delete(name)
                        else:
                            await channel.exchange_delete(name)
                    except Exception as exc:
                        problems.append(f"{kind} {name}: {exc!r}")
                    finally:
                        with contextlib.suppress(Exception):
                            await channel.close()
        except Exception as exc:
            problems.append(f"broker cleanup: {exc!r}")
        for url in self.created_dbs:
            try:
                await drop_database(url)
            except Exception as exc:
                problems.append(f"database {make_url(url).database}: {exc!r}")
        return problems
