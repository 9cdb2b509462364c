"""Background work of the identity service, declared in one place: periodic jobs, run once per
period across replicas (``kit.jobs``), and workers, run on every replica (``kit.worker``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from identity.runtime import Runtime
from identity.service.maintenance import purge_expired
from kit.app import Worker
from kit.jobs import Job, JobResult
from kit.worker import run_worker

PURGE_EXPIRED_ROWS = "purge_expired_rows"


def build_jobs(rt: Runtime) -> list[Job]:
    async def purge_expired_rows(session: AsyncSession, now: datetime) -> JobResult:
        return await purge_expired(session, rt, now)

    every = timedelta(seconds=rt.settings.purge_interval_s)
    return [Job(PURGE_EXPIRED_ROWS, every=every, run=purge_expired_rows)]


def build_workers(rt: Runtime) -> list[Worker]:
    async def reload_signing_keys() -> None:
        """Pick up a key rotated by another replica or by `python -m identity rotate-signing-key`:
        every replica signs with, and publishes, what it has loaded itself."""

        async def step() -> bool:
            await rt.keys.load(rt.db)
            return False

        await run_worker("reload_signing_keys", step, poll_interval_s=rt.settings.signing_key_reload_s)

    return [reload_signing_keys]
