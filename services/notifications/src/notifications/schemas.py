"""What the HTTP API shows of a message: never a secret-bearing body."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from notifications.domain.messages import visible_body
from notifications.models import Message


class MessagePublic(BaseModel):
    """A message as its recipient sees it in the list of their own messages."""

    id: uuid.UUID
    kind: str = Field(
        description="otp, welcome, reset, email_change; certification_approved|rejected|expired, "
        "plate_approved|rejected|dissociated, subscription_approved|rejected|activated, "
        "payment_reminder, unpaid_request_expired, payment_completed, invoice_issued, "
        "subscription_expiring|expired|revoked"
    )
    recipient: str
    subject: str
    status: str = Field(description="pending (in coda), sent (inviato), failed (non consegnato)")
    created_at: datetime
    sent_at: datetime | None
    body: str | None = Field(description="Testo del messaggio, o «[contenuto riservato]»")

    @classmethod
    def of(cls, message: Message) -> MessagePublic:
        return cls(
            id=message.id,
            kind=message.kind,
            recipient=message.recipient,
            subject=message.subject,
            status=message.status,
            created_at=message.created_at,
            sent_at=message.sent_at,
            body=visible_body(message.kind, message.text_body),
        )


class MessageAdmin(MessagePublic):
    """What an operator sees: also the account, the causing event and the delivery attempts."""

    user_id: uuid.UUID | None
    event_id: uuid.UUID
    attempts: int
    last_error: str | None

    @classmethod
    def of(cls, message: Message) -> MessageAdmin:
        return cls(
            **MessagePublic.of(message).model_dump(),
            user_id=message.user_id,
            event_id=message.event_id,
            attempts=message.attempts,
            last_error=message.last_error,
        )
