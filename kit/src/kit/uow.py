"""Unit of work: one transaction and one owner that commits it.

An HTTP request's unit of work commits once after the use case succeeded and rolls back
otherwise (``kit.deps.UnitOfWorkDep``); an event's is the consumer's (handler effects + inbox row); a
job's is the scheduler's. Use cases only flush: they never commit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from kit.db import Database
from kit.errors import DomainError


@asynccontextmanager
async def unit_of_work(db: Database) -> AsyncIterator[AsyncSession]:
    """Commit on success, and on a refusal raised with ``keep_changes``; roll back otherwise."""
    async with db.sessionmaker() as session:
        try:
            yield session
        except DomainError as exc:
            if exc.keep_changes:
                await session.commit()
            else:
                await session.rollback()
            raise
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


def violated_constraint(exc: IntegrityError) -> str | None:
    """The name of the constraint or unique index that refused a write, when PostgreSQL said."""
    for candidate in (getattr(exc.orig, "__cause__", None), exc.orig):
        name = getattr(candidate, "constraint_name", None)
        if name:
            return str(name)
    return None


Refusals = Mapping[str, DomainError | Callable[[], DomainError]]


@asynccontextmanager
async def unique_refusals(session: AsyncSession, refusals: Refusals) -> AsyncIterator[None]:
    """Run the writes of the block and flush them; a unique index named in ``refusals`` that
    refuses one becomes that domain error. The index, not a prior read, decides between two
    requests racing for one value: this is the one place that turns it into "already in use"."""
    try:
        yield
        await session.flush()
    except IntegrityError as exc:
        refusal = refusals.get(violated_constraint(exc) or "")
        if refusal is None:
            raise
        raise (refusal() if callable(refusal) else refusal) from None


async def flush_unique(session: AsyncSession, refusals: Refusals) -> None:
    """Flush what the session holds, with ``unique_refusals``."""
    async with unique_refusals(session, refusals):
        pass
