"""The real kit pipeline: producer transaction (state row + ``emit``) -> ``OutboxRelay`` ->
RabbitMQ -> ``Consumer`` (inbox + handler in one transaction)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.engine import Row

from bench.common import Contender, now, percentile
from bench.infra import Resources, effects, users
from bench.variants import Variant
from contracts import Envelope
from contracts.events import UserRegistered
from kit.consumer import Consumer, EventHandlers
from kit.messaging import Broker
from kit.outbox import OutboxRelay
from kit.settings import ServiceSettings


class KitPipeline(Contender):
    name = "kit pipeline"

    def __init__(
        self,
        res: Resources,
        producer_url: str,
        consumer_url: str,
        variant: Variant,
    ) -> None:
        super().__init__()
        # Production defaults (environment variables such as CONSUMER_PREFETCH still apply,
        # which makes trying a knob a one-liner); never a developer's .env file.
        self.settings = ServiceSettings(service_name="bench", _env_file=None)  # type: ignore[call-arg]
        self.res = res
        self.producer_db = variant.database_cls(producer_url)
        self.consumer_db = variant.database_cls(consumer_url)
        self.relay_db = variant.database_cls(producer_url, pool_size=1) if variant.relay_own_pool else None
        self.emit = variant.emit
        self.variant = variant
        # Two services, two connections, as in production.
        self.producer_broker = Broker(res.amqp_url, res.kit_exchange, connection_name="bench-producer")
        self.consumer_broker = Broker(res.amqp_url, res.kit_exchange, connection_name="bench-consumer")
        self.relay: OutboxRelay | None = None
        self.relay_task: asyncio.Task[None] | None = None
        self.consumer: Consumer | None = None
        # Stage stamps for the breakdown: relay confirmed, handler entered.
        self.published: dict[Any, float] = {}
        self.handler_in: dict[Any, float] = {}
        self.batches = 0  # relay transactions that published something

        handlers = EventHandlers()

        @handlers.on(UserRegistered, name="bench.apply")
        async def apply(session: Any, event: UserRegistered, envelope: Envelope) -> None:
            entered = now()
            await session.execute(
                effects.insert().values(
                    event_id=envelope.event_id,
                    user_id=event.user_id,
                    occurred_at=envelope.occurred_at,
                )
            )
            # The kit commits after this returns; SQLAlchemy's after_commit session event fires
            # as soon as COMMIT came back from PostgreSQL. Public API, no kit internals touched.
            key = envelope.event_id
            sa_event.listen(
                session.sync_session,
                "after_commit",
                lambda _s: self._committed(key, entered),
                once=True,
            )

        self.handlers = handlers

    def _committed(self, key: uuid.UUID, entered: float) -> None:
        self.done[key] = now()
        self.handler_in[key] = entered

    async def _on_published(self, rows: Sequence[Row[Any]]) -> None:
        # The relay's own test hook: called once the whole batch is confirmed by the broker.
        t = now()
        self.batches += 1
        for row in rows:
            self.published[row["event_id"]] = t

    def reset(self) -> None:
        super().reset()
        self.batches = 0
        self.published.clear()
        self.handler_in.clear()

    async def setup(self) -> None:
        s = self.settings
        await self.producer_broker.connect()
        await self.consumer_broker.connect()
        self.consumer = Consumer(
            self.consumer_broker,
            self.consumer_db,
            self.handlers,
            self.res.kit_topology,
            prefetch=s.consumer_prefetch,
        )
        await self.consumer.start()  # queue bound before anything is published
        self.relay = self.variant.relay_cls(
            self.relay_db or self.producer_db,
            self.producer_broker,
            batch_size=s.relay_batch_size,
            poll_interval_s=s.relay_poll_interval_s,
            retry_base_s=s.relay_retry_base_s,
            retry_max_s=s.relay_retry_max_s,
            after_publish=self._on_published,
        )
        self.relay_task = asyncio.create_task(self.relay.run(), name="relay")

    async def fire(self, i: int) -> None:
        user_id = uuid.uuid4()
        email = f"bench{i}@example.it"
        event = UserRegistered(
            user_id=user_id,
            email=email,
            tax_code="RSSMRA80A01B963Z",
            first_name="Mario",
            last_name="Rossi",
            registered_at=datetime.now(UTC),
        )
        async with self.producer_db.session() as session:
            await session.execute(users.insert().values(id=user_id, email=email))
            envelope = await self.emit(session, event)
            await session.commit()
            self.started[envelope.event_id] = now()

    def breakdown(self) -> list[str]:
        """Where the latency goes: p50/p99 (ms) per stage, and how well the relay batches."""
        stages = {
            "commit -> relay confirmed": (self.started, self.published),
            "commit -> handler entered": (self.started, self.handler_in),
            "handler -> consumer commit": (self.handler_in, self.done),
        }
        lines = []
        for label, (a, b) in stages.items():
            lat = [(b[k] - t) * 1000 for k, t in a.items() if k in b]
            lines.append(f"{label:<28} {percentile(lat, 50):7.1f} / {percentile(lat, 99):.1f}")
        per_batch = len(self.published) / max(self.batches, 1)
        lines.append(
            f"relay transactions: {self.batches} for {len(self.published)} events "
            f"({per_batch:.1f} per transaction)"
        )
        return lines

    async def close(self) -> None:
        if self.relay_task is not None:
            self.relay_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.relay_task
        if self.relay is not None:
            await self.relay.close()
        if self.consumer is not None:
            with contextlib.suppress(Exception):
                await self.consumer.stop()
        for broker in (self.producer_broker, self.consumer_broker):
            with contextlib.suppress(Exception):
                await broker.close()
        for db in (self.producer_db, self.consumer_db, self.relay_db):
            if db is None:
                continue
            with contextlib.suppress(Exception):
                await db.dispose()
