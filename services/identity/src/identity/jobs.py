"""Background work of every identity replica, for the lifetime of the app."""

from __future__ import annotations

import asyncio

import structlog
from fastapi import FastAPI

from identity.runtime import Runtime
from identity.service.common import utcnow
from identity.service.maintenance import purge_expired

log = structlog.get_logger(__name__)


async def purge_expired_rows(app: FastAPI) -> None:
    rt: Runtime = app.state.identity
    while True:
        await asyncio.sleep(rt.settings.purge_interval_s)
        try:
            async with rt.db.session() as session:
                counts = await purge_expired(session, rt, utcnow())
            if any(counts.values()):
                log.info("maintenance.purged", **counts)
        except Exception as exc:  # the next round tries again
            log.warning("maintenance.purge_failed", error=repr(exc))


async def reload_signing_keys(app: FastAPI) -> None:
    """Pick up a key rotated by another replica or by `python -m identity rotate-signing-key`."""
    rt: Runtime = app.state.identity
    while True:
        await asyncio.sleep(rt.settings.signing_key_reload_s)
        try:
            await rt.keys.load(rt.db)
        except Exception as exc:
            log.warning("signing_key.reload_failed", error=repr(exc))
