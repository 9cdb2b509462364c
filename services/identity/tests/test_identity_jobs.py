"""Periodic work: the purge of expired rows runs once per period across replicas."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, select, text

from identity.jobs import PURGE_EXPIRED_ROWS, build_jobs
from identity.main import build_runtime
from identity.models import RegistrationSession
from identity.settings import Settings
from kit.clock import MovableClock
from kit.jobs import JobScheduler
from kit.uow import unit_of_work

PERIOD = timedelta(seconds=300)


async def _expired_registration(db, now: datetime) -> None:  # noqa: ANN001
    """A session that ended two days ago: past any grace period."""
    ended = now - timedelta(days=2)
    tag = uuid.uuid4().hex
    async with unit_of_work(db) as session:
        session.add(
            RegistrationSession(
                email=f"scaduta.{tag[:8]}@example.it",
                tax_code=tag[:16].upper(),
                password_hash="x",
                privacy_version="2026-01",
                privacy_accepted_at=ended,
                resume_token_hash="x",
                otp_hash="x",
                otp_sent_at=ended,
                created_at=ended - timedelta(minutes=10),
                expires_at=ended,
            )
        )


async def _registrations(db) -> int:  # noqa: ANN001
    async with db.session() as session:
        return (await session.exec(select(func.count()).select_from(RegistrationSession))).one()[0]


async def test_the_purge_runs_once_per_period_across_two_replicas(make_database, service_env) -> None:  # noqa: ANN001
    url = await make_database("identity_jobs", migrate="identity")
    settings = Settings(database_url=url, **service_env, purge_interval_s=PERIOD.total_seconds())
    clock = MovableClock()
    replicas = [build_runtime(settings, clock=clock) for _ in range(2)]
    schedulers = [JobScheduler(rt.db, build_jobs(rt), clock=clock) for rt in replicas]
    db = replicas[0].db

    async def run_both() -> int:
        ran = await asyncio.gather(*(scheduler.run_due() for scheduler in schedulers))
        return sum(names.count(PURGE_EXPIRED_ROWS) for names in ran)

    try:
        await _expired_registration(db, clock.now())
        assert await run_both() == 1
        assert await _registrations(db) == 0

        # Within the same period neither replica runs it again.
        await _expired_registration(db, clock.now())
        assert await run_both() == 0
        assert await _registrations(db) == 1

        clock.advance(PERIOD)
        assert await run_both() == 1
        assert await _registrations(db) == 0
        async with db.session() as session:
            runs = (
                await session.exec(
                    text("SELECT runs FROM scheduled_jobs WHERE name = :name"),
                    params={"name": PURGE_EXPIRED_ROWS},
                )
            ).scalar_one()
        assert runs == 2
    finally:
        for rt in replicas:
            await rt.db.dispose()
