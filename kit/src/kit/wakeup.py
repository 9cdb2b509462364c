"""Wake a background worker when a transaction commits work for it: Postgres LISTEN/NOTIFY,
with polling as the fallback (the same scheme as the outbox relay, for other workers)."""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg
import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import asyncpg_dsn

log = structlog.get_logger(__name__)


async def notify(session: AsyncSession, channel: str) -> None:
    """Signal ``channel`` from the session's transaction: delivered at commit, never on rollback."""
    await session.exec(text("SELECT pg_notify(:channel, '')"), params={"channel": channel})


class NotifyWakeup:
    """A worker loop calls ``arm()`` before each pass and ``wait(timeout_s)`` after it.

    A notification that arrives during the pass makes the next ``wait`` return at once, so
    none is missed. A lost listener connection degrades to polling and is reopened by ``arm``.
    """

    def __init__(self, database_url: str, channel: str) -> None:
        self.dsn = asyncpg_dsn(database_url)
        self.channel = channel
        self._event = asyncio.Event()
        self._listener: asyncpg.Connection | None = None

    async def arm(self) -> None:
        if self._listener is None or self._listener.is_closed():
            try:
                self._listener = await asyncpg.connect(self.dsn)
                await self._listener.add_listener(self.channel, lambda *_: self._event.set())
            except Exception as exc:  # best effort: without a listener the worker still polls
                self._listener = None
                log.warning("wakeup.listen_unavailable", channel=self.channel, error=str(exc))
        self._event.clear()

    def set(self) -> None:
        """Wake the worker from the same process."""
        self._event.set()

    async def wait(self, timeout_s: float) -> None:
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancellation that
        # arrives with the event, and the worker would loop on after its shutdown.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(timeout_s, 0.0)):
                await self._event.wait()

    async def close(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()
            self._listener = None
