"""Transactional outbox: ``emit`` writes an event in the caller's transaction; ``OutboxRelay``
publishes committed events and marks them sent only after the broker confirmed them."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import Envelope, Event
from kit.correlation import causation_id, current_correlation_id
from kit.db import OUTBOX_CHANNEL, Database, outbox_table
from kit.messaging import Broker
from kit.wakeup import NotifyWakeup, notify

log = structlog.get_logger(__name__)


async def emit(session: AsyncSession, event: Event) -> Envelope:
    """Record ``event`` in the outbox within the session's transaction (commit is the caller's).

    NOTIFY inside a transaction is delivered at commit, so the relay wakes exactly when the
    row becomes visible, and never for a rolled-back one.
    """
    envelope = Envelope.wrap(event, correlation_id=current_correlation_id(), causation_id=causation_id.get())
    await session.exec(
        outbox_table.insert().values(
            event_id=envelope.event_id,
            routing_key=envelope.routing_key,
            body=envelope.model_dump(mode="json"),
        )
    )
    await notify(session, OUTBOX_CHANNEL)
    return envelope


# Called after a batch was published and before it is marked sent: lets tests simulate a
# relay that dies in between.
AfterPublishHook = Callable[[Sequence[Row[Any]]], Awaitable[None]]


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
        self.retry_base_s = retry_base_s
        self.retry_max_s = retry_max_s
        self.after_publish = after_publish
        self._wakeup = NotifyWakeup(db.url, OUTBOX_CHANNEL)

    def _backoff(self, attempts: int) -> timedelta:
        return timedelta(seconds=min(self.retry_max_s, self.retry_base_s * 2 ** max(attempts - 1, 0)))

    async def relay_once(self) -> int:
        """Publish one batch of due rows; returns how many were confirmed."""
        async with self.db.engine.begin() as conn:
            rows = (
                await conn.execute(
                    select(outbox_table)
                    .where(outbox_table.c.sent_at.is_(None))
                    .where(outbox_table.c.next_attempt_at <= datetime.now(UTC))
                    .order_by(outbox_table.c.id)
                    .limit(self.batch_size)
                    # A second relay skips the rows this one holds instead of sending them too.
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                return 0
            results = await asyncio.gather(
                *(
                    self.broker.publish(
                        Envelope.model_validate(row.body).model_dump_json().encode(),
                        routing_key=row.routing_key,
                        message_id=str(row.event_id),
                        correlation_id=row.body.get("correlation_id"),
                        event_type=row.body.get("type", ""),
                    )
                    for row in rows
                ),
                return_exceptions=True,
            )
            if self.after_publish is not None:
                await self.after_publish(rows)
            now = datetime.now(UTC)
            sent = [row.id for row, res in zip(rows, results, strict=True) if res is None]
            if sent:
                await conn.execute(
                    update(outbox_table).where(outbox_table.c.id.in_(sent)).values(sent_at=now)
                )
            for row, res in zip(rows, results, strict=True):
                if isinstance(res, BaseException):
                    log.warning(
                        "outbox.publish_failed",
                        event_id=str(row.event_id),
                        routing_key=row.routing_key,
                        attempts=row.attempts + 1,
                        error=repr(res),
                    )
                    await conn.execute(
                        update(outbox_table)
                        .where(outbox_table.c.id == row.id)
                        .values(
                            attempts=row.attempts + 1,
                            next_attempt_at=now + self._backoff(row.attempts + 1),
                            last_error=repr(res)[:2000],
                        )
                    )
        if sent:
            log.debug("outbox.sent", count=len(sent))
        return len(sent)

    async def run(self) -> None:
        """Relay forever: wake on NOTIFY, poll as a fallback, never drop a row."""
        failures = 0
        while True:
            await self._wakeup.arm()
            try:
                sent = await self.relay_once()
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                log.warning("outbox.relay_error", error=repr(exc))
                await asyncio.sleep(min(self.retry_max_s, self.retry_base_s * 2**failures))
                continue
            if sent >= self.batch_size:
                continue
            await self._wakeup.wait(self.poll_interval_s)

    async def close(self) -> None:
        await self._wakeup.close()
