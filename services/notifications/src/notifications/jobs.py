"""Periodic jobs of the notifications service, declared in one place; each runs once per period
across replicas (``kit.jobs``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from kit.jobs import Job, JobResult
from notifications.runtime import Runtime
from notifications.service.messages import forget_settled_messages


def build_jobs(rt: Runtime) -> list[Job]:
    keep_days = rt.settings.mail_retention_days

    async def purge_settled_messages(session: AsyncSession, now: datetime) -> JobResult:
        return {"purged": await forget_settled_messages(session, now=now, keep_days=keep_days)}

    return [Job("messages.purge_settled", every=timedelta(days=1), run=purge_settled_messages)]
