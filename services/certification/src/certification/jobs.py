"""Periodic jobs of the certification service, declared in one place; each runs once per period across
replicas (``kit.jobs``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from certification.runtime import Runtime
from certification.service.expiry import expire_certifications
from kit.jobs import Job, JobResult

EXPIRE_CERTIFICATIONS = "expire-certifications"


def build_jobs(rt: Runtime) -> list[Job]:
    async def expire(session: AsyncSession, now: datetime) -> JobResult:
        return await expire_certifications(session, now)

    every = timedelta(seconds=rt.settings.expiry_interval_s)
    return [Job(EXPIRE_CERTIFICATIONS, every=every, run=expire)]
