"""Database access of the notifications service: the messages log and the citizens read model."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, false, func, or_
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts import Envelope
from kit.wakeup import notify
from notifications.emails import Email
from notifications.models import MESSAGES_CHANNEL, Message, MessageKind, citizens

_MESSAGE_IDS = uuid.uuid5(uuid.NAMESPACE_URL, "https://parkingcaserta.it/notifications/messages")


def message_id_for(event_id: uuid.UUID, kind: MessageKind) -> uuid.UUID:
    """The same event and kind always give the same id, hence the same Message-ID header."""
    return uuid.uuid5(_MESSAGE_IDS, f"{event_id}/{kind}")


async def add_message(session: AsyncSession, email: Email, envelope: Envelope) -> uuid.UUID | None:
    """Queue ``email`` for the sender in the session's transaction; None when this event
    already produced a message of this kind."""
    message_id = message_id_for(envelope.event_id, email.kind)
    result = await session.exec(
        insert(Message)
        .values(
            id=message_id,
            event_id=envelope.event_id,
            kind=email.kind.value,
            user_id=email.user_id,
            recipient=email.recipient,
            subject=email.subject,
            text_body=email.text,
            html_body=email.html,
            expires_at=email.expires_at,
            correlation_id=envelope.correlation_id,
        )
        .on_conflict_do_nothing()
        .returning(Message.__table__.c.id)  # type: ignore[attr-defined]
    )
    if result.first() is None:
        return None
    await notify(session, MESSAGES_CHANNEL)
    return message_id


async def _emails_of(session: AsyncSession, user_id: uuid.UUID) -> list[str]:
    rows = await session.exec(select(citizens.c.email).where(citizens.c.user_id == user_id))
    return [email.lower() for email in rows.all()]


async def _users_with(session: AsyncSession, email: str) -> list[uuid.UUID]:
    rows = await session.exec(select(citizens.c.user_id).where(func.lower(citizens.c.email) == email.lower()))
    return list(rows.all())


async def find_messages(
    session: AsyncSession,
    *,
    user_id: uuid.UUID | None = None,
    email: str | None = None,
    limit: int = 50,
) -> Sequence[Message]:
    """Newest first. A citizen is found by account or by address: ``user_id`` also matches
    the messages sent to the account's address before the account existed (the registration
    OTP), ``email`` also matches the messages of the account that has that address."""
    recipient = func.lower(col(Message.recipient))
    conditions: list[ColumnElement[bool]] = []
    if user_id is not None:
        addresses = await _emails_of(session, user_id)
        conditions.append(
            or_(col(Message.user_id) == user_id, recipient.in_(addresses) if addresses else false())
        )
    if email is not None:
        accounts = await _users_with(session, email)
        of_account = col(Message.user_id).in_(accounts) if accounts else false()
        conditions.append(or_(recipient == email.strip().lower(), of_account))
    query = (
        select(Message)
        .where(*conditions)
        .order_by(col(Message.created_at).desc(), col(Message.id).desc())
        .limit(limit)
    )
    return (await session.exec(query)).all()


async def messages_of_account(session: AsyncSession, user_id: uuid.UUID, limit: int) -> Sequence[Message]:
    query = (
        select(Message)
        .where(col(Message.user_id) == user_id)
        .order_by(col(Message.created_at).desc(), col(Message.id).desc())
        .limit(limit)
    )
    return (await session.exec(query)).all()
