"""A producing and a consuming service wired with the real kit, for tests and benchmarks of
the messaging guarantees over the real PostgreSQL and RabbitMQ."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import aio_pika
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Uuid, func, select
from sqlalchemy.ext.asyncio import create_async_engine

from contracts import Envelope
from contracts.events import UserRegistered
from kit.consumer import Consumer, EventHandlers, Topology
from kit.db import Database, outbox_table
from kit.messaging import Broker
from kit.outbox import OutboxRelay, emit

effects_metadata = MetaData()
# Append-only on purpose: a second application of the same event would show as a second row.
effects = Table(
    "effects",
    effects_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Uuid, nullable=False),
    Column("email", String(320), nullable=False),
    Column("applied_at", DateTime(timezone=True), server_default=func.now()),
)


async def create_tables(url: str, *metadatas: MetaData) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        for metadata in metadatas:
            await conn.run_sync(metadata.create_all)
    await engine.dispose()


class BrokerProxy:
    """TCP proxy in front of RabbitMQ: ``drop_all`` cuts every connection, as a broker restart
    or a network failure would, without disturbing anyone else using the broker."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.writers: set[asyncio.StreamWriter] = set()
        self.server: asyncio.base_events.Server | None = None
        self.port = 0

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.close()
            return
        self.writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self.writers -= {writer, up_writer}

    async def wait_for_connections(self, count: int, timeout_s: float = 15.0) -> None:
        """Each proxied connection holds two sockets (client side and broker side)."""
        async with asyncio.timeout(timeout_s):
            while len(self.writers) < 2 * count:
                await asyncio.sleep(0.02)

    def drop_all(self) -> int:
        dropped = len(self.writers)
        for writer in list(self.writers):
            with contextlib.suppress(Exception):
                writer.transport.abort()
        self.writers.clear()
        return dropped

    async def stop(self) -> None:
        self.drop_all()
        if self.server is not None:
            self.server.close()


@dataclass
class Pipeline:
    """A producer service (db + outbox relay) and a consumer service (db + inbox consumer)."""

    producer_db: Database
    consumer_db: Database
    amqp_url: str
    exchange: str
    queue: str
    handlers: EventHandlers
    max_attempts: int = 3
    brokers: list[Broker] = field(default_factory=list)
    relays: list[asyncio.Task[None]] = field(default_factory=list)
    consumers: list[Consumer] = field(default_factory=list)

    async def broker(self, url: str | None = None) -> Broker:
        broker = Broker(url or self.amqp_url, self.exchange, connection_name=f"test-{uuid.uuid4().hex[:6]}")
        await broker.connect()
        self.brokers.append(broker)
        return broker

    def relay(self, broker: Broker, **kwargs: object) -> OutboxRelay:
        return OutboxRelay(self.producer_db, broker, poll_interval_s=0.2, retry_base_s=0.05, **kwargs)  # type: ignore[arg-type]

    def run_relay(self, relay: OutboxRelay) -> None:
        self.relays.append(asyncio.create_task(relay.run()))

    async def start_consumer(self, broker: Broker | None = None) -> Consumer:
        consumer = Consumer(
            broker or await self.broker(),
            self.consumer_db,
            self.handlers,
            Topology(self.queue, self.exchange, self.max_attempts, retry_base_ms=20),
            prefetch=16,
        )
        await consumer.start()
        self.consumers.append(consumer)
        return consumer

    async def commit_events(self, count: int) -> list[uuid.UUID]:
        ids = []
        async with self.producer_db.session() as session:
            for i in range(count):
                user_id = uuid.uuid4()
                await emit(session, registered(user_id, f"utente{i}@example.it"))
                ids.append(user_id)
            await session.commit()
        return ids

    async def effect_counts(self) -> dict[uuid.UUID, int]:
        async with self.consumer_db.session() as session:
            rows = (await session.exec(select(effects.c.user_id))).all()
        counts: dict[uuid.UUID, int] = {}
        for (user_id,) in rows:
            counts[user_id] = counts.get(user_id, 0) + 1
        return counts

    async def wait_for_effects(self, expected: int, timeout_s: float = 20.0) -> dict[uuid.UUID, int]:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while True:
            counts = await self.effect_counts()
            if sum(counts.values()) >= expected or asyncio.get_running_loop().time() > deadline:
                return counts
            await asyncio.sleep(0.05)

    async def wait_until_settled(self, timeout_s: float = 20.0) -> None:
        """Until every delivery is settled: no consumer holds a message and the queue and its
        retry queues hold none (checked twice in a row, so a retry in flight is not missed).
        Exactly-once checks wait for this instead of sleeping a fixed time."""
        topology = Topology(self.queue, self.exchange, self.max_attempts, retry_base_ms=20)
        names = [self.queue, *map(topology.retry_queue, topology.retry_delays_ms())]
        connection = await aio_pika.connect(self.amqp_url)
        async with connection, asyncio.timeout(timeout_s):
            channel = await connection.channel()
            quiet = 0
            while quiet < 2:
                await asyncio.sleep(0.05)
                waiting = 0
                for name in names:
                    queue = await channel.declare_queue(name, passive=True)
                    waiting += queue.declaration_result.message_count or 0
                busy = any(consumer.in_flight for consumer in self.consumers)
                quiet = quiet + 1 if not waiting and not busy else 0

    async def last_sent_envelope(self) -> Envelope:
        async with self.producer_db.session() as session:
            body = (
                await session.exec(select(outbox_table.c.body).order_by(outbox_table.c.id.desc()))
            ).first()
        assert body is not None, "nothing in the outbox"
        return Envelope.model_validate(body[0])

    async def redeliver(self, envelope: Envelope) -> None:
        """Publish ``envelope`` again, as the relay would after a crash before marking it sent."""
        broker = await self.broker()
        await broker.publish(
            envelope.model_dump_json().encode(),
            routing_key=envelope.routing_key,
            message_id=str(envelope.event_id),
            correlation_id=envelope.correlation_id,
            event_type=envelope.type,
        )

    async def dead_letters(self) -> list[Envelope]:
        connection = await aio_pika.connect(self.amqp_url)
        found = []
        async with connection:
            channel = await connection.channel()
            queue = await channel.get_queue(f"{self.queue}.dlq", ensure=False)
            while (message := await queue.get(fail=False)) is not None:
                found.append(Envelope.model_validate_json(message.body))
                await message.ack()
        return found


def registered(user_id: uuid.UUID, email: str) -> UserRegistered:
    return UserRegistered(
        user_id=user_id,
        email=email,
        tax_code="RSSMRA80A01B963Z",
        first_name="Mario",
        last_name="Rossi",
        registered_at=datetime.now(UTC),
    )


async def record_effect(session, event: UserRegistered, _: Envelope) -> None:  # noqa: ANN001
    await session.exec(effects.insert().values(user_id=event.user_id, email=event.email))


async def delete_queues(amqp_url: str, queue: str, max_attempts: int) -> None:
    """Through a direct connection: a test may have cut the consumer's own."""
    topology = Topology(queue, "", max_attempts, retry_base_ms=20)
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        names = [queue, topology.dead_letter_queue]
        names += [topology.retry_queue(d) for d in topology.retry_delays_ms()]
        for name in names:
            await channel.queue_delete(name)
