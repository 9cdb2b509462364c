"""The message log: what operators and citizens read of it, and how long it is kept."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from kit.pagination import Page, PageRequest, paginate
from notifications import repository
from notifications.schemas import MessageAdmin, MessagePublic


async def operator_log(
    session: AsyncSession,
    page: PageRequest,
    *,
    user_id: uuid.UUID | None = None,
    email: str | None = None,
) -> Page[MessageAdmin]:
    """A citizen's messages by account or address (everyone's without filters), newest first.
    Secret-bearing bodies are never shown."""
    statement = repository.messages_to(user_id=user_id, email=email)
    return await paginate(session, statement, page, MessageAdmin.of)


async def messages_of_account(
    session: AsyncSession, user_id: uuid.UUID, page: PageRequest
) -> Page[MessagePublic]:
    """The messages recorded against a citizen's own account, newest first."""
    return await paginate(session, repository.messages_of_account(user_id), page, MessagePublic.of)


async def forget_settled_messages(session: AsyncSession, *, now: datetime, keep_days: int) -> int:
    """Retention: sent and given-up messages go ``keep_days`` after they were queued."""
    return await repository.delete_settled_before(session, now - timedelta(days=keep_days))
