"""Transactional outbox: ``emit`` writes an event in the caller's transaction; ``OutboxRelay``
publishes committed events and marks them sent only after the broker confirmed them."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence

import asyncpg
import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import Envelope, Event
from kit.correlation import causation_id, current_correlation_id
from kit.db import OUTBOX_CHANNEL, Database, asyncpg_dsn
from kit.messaging import Broker
from kit.wakeup import NotifyWakeup
from kit.worker import Backoff, run_worker

log = structlog.get_logger(__name__)


_EMIT = text(
    "WITH inserted AS (INSERT INTO outbox (event_id, routing_key, body) "
    "SELECT CAST(:event_id AS uuid), CAST(:routing_key AS varchar), CAST(:body AS jsonb) "
    "WHERE CAST(:when AS boolean) RETURNING id) "
    "SELECT pg_notify(CAST(:channel AS text), '') FROM inserted"
)


async def emit(session: AsyncSession, event: Event, *, when: bool = True) -> Envelope:
    """Record ``event`` in the outbox within the session's transaction (commit is the caller's).

    NOTIFY inside a transaction is delivered at commit, so the relay wakes exactly when the
    row becomes visible, and never for a rolled-back one. ``when=False`` runs the very same
    statement writing nothing: a use case whose answer must not reveal whether it emitted (the
    password recovery of an unknown address) does the same work either way.
    """
    envelope = Envelope.wrap(event, correlation_id=current_correlation_id(), causation_id=causation_id.get())
    # One round trip: the row and its NOTIFY. Plain SQL with the body serialised by pydantic:
    # no statement to build, compile and cache-key per event (about half the CPU per call).
    await session.exec(
        _EMIT,
        params={
            "event_id": envelope.event_id,
            "routing_key": envelope.routing_key,
            "body": envelope.model_dump_json(),
            "when": when,
            "channel": OUTBOX_CHANNEL,
        },
    )
    return envelope


# The database's clock decides what is due, so clock skew between hosts cannot delay a send.
_CLAIM = """
UPDATE outbox SET sent_at = now()
WHERE id IN (
    SELECT id FROM outbox WHERE sent_at IS NULL AND next_attempt_at <= now()
    ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
RETURNING id, event_id, routing_key, attempts, body::text AS body,
    body->>'correlation_id' AS correlation_id, body->>'type' AS type
"""
_RESCHEDULE = """
UPDATE outbox SET sent_at = NULL, attempts = attempts + 1, last_error = $3,
    next_attempt_at = now() + make_interval(secs => $2)
WHERE id = $1
"""

# Called after a batch was published and before it is marked sent: lets tests simulate a
# relay that dies in between.
AfterPublishHook = Callable[[Sequence[asyncpg.Record]], Awaitable[None]]


class OutboxRelay:
    def __init__(
        self,
        db: Database,
        broker: Broker,
        *,
        batch_size: int = 200,
        poll_interval_s: float = 1.0,
        retry_base_s: float = 0.5,
        retry_max_s: float = 60.0,
        after_publish: AfterPublishHook | None = None,
    ) -> None:
        self.db = db
        self.broker = broker
        self.batch_size = batch_size
        self.poll_interval_s = poll_interval_s
        self.backoff = Backoff(retry_base_s, retry_max_s)
        self.after_publish = after_publish
        self._wakeup = NotifyWakeup(db.url, OUTBOX_CHANNEL)
        self._conn: asyncpg.Connection | None = None

    async def relay_once(self) -> int:
        """Publish one batch of due rows; returns how many were confirmed.

        One statement claims the batch and marks it sent; the transaction commits only after
        the broker confirmed, so a relay dying in between leaves the rows unsent (they are
        published again: consumers' inboxes absorb the duplicate), never lost.
        """
        if self._conn is None or self._conn.is_closed():
            # Its own connection: never queued behind the service's request transactions.
            self._conn = await asyncpg.connect(asyncpg_dsn(self.db.url))
        conn = self._conn
        async with conn.transaction():
            rows = sorted(await conn.fetch(_CLAIM, self.batch_size), key=lambda r: r["id"])
            if not rows:
                return 0
            results = await asyncio.gather(
                *(
                    # Published as stored: emit wrote a validated envelope.
                    self.broker.publish(
                        row["body"].encode(),
                        routing_key=row["routing_key"],
                        message_id=str(row["event_id"]),
                        correlation_id=row["correlation_id"],
                        event_type=row["type"] or "",
                    )
                    for row in rows
                ),
                return_exceptions=True,
            )
            if self.after_publish is not None:
                await self.after_publish(rows)
            failed = [(row, exc) for row, exc in zip(rows, results, strict=True) if exc is not None]
            for row, exc in failed:
                log.warning(
                    "outbox.publish_failed",
                    event_id=str(row["event_id"]),
                    routing_key=row["routing_key"],
                    attempts=row["attempts"] + 1,
                    error=repr(exc),
                )
                delay = self.backoff.delay(row["attempts"] + 1)
                await conn.execute(_RESCHEDULE, row["id"], delay, repr(exc)[:2000])
        sent = len(rows) - len(failed)
        if sent:
            log.debug("outbox.sent", count=sent)
        return sent

    async def run(self) -> None:
        """Relay forever: wake on NOTIFY, poll as a fallback, never drop a row."""

        async def step() -> bool:
            return await self.relay_once() >= self.batch_size

        await run_worker(
            "outbox", step, poll_interval_s=self.poll_interval_s, wakeup=self._wakeup, backoff=self.backoff
        )

    async def close(self) -> None:
        await self._wakeup.close()
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.close()
