"""Event consumption: one durable quorum queue per service, an idempotent inbox written in the
handler's transaction, bounded retries through delay queues, then a dead-letter queue."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aio_pika
import structlog
from aio_pika.abc import (
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustChannel,
    AbstractRobustExchange,
)
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts import Envelope, Event
from contracts.registry import parse_payload
from kit.correlation import bind
from kit.db import Database, inbox_table
from kit.messaging import Broker
from kit.worker import Backoff

log = structlog.get_logger(__name__)

E = TypeVar("E", bound=Event)
Handler = Callable[[AsyncSession, Any, Envelope], Awaitable[None]]

# One round trip claims the inbox rows of a whole batch; a row already there (a redelivery)
# is not returned, so its handler is skipped.
_CLAIM_INBOX = text(
    "INSERT INTO inbox (event_id, handler) "
    "SELECT * FROM unnest(CAST(:ids AS uuid[]), CAST(:names AS varchar[])) "
    "ON CONFLICT DO NOTHING RETURNING event_id, handler"
)


@dataclass
class _Delivery:
    message: AbstractIncomingMessage
    envelope: Envelope
    event: Event
    attempt: int


class _HandlerFailed(Exception):
    """A handler raised inside a shared transaction: that delivery is the one to retry."""

    def __init__(self, delivery: _Delivery, error: Exception) -> None:
        super().__init__(repr(error))
        self.delivery = delivery
        self.error = error


class DuplicateHandlerName(ValueError):
    pass


@dataclass
class EventHandlers:
    """The one place where a service declares which events it handles.

    Each handler has an explicit name, its inbox key: renaming or moving the Python function
    changes nothing, and a name used twice in a service fails when the handlers are built.
    Handlers receive an open session; the consumer commits it together with the inbox row.
    """

    handlers: dict[str, list[tuple[str, Handler]]] = field(default_factory=dict)
    names: set[str] = field(default_factory=set)

    def add(self, event_cls: type[Event], name: str, fn: Handler) -> None:
        if not name or len(name) > 200:
            raise ValueError(f"handler name must be 1-200 characters: {name!r}")
        if name in self.names:
            raise DuplicateHandlerName(f"two event handlers are named {name!r}")
        self.names.add(name)
        self.handlers.setdefault(event_cls.routing_key(), []).append((name, fn))

    def on(self, event_cls: type[E], *, name: str) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            self.add(event_cls, name, fn)
            return fn

        return register

    @property
    def routing_keys(self) -> list[str]:
        return sorted(self.handlers)


@dataclass(frozen=True)
class Topology:
    queue: str
    exchange: str
    max_attempts: int
    retry_base_ms: int

    @property
    def dead_letter_exchange(self) -> str:
        return f"{self.exchange}.dlx"

    @property
    def dead_letter_queue(self) -> str:
        return f"{self.queue}.dlq"

    def retry_delays_ms(self) -> list[int]:
        """Exponential back-off: one delay queue per retry (per-queue TTLs never block)."""
        backoff = Backoff(self.retry_base_ms)
        return [int(backoff.delay(attempt)) for attempt in range(1, self.max_attempts)]

    def retry_queue(self, delay_ms: int) -> str:
        return f"{self.queue}.retry.{delay_ms}ms"


class Consumer:
    def __init__(
        self,
        broker: Broker,
        db: Database,
        handlers: EventHandlers,
        topology: Topology,
        *,
        prefetch: int = 32,
        max_batch: int = 64,
        concurrent_batches: int = 2,
    ) -> None:
        self.broker = broker
        self.db = db
        self.handlers = handlers
        self.topology = topology
        self.prefetch = prefetch
        # Deliveries that arrive while a transaction is running are handled together in the
        # next one: one BEGIN/COMMIT (and fsync) for many events under load, none waiting
        # for a batch to fill at low rates. At most ``concurrent_batches`` transactions at once.
        self.max_batch = max_batch
        self.concurrent_batches = concurrent_batches
        self._pending: deque[_Delivery] = deque()
        self._flushers = 0
        self.batches = 0  # shared transactions committed
        self.batched = 0  # deliveries settled by them
        self.batch_fallbacks = 0
        # Strong references: aio-pika restores only the robust objects that are still alive.
        self.channel: AbstractRobustChannel | None = None
        self.queue: AbstractQueue | None = None
        self.exchange: AbstractRobustExchange | None = None
        self.consumer_tag: str | None = None
        self.handled = 0
        self.dead_lettered = 0
        self._inflight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def in_flight(self) -> int:
        """Deliveries taken and not yet settled."""
        return self._inflight

    async def declare(self) -> None:
        """Declare the whole topology of this service in one place (idempotent)."""
        assert self.broker.connection is not None
        t = self.topology
        self.channel = await self.broker.connection.channel(publisher_confirms=True)
        await self.channel.set_qos(prefetch_count=self.prefetch)
        self.exchange = await self.channel.declare_exchange(
            t.exchange, aio_pika.ExchangeType.TOPIC, durable=True
        )
        dlx = await self.channel.declare_exchange(
            t.dead_letter_exchange, aio_pika.ExchangeType.DIRECT, durable=True
        )
        dlq = await self.channel.declare_queue(
            t.dead_letter_queue, durable=True, arguments={"x-queue-type": "quorum"}
        )
        await dlq.bind(dlx, routing_key=t.dead_letter_queue)
        self.queue = await self.channel.declare_queue(
            t.queue,
            durable=True,
            arguments={
                "x-queue-type": "quorum",
                "x-dead-letter-exchange": t.dead_letter_exchange,
                "x-dead-letter-routing-key": t.dead_letter_queue,
                # Safety net for a message that kills the process before it is settled.
                "x-delivery-limit": max(10, t.max_attempts * 2),
            },
        )
        for routing_key in self.handlers.routing_keys:
            await self.queue.bind(self.exchange, routing_key=routing_key)
        for delay in t.retry_delays_ms():
            await self.channel.declare_queue(
                t.retry_queue(delay),
                durable=True,
                arguments={
                    "x-message-ttl": delay,
                    "x-dead-letter-exchange": "",
                    "x-dead-letter-routing-key": t.queue,
                },
            )

    async def start(self) -> None:
        await self.declare()
        assert self.queue is not None
        self.consumer_tag = await self.queue.consume(self._on_message)
        log.info("consumer.started", queue=self.topology.queue, keys=self.handlers.routing_keys)

    async def stop(self, grace_s: float = 10.0) -> None:
        """Stop taking messages, let the ones in hand finish (so they are acked, not
        redelivered), then close the channel."""
        if self.queue is not None and self.consumer_tag is not None:
            try:
                await self.queue.cancel(self.consumer_tag)
            except Exception as exc:  # the channel may already be gone on shutdown
                log.debug("consumer.cancel_failed", error=repr(exc))
        try:
            async with asyncio.timeout(grace_s):
                await self._idle.wait()
        except TimeoutError:
            log.warning("consumer.stopped_with_messages_in_hand", count=self._inflight)
        if self.channel is not None and not self.channel.is_closed:
            await self.channel.close()

    async def delete_topology(self) -> None:
        """Remove every queue and exchange of this consumer (test runs clean up after themselves)."""
        assert self.broker.connection is not None
        t = self.topology
        channel = await self.broker.connection.channel()
        for name in [t.queue, t.dead_letter_queue, *map(t.retry_queue, t.retry_delays_ms())]:
            await channel.queue_delete(name)
        await channel.exchange_delete(t.dead_letter_exchange)
        await channel.close()

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        self._inflight += 1
        self._idle.clear()
        delivery = await self._parse(message)
        if delivery is None:
            self._settled(1)
            return
        self._pending.append(delivery)
        if self._flushers >= self.concurrent_batches:
            return  # a running flusher takes it with its next batch
        self._flushers += 1
        try:
            while self._pending:
                batch = [self._pending.popleft() for _ in range(min(self.max_batch, len(self._pending)))]
                try:
                    await self._handle_batch(batch)
                finally:
                    self._settled(len(batch))
        finally:
            self._flushers -= 1

    def _settled(self, count: int) -> None:
        self._inflight -= count
        if self._inflight == 0:
            self._idle.set()

    async def _parse(self, message: AbstractIncomingMessage) -> _Delivery | None:
        attempt = int((message.headers or {}).get("x-attempt", 1))
        try:
            envelope = Envelope.model_validate_json(message.body)
            event = parse_payload(envelope)
        except (ValidationError, KeyError, ValueError) as exc:
            # Poison: no retry can make it parse. Dead-letter at once; the queue moves on.
            # Only error locations and kinds are logged: input values may hold secrets.
            reason = (
                [(e["loc"], e["type"]) for e in exc.errors(include_input=False)]
                if isinstance(exc, ValidationError)
                else type(exc).__name__
            )
            log.error("consumer.poison", message_id=message.message_id, reason=str(reason)[:500])
            self.dead_lettered += 1
            await self._settle(message.reject(requeue=False))
            return None
        return _Delivery(message, envelope, event, attempt)

    @staticmethod
    async def _settle(op: Awaitable[None]) -> None:
        # A channel lost since the delivery cannot take its ack: the broker redelivers the
        # message and the inbox absorbs it; the other deliveries of the batch must go on.
        try:
            await op
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("consumer.settle_failed", error=repr(exc)[:500])

    async def _handle_batch(self, batch: list[_Delivery]) -> None:
        """All deliveries in one transaction. If anything in it fails, none of it is kept: the
        delivery whose handler raised has had its attempt (retry queue or dead letters, as on
        its own), every other one is handled again on its own."""
        if len(batch) > 1:
            try:
                await self._handle_together(batch)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.batch_fallbacks += 1
                log.info("consumer.batch_fallback", size=len(batch), error=repr(exc)[:500])
                if isinstance(exc, _HandlerFailed):
                    culprit = exc.delivery
                    batch = [d for d in batch if d is not culprit]
                    await self._guarded(
                        culprit,
                        self._retry_or_dead_letter(
                            culprit.message, culprit.envelope, culprit.attempt, exc.error
                        ),
                    )
            else:
                self.batches += 1
                self.batched += len(batch)
                for d in batch:
                    await self._settle(d.message.ack())
                self.handled += len(batch)
                return
        for d in batch:
            await self._guarded(d, self._process(d))

    @staticmethod
    async def _guarded(d: _Delivery, op: Awaitable[None]) -> None:
        try:
            await op
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # e.g. the retry publish failed: redelivered, never lost
            log.error("consumer.delivery_failed", event_id=str(d.envelope.event_id), error=repr(exc)[:500])

    async def _handle_together(self, batch: list[_Delivery]) -> None:
        keys = [
            (d.envelope.event_id, name)
            for d in batch
            for name, _ in self.handlers.handlers.get(d.envelope.routing_key, [])
        ]
        async with self.db.session() as session:
            claimed: set[tuple[Any, str]] = set()
            if keys:
                rows = await session.exec(
                    _CLAIM_INBOX, params={"ids": [k[0] for k in keys], "names": [k[1] for k in keys]}
                )
                claimed = {(r[0], r[1]) for r in rows}
            for d in batch:
                bind(d.envelope.correlation_id, str(d.envelope.event_id))
                for name, handler in self.handlers.handlers.get(d.envelope.routing_key, []):
                    key = (d.envelope.event_id, name)
                    if key not in claimed:  # already applied, or twice in this very batch
                        log.info("consumer.duplicate", event_id=str(d.envelope.event_id), handler=name)
                        continue
                    claimed.discard(key)
                    try:
                        await handler(session, d.event, d.envelope)
                    except Exception as exc:
                        raise _HandlerFailed(d, exc) from exc
            await session.commit()

    async def _process(self, d: _Delivery) -> None:
        message, envelope, event = d.message, d.envelope, d.event
        bind(envelope.correlation_id, str(envelope.event_id))
        try:
            for name, handler in self.handlers.handlers.get(envelope.routing_key, []):
                await self._handle_once(name, handler, event, envelope)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            await self._retry_or_dead_letter(message, envelope, d.attempt, exc)
            return
        await self._settle(message.ack())
        self.handled += 1

    async def _handle_once(self, name: str, handler: Handler, event: Event, envelope: Envelope) -> None:
        async with self.db.session() as session:
            claimed = await session.exec(
                insert(inbox_table)
                .values(event_id=envelope.event_id, handler=name)
                .on_conflict_do_nothing()
                .returning(inbox_table.c.event_id)
            )
            if claimed.first() is None:
                log.info("consumer.duplicate", event_id=str(envelope.event_id), handler=name)
                return
            await handler(session, event, envelope)
            await session.commit()

    async def _retry_or_dead_letter(
        self, message: AbstractIncomingMessage, envelope: Envelope, attempt: int, exc: Exception
    ) -> None:
        t = self.topology
        if attempt >= t.max_attempts:
            log.error(
                "consumer.dead_lettered",
                event_id=str(envelope.event_id),
                type=envelope.type,
                attempts=attempt,
                error=repr(exc)[:500],
            )
            self.dead_lettered += 1
            await message.reject(requeue=False)
            return
        delay = t.retry_delays_ms()[attempt - 1]
        log.warning(
            "consumer.retry",
            event_id=str(envelope.event_id),
            type=envelope.type,
            attempt=attempt,
            retry_in_ms=delay,
            error=repr(exc)[:500],
        )
        assert self.channel is not None
        # Published with confirms before the ack: a crash in between gives a duplicate, which
        # the inbox absorbs, never a loss.
        await self.channel.default_exchange.publish(
            aio_pika.Message(
                message.body,
                content_type=message.content_type,
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                message_id=message.message_id,
                correlation_id=message.correlation_id,
                type=message.type,
                headers={**(message.headers or {}), "x-attempt": attempt + 1},
            ),
            routing_key=t.retry_queue(delay),
        )
        await message.ack()
