"""Tables owned by the notifications service."""

import uuid
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlmodel import Field

from kit.models import service_base
from kit.readmodel import citizens_table
from notifications.domain.messages import MessageStatus

Base = service_base()
metadata = Base.metadata

# Read model: citizens' contact data, kept from identity's events.
citizens = citizens_table(metadata)

# NOTIFY channel that wakes the sender when a message is committed.
MESSAGES_CHANNEL = "notifications_messages"


class Message(Base, table=True):
    """One e-mail: written by an event handler, delivered by the background sender.

    The id is derived from (event_id, kind), so the Message-ID header is stable across
    retries and a redelivered event can never make a second row.
    """

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("event_id", "kind", name="uq_messages_event_kind"),
        # The sender only scans due pending rows: keep that index small.
        Index(
            "ix_messages_pending",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
        ),
        CheckConstraint("status IN ('pending', 'sent', 'failed')", name="ck_messages_status"),
    )

    id: uuid.UUID = Field(primary_key=True)
    event_id: uuid.UUID
    kind: str = Field(max_length=30)
    user_id: uuid.UUID | None = Field(default=None, index=True)
    recipient: str = Field(max_length=320)
    subject: str = Field(max_length=300)
    # Secret-bearing bodies (OTP, links) are blanked once the message is settled.
    text_body: str | None = Field(default=None, sa_column=Column(Text))
    html_body: str | None = Field(default=None, sa_column=Column(Text))
    status: str = Field(
        default=MessageStatus.PENDING, max_length=10, sa_column_kwargs={"server_default": "pending"}
    )
    attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    correlation_id: str | None = Field(default=None, max_length=128)
    created_at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now())
    )
    next_attempt_at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now())
    )
    sent_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    # The code or link inside stops working at this time: not delivered after it.
    expires_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    last_error: str | None = Field(default=None, sa_column=Column(Text))


class MessageAttachment(Base, table=True):
    """A file sent with a message (the invoice's PDF), written with it by the handler.

    Kept only while the message may still be sent: the sender deletes it once the message is
    sent or given up (the service that issued the file keeps the original), and it goes with its
    message in any case.
    """

    __tablename__ = "message_attachments"

    message_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True)
    )
    position: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    filename: str = Field(max_length=255)
    content_type: str = Field(max_length=100)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False), repr=False)


# Operators look messages up by address, whatever its case.
Index("ix_messages_recipient_lower", func.lower(Message.__table__.c.recipient))  # type: ignore[attr-defined]
