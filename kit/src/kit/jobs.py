"""Periodic jobs: declared per service in one place, each run once per period across every
replica of the service.

A job's period is claimed on its row of ``scheduled_jobs`` (``FOR UPDATE SKIP LOCKED``) in the
same transaction as the job's work: the replica that wins the row does the work and moves
``next_run_at`` on, and the others skip it. A job that fails rolls back with its claim, so the
period is run again (by any replica) after ``retry_after``. Jobs never commit; the scheduler does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from prometheus_client import CollectorRegistry, Gauge
from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlmodel.ext.asyncio.session import AsyncSession

from kit.clock import Clock, SystemClock
from kit.db import Database, scheduled_jobs_table
from kit.uow import unit_of_work
from kit.worker import run_worker

log = structlog.get_logger(__name__)

# What a job did, for the log (counts by kind); None when there is nothing to say.
JobResult = Mapping[str, int] | None
JobFunction = Callable[[AsyncSession, datetime], Awaitable[JobResult]]


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    run: JobFunction
    # After a failure the period is tried again this much later.
    retry_after: timedelta = timedelta(minutes=1)


_CLAIM = text(
    "SELECT next_run_at FROM scheduled_jobs WHERE name = :name AND next_run_at <= :now FOR UPDATE SKIP LOCKED"
)
_DONE = text(
    "UPDATE scheduled_jobs SET next_run_at = :next_run_at, last_started_at = :started, "
    "last_succeeded_at = :finished, last_error = NULL, runs = runs + 1 WHERE name = :name"
)
_FAILED = text(
    "UPDATE scheduled_jobs SET next_run_at = greatest(next_run_at, :retry_at), "
    "last_error = :error, failures = failures + 1 WHERE name = :name AND next_run_at <= :now"
)


def next_period(due: datetime, now: datetime, every: timedelta) -> datetime:
    """The start of the next period: one period after the one just run, or one period from now
    when the service was down for longer (missed periods are not run one by one)."""
    following = due + every
    return following if following > now else now + every


class JobScheduler:
    def __init__(
        self,
        db: Database,
        jobs: Sequence[Job],
        *,
        clock: Clock | None = None,
        poll_interval_s: float = 5.0,
        registry: CollectorRegistry | None = None,
    ) -> None:
        names = [job.name for job in jobs]
        if len(set(names)) != len(names):
            raise ValueError(f"two jobs share a name: {names}")
        self.db = db
        self.jobs = list(jobs)
        self.clock = clock or SystemClock()
        self.poll_interval_s = poll_interval_s
        self._registered = False
        self._last_success = self._runs = None
        if registry is not None:
            self._last_success = Gauge(
                "job_last_success_timestamp_seconds",
                "When each periodic job last succeeded, on any replica",
                ["job"],
                registry=registry,
            )
            self._runs = Gauge(
                "job_runs", "Successful runs of each periodic job, on any replica", ["job"], registry=registry
            )

    async def register(self) -> None:
        """Create each job's row (due now) if this is the first replica that knows it."""
        async with unit_of_work(self.db) as session:
            for job in self.jobs:
                await session.exec(
                    insert(scheduled_jobs_table)
                    .values(name=job.name, next_run_at=self.clock.now())
                    .on_conflict_do_nothing(index_elements=["name"])
                )
        self._registered = True

    async def run_due(self) -> list[str]:
        """One pass: run every job whose period is due and that no other replica holds."""
        if not self._registered:
            await self.register()
        ran = []
        for job in self.jobs:
            if await self._run_if_due(job):
                ran.append(job.name)
        await self._export_metrics()
        return ran

    async def _run_if_due(self, job: Job) -> bool:
        now = self.clock.now()
        try:
            async with unit_of_work(self.db) as session:
                due = (await session.exec(_CLAIM, params={"name": job.name, "now": now})).scalar()
                if due is None:
                    return False
                result = await job.run(session, now)
                await session.exec(
                    _DONE,
                    params={
                        "name": job.name,
                        "next_run_at": next_period(due, now, job.every),
                        "started": now,
                        "finished": self.clock.now(),
                    },
                )
        except Exception as exc:
            log.warning("job.failed", job=job.name, error=repr(exc)[:500])
            async with unit_of_work(self.db) as session:
                await session.exec(
                    _FAILED,
                    params={
                        "name": job.name,
                        "now": now,
                        "retry_at": now + job.retry_after,
                        "error": repr(exc)[:2000],
                    },
                )
            return False
        log.info("job.ran", job=job.name, **dict(result or {}))
        return True

    async def _export_metrics(self) -> None:
        if self._last_success is None or self._runs is None:
            return
        async with self.db.session() as session:
            rows = (
                await session.exec(text("SELECT name, last_succeeded_at, runs FROM scheduled_jobs"))
            ).all()
        for name, last_succeeded_at, runs in rows:
            if last_succeeded_at is not None:
                self._last_success.labels(job=name).set(last_succeeded_at.timestamp())
            self._runs.labels(job=name).set(runs)

    async def run(self) -> None:
        async def step() -> bool:
            await self.run_due()
            return False

        await run_worker("jobs", step, poll_interval_s=self.poll_interval_s)
