"""Periodic jobs run once per period across replicas, on the real PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from kit.clock import MovableClock
from kit.db import Database, kit_metadata, scheduled_jobs_table
from kit.jobs import Job, JobScheduler, next_period
from kit.testing.pipeline import create_tables

runs_metadata = MetaData()
job_runs = Table(
    "job_runs",
    runs_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job", String(50), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)


async def record_run(session: AsyncSession, now: datetime) -> dict[str, int]:
    await session.exec(job_runs.insert().values(job="expire", at=now))
    # Long enough that the other replica's pass overlaps this one.
    await asyncio.sleep(0.2)
    return {"expired": 1}


async def count_runs(db: Database) -> int:
    async with db.session() as session:
        return (await session.exec(select(func.count()).select_from(job_runs))).one()[0]


@pytest.fixture
async def database(make_database):  # noqa: ANN001, ANN201
    url = await make_database("jobs")
    await create_tables(url, kit_metadata, runs_metadata)
    db = Database(url)
    yield db
    await db.dispose()


async def test_two_replicas_run_a_job_once_per_period(database: Database) -> None:
    clock = MovableClock()
    job = Job("expire", every=timedelta(hours=1), run=record_run)
    # Two replicas: their own connections pools, one database.
    other_db = Database(database.url)
    replicas = [JobScheduler(database, [job], clock=clock), JobScheduler(other_db, [job], clock=clock)]

    for _ in range(3):
        await asyncio.gather(*(replica.run_due() for replica in replicas))
    assert await count_runs(database) == 1

    clock.advance(timedelta(minutes=59))
    await asyncio.gather(*(replica.run_due() for replica in replicas))
    assert await count_runs(database) == 1

    clock.advance(timedelta(minutes=2))
    for _ in range(3):
        await asyncio.gather(*(replica.run_due() for replica in replicas))
    assert await count_runs(database) == 2
    await other_db.dispose()


async def test_a_failed_run_leaves_nothing_and_is_tried_again_after_its_delay(database: Database) -> None:
    clock = MovableClock()
    calls = 0

    async def flaky(session: AsyncSession, now: datetime) -> None:
        nonlocal calls
        calls += 1
        await session.exec(job_runs.insert().values(job="flaky", at=now))
        if calls == 1:
            raise RuntimeError("database hiccup")

    job = Job("flaky", every=timedelta(days=1), run=flaky, retry_after=timedelta(minutes=5))
    scheduler = JobScheduler(database, [job], clock=clock)
    assert await scheduler.run_due() == []
    assert await count_runs(database) == 0
    async with database.session() as session:
        row = (
            await session.exec(select(scheduled_jobs_table).where(scheduled_jobs_table.c.name == "flaky"))
        ).one()
    assert "database hiccup" in row.last_error and row.failures == 1

    assert await scheduler.run_due() == []  # not before the retry delay
    clock.advance(timedelta(minutes=6))
    assert await scheduler.run_due() == ["flaky"]
    assert await count_runs(database) == 1


async def test_the_last_run_of_every_job_is_in_the_metrics(database: Database) -> None:
    registry = CollectorRegistry()
    scheduler = JobScheduler(database, [Job("expire", timedelta(hours=1), record_run)], registry=registry)
    await scheduler.run_due()
    text = generate_latest(registry).decode()
    assert 'job_runs{job="expire"} 1.0' in text
    assert 'job_last_success_timestamp_seconds{job="expire"}' in text


def test_two_jobs_with_one_name_are_refused() -> None:
    job = Job("same", timedelta(hours=1), record_run)
    with pytest.raises(ValueError):
        JobScheduler(Database("postgresql+asyncpg://x@127.0.0.1/x"), [job, job])


def test_the_next_period_follows_the_last_or_skips_missed_ones() -> None:
    due = datetime(2026, 1, 1, 2, tzinfo=UTC)
    every = timedelta(days=1)
    assert next_period(due, due + timedelta(minutes=3), every) == due + every
    late = due + timedelta(days=3, hours=5)
    assert next_period(due, late, every) == late + every
