"""Database access of the notifications service: the messages log and the citizens read model."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, func, or_
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts import Envelope
from kit.wakeup import notify
from notifications.domain.attachments import Attachment
from notifications.domain.emails import Email, Recipient
from notifications.domain.messages import MessageKind, MessageStatus
from notifications.models import MESSAGES_CHANNEL, Message, MessageAttachment, citizens

_MESSAGE_IDS = uuid.uuid5(uuid.NAMESPACE_URL, "https://parkingcaserta.it/notifications/messages")


def message_id_for(event_id: uuid.UUID, kind: MessageKind) -> uuid.UUID:
    """The same event and kind always give the same id, hence the same Message-ID header."""
    return uuid.uuid5(_MESSAGE_IDS, f"{event_id}/{kind}")


async def add_message(session: AsyncSession, email: Email, envelope: Envelope) -> uuid.UUID | None:
    """Queue ``email`` and its attachments for the sender in the session's transaction; None
    when this event already produced a message of this kind (its attachments are not written
    again)."""
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
    if email.attachments:
        await session.exec(
            insert(MessageAttachment).values(
                [
                    {
                        "message_id": message_id,
                        "position": position,
                        "filename": attachment.filename,
                        "content_type": attachment.content_type,
                        "content": attachment.content,
                    }
                    for position, attachment in enumerate(email.attachments)
                ]
            )
        )
    await notify(session, MESSAGES_CHANNEL)
    return message_id


async def attachments_of(
    session: AsyncSession, message_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, list[Attachment]]:
    """The attachments of each of ``message_ids`` that has any, in their order."""
    if not message_ids:
        return {}
    rows = (
        await session.exec(
            select(MessageAttachment)
            .where(col(MessageAttachment.message_id).in_(message_ids))
            .order_by(col(MessageAttachment.message_id), col(MessageAttachment.position))
        )
    ).all()
    found: dict[uuid.UUID, list[Attachment]] = {}
    for row in rows:
        found.setdefault(row.message_id, []).append(Attachment(row.filename, row.content_type, row.content))
    return found


async def forget_attachments(session: AsyncSession, message_ids: Collection[uuid.UUID]) -> None:
    """Delete the attachments of messages that will not be sent again."""
    if message_ids:
        attached = col(MessageAttachment.message_id)
        await session.exec(delete(MessageAttachment).where(attached.in_(message_ids)))


async def citizen(session: AsyncSession, user_id: uuid.UUID) -> Recipient | None:
    """Where e-mails about ``user_id``'s account go, as identity last told us; None when its
    registration has not reached this service yet."""
    row = (
        await session.exec(
            select(citizens.c.email, citizens.c.first_name, citizens.c.last_name).where(
                citizens.c.user_id == user_id
            )
        )
    ).first()
    return None if row is None else Recipient(user_id, row.email, row.first_name, row.last_name)


def _newest_first(statement: Select[Any]) -> Select[Any]:
    return statement.order_by(col(Message.created_at).desc(), col(Message.id).desc())


def messages_to(*, user_id: uuid.UUID | None = None, email: str | None = None) -> Select[Any]:
    """Messages to a citizen, newest first; without filters, everyone's. A citizen is found by
    account or by address: ``user_id`` also matches the messages sent to the account's address
    before the account existed (the registration OTP), ``email`` also matches the messages of
    the account that has that address."""
    recipient = func.lower(col(Message.recipient))
    conditions: list[ColumnElement[bool]] = []
    if user_id is not None:
        addresses = select(func.lower(citizens.c.email)).where(citizens.c.user_id == user_id)
        conditions.append(or_(col(Message.user_id) == user_id, recipient.in_(addresses)))
    if email is not None:
        address = email.strip().lower()
        accounts = select(citizens.c.user_id).where(func.lower(citizens.c.email) == address)
        conditions.append(or_(recipient == address, col(Message.user_id).in_(accounts)))
    return _newest_first(select(Message).where(*conditions))


def messages_of_account(user_id: uuid.UUID) -> Select[Any]:
    """Messages recorded against the account, newest first."""
    return _newest_first(select(Message).where(col(Message.user_id) == user_id))


async def delete_settled_before(session: AsyncSession, cutoff: datetime) -> int:
    """Delete the sent and given-up messages queued before ``cutoff``; how many went."""
    result = await session.exec(
        delete(Message)
        .where(col(Message.status) != MessageStatus.PENDING)
        .where(col(Message.created_at) < cutoff)
    )
    return result.rowcount or 0
