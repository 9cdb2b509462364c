"""Periodic jobs on a real database: two replicas share one schedule."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta

from sqlmodel import col, select

from kit.clock import MovableClock
from kit.jobs import JobScheduler
from notifications.domain.messages import MessageKind, MessageStatus
from notifications.jobs import build_jobs
from notifications.main import build_runtime
from notifications.models import Message
from notifications.runtime import Runtime
from notifications.settings import Settings

PURGE = "messages.purge_settled"


async def add(rt: Runtime, subject: str, status: MessageStatus, created_at: datetime) -> None:
    async with rt.db.session() as session:
        session.add(
            Message(
                id=uuid.uuid4(),
                event_id=uuid.uuid4(),
                kind=MessageKind.WELCOME.value,
                recipient="mario.rossi@example.it",
                subject=subject,
                status=status.value,
                created_at=created_at,
                next_attempt_at=created_at,
            )
        )
        await session.commit()


async def subjects(rt: Runtime) -> set[str]:
    async with rt.db.session() as session:
        return set((await session.exec(select(col(Message.subject)))).all())


async def test_the_retention_purge_runs_once_per_period_across_two_replicas(
    make_database,  # noqa: ANN001
    service_env: dict[str, str],
) -> None:
    settings = Settings(
        **service_env,
        database_url=await make_database("notifications", migrate="notifications"),
        mail_retention_days=30,
    )
    clock = MovableClock()
    rt = build_runtime(settings)
    rt.clock = clock
    replicas = [JobScheduler(rt.db, build_jobs(rt), clock=clock) for _ in range(2)]
    now = clock.now()
    await add(rt, "sent long ago", MessageStatus.SENT, now - timedelta(days=31))
    await add(rt, "given up long ago", MessageStatus.FAILED, now - timedelta(days=31))
    await add(rt, "still pending", MessageStatus.PENDING, now - timedelta(days=31))
    await add(rt, "sent last month", MessageStatus.SENT, now - timedelta(days=29, hours=12))
    await add(rt, "sent today", MessageStatus.SENT, now)

    first = await asyncio.gather(*(replica.run_due() for replica in replicas))
    assert sorted(first) == [[], [PURGE]]
    assert await subjects(rt) == {"still pending", "sent last month", "sent today"}

    clock.advance(timedelta(hours=23))  # same period: neither replica runs it again
    assert await asyncio.gather(*(replica.run_due() for replica in replicas)) == [[], []]
    assert "sent last month" in await subjects(rt)

    clock.advance(timedelta(hours=2))  # next period: once, and the message aged out meanwhile
    second = await asyncio.gather(*(replica.run_due() for replica in replicas))
    assert sorted(second) == [[], [PURGE]]
    assert await subjects(rt) == {"still pending", "sent today"}
    await rt.db.dispose()
