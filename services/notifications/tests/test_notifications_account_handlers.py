"""The handlers of the events about a citizen's account, on a real database: each queues one
message to the citizen's address from the citizens read model, and an event about an account
this service has not heard of yet fails, to be retried, instead of being dropped."""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import col, select

from contracts import Envelope, Event
from contracts.events import EmailChanged, ProfileChanged, UserRegistered
from contracts.registry import parse_payload
from kit.consumer import EventHandlers
from kit.db import Database
from notifications.domain.attachments import InvalidAttachment
from notifications.domain.messages import MessageKind, MessageStatus
from notifications.handlers import CitizenNotKnownYet, build_handlers
from notifications.main import build_runtime
from notifications.models import Message, MessageAttachment
from notifications.settings import Settings

ACCOUNT_KINDS = [
    "certification_approved",
    "certification_rejected",
    "certification_expired",
    "plate_approved",
    "plate_rejected",
    "plate_dissociated",
    "subscription_approved",
    "subscription_rejected",
    "payment_reminder",
    "unpaid_request_expired",
    "payment_completed",
    "subscription_activated",
    "invoice_issued",
    "subscription_expiring",
    "subscription_expired",
    "subscription_revoked",
]
# Each kind from the newest version of its event, and from the earlier ones still handled.
ACCOUNT_EVENTS = [
    *[pytest.param(kind, None, id=kind) for kind in ACCOUNT_KINDS],
    pytest.param("invoice_issued", 1, id="invoice_issued.v1"),
    pytest.param("subscription_expiring", 1, id="subscription_expiring.v1"),
]
T0 = datetime(2026, 11, 30, 9, tzinfo=UTC)


@pytest.fixture(scope="module")
async def db(make_database) -> AsyncIterator[Database]:  # noqa: ANN001
    database = Database(await make_database("notifications_account", migrate="notifications"))
    yield database
    await database.dispose()


@pytest.fixture(scope="module")
def handlers(db: Database) -> EventHandlers:
    return build_handlers(build_runtime(Settings(environment="test", database_url=db.url)))


async def deliver(db: Database, handlers: EventHandlers, envelope: Envelope) -> None:
    """Run the event's handlers as the consumer does (payload parsed from the envelope, each
    handler in its own transaction) but without the inbox: a second delivery of the same
    envelope reaches the handler again."""
    event = parse_payload(envelope)
    for _, handler in handlers.handlers[envelope.routing_key]:
        async with db.session() as session:
            await handler(session, event, envelope)
            await session.commit()


def wrap(event: Event, at: datetime = T0) -> Envelope:
    return Envelope.wrap(event, correlation_id=uuid.uuid4().hex).model_copy(update={"occurred_at": at})


async def register(db: Database, handlers: EventHandlers, user_id: uuid.UUID, email: str) -> None:
    event = UserRegistered(
        user_id=user_id,
        email=email,
        tax_code="RSSMRA80A01B963X",
        first_name="Mario",
        last_name="Rossi",
        registered_at=T0,
    )
    await deliver(db, handlers, wrap(event))


async def messages_of(db: Database, event_id: uuid.UUID) -> list[Message]:
    async with db.session() as session:
        return list((await session.exec(select(Message).where(col(Message.event_id) == event_id))).all())


async def attachments_of(db: Database, message_id: uuid.UUID) -> list[MessageAttachment]:
    async with db.session() as session:
        query = select(MessageAttachment).where(col(MessageAttachment.message_id) == message_id)
        return list((await session.exec(query)).all())


def address() -> str:
    return f"cittadino.{uuid.uuid4().hex[:8]}@example.it"


@pytest.mark.parametrize(("kind", "version"), ACCOUNT_EVENTS)
async def test_an_account_event_queues_one_message_to_the_citizen_even_when_delivered_twice(
    db: Database,
    handlers: EventHandlers,
    account_event,  # noqa: ANN001
    kind: str,
    version: int | None,
) -> None:
    user_id, email = uuid.uuid4(), address()
    await register(db, handlers, user_id, email)
    envelope = wrap(account_event(kind, user_id, version=version), T0 + timedelta(days=1))

    await deliver(db, handlers, envelope)
    await deliver(db, handlers, envelope)  # the inbox is bypassed: the unique (event, kind) holds

    [message] = await messages_of(db, envelope.event_id)
    assert message.kind == MessageKind(kind).value
    assert (message.recipient, message.user_id) == (email, user_id)
    assert message.status == MessageStatus.PENDING
    assert message.text_body and "Gentile Mario Rossi," in message.text_body
    assert message.html_body and "Gentile Mario Rossi," in message.html_body
    assert message.expires_at is None


@pytest.mark.parametrize(("kind", "version"), ACCOUNT_EVENTS)
async def test_an_account_event_for_an_unknown_citizen_raises_to_be_retried_and_queues_nothing(
    db: Database,
    handlers: EventHandlers,
    account_event,  # noqa: ANN001
    kind: str,
    version: int | None,
) -> None:
    user_id = uuid.uuid4()
    envelope = wrap(account_event(kind, user_id, version=version))

    with pytest.raises(CitizenNotKnownYet) as raised:
        await deliver(db, handlers, envelope)
    assert raised.value.user_id == user_id
    assert await messages_of(db, envelope.event_id) == []

    # The retry after the registration arrived gives the message.
    await register(db, handlers, user_id, email := address())
    await deliver(db, handlers, envelope)
    [message] = await messages_of(db, envelope.event_id)
    assert message.recipient == email


async def test_the_message_goes_to_the_address_the_citizen_has_now(
    db: Database,
    handlers: EventHandlers,
    account_event,  # noqa: ANN001
) -> None:
    user_id, old, new = uuid.uuid4(), address(), address()
    await register(db, handlers, user_id, old)
    changed = ProfileChanged(
        user_id=user_id,
        email=new,
        tax_code="RSSMRA80A01B963X",
        first_name="Maria",
        last_name="Rossi",
        changed_at=T0 + timedelta(hours=1),
    )
    await deliver(db, handlers, wrap(changed, T0 + timedelta(hours=1)))
    envelope = wrap(account_event("payment_completed", user_id), T0 + timedelta(days=1))

    await deliver(db, handlers, envelope)

    [message] = await messages_of(db, envelope.event_id)
    assert message.recipient == new
    assert "Gentile Maria Rossi," in (message.text_body or "")


async def test_an_email_change_is_told_once_to_the_old_address_even_when_delivered_twice(
    db: Database, handlers: EventHandlers
) -> None:
    user_id, old, new = uuid.uuid4(), address(), address()
    await register(db, handlers, user_id, old)
    # The read model already holds the new address: the notice must not go there.
    moved = ProfileChanged(
        user_id=user_id,
        email=new,
        tax_code="RSSMRA80A01B963X",
        first_name="Mario",
        last_name="Rossi",
        changed_at=T0,
    )
    await deliver(db, handlers, wrap(moved))
    envelope = wrap(EmailChanged(user_id=user_id, old_email=old, new_email=new, changed_at=T0))

    await deliver(db, handlers, envelope)
    await deliver(db, handlers, envelope)

    [message] = await messages_of(db, envelope.event_id)
    assert (message.kind, message.recipient, message.user_id) == (
        MessageKind.EMAIL_CHANGED.value,
        old,
        user_id,
    )
    assert message.text_body and f"{new[0]}***@example.it" in message.text_body
    assert new not in message.text_body and new not in (message.html_body or "")


async def test_an_invoice_is_queued_with_its_pdf_once_even_when_delivered_twice(
    db: Database,
    handlers: EventHandlers,
    account_event,  # noqa: ANN001
    invoice_pdf: bytes,
) -> None:
    user_id = uuid.uuid4()
    await register(db, handlers, user_id, address())
    envelope = wrap(account_event("invoice_issued", user_id, pdf_filename="fattura-2027-000012.pdf"))

    await deliver(db, handlers, envelope)
    await deliver(db, handlers, envelope)

    [message] = await messages_of(db, envelope.event_id)
    [attachment] = await attachments_of(db, message.id)
    assert (attachment.position, attachment.filename) == (0, "fattura-2027-000012.pdf")
    assert attachment.content_type == "application/pdf"
    assert attachment.content == invoice_pdf


async def test_an_invoice_of_the_first_version_is_queued_without_attachment(
    db: Database,
    handlers: EventHandlers,
    account_event,  # noqa: ANN001
) -> None:
    user_id = uuid.uuid4()
    await register(db, handlers, user_id, address())
    envelope = wrap(account_event("invoice_issued", user_id, version=1))

    await deliver(db, handlers, envelope)

    [message] = await messages_of(db, envelope.event_id)
    assert message.kind == MessageKind.INVOICE_ISSUED
    assert await attachments_of(db, message.id) == []


async def test_an_invoice_whose_pdf_is_broken_raises_and_queues_nothing(
    db: Database,
    handlers: EventHandlers,
    account_event,  # noqa: ANN001
    invoice_pdf: bytes,
) -> None:
    user_id = uuid.uuid4()
    await register(db, handlers, user_id, address())
    truncated = base64.b64encode(invoice_pdf[:100]).decode()
    envelope = wrap(account_event("invoice_issued", user_id, pdf_base64=truncated))

    with pytest.raises(InvalidAttachment):
        await deliver(db, handlers, envelope)
    assert await messages_of(db, envelope.event_id) == []


async def test_the_expiry_reminder_counts_the_days_left_from_when_the_event_occurred(
    db: Database,
    handlers: EventHandlers,
    account_event,  # noqa: ANN001
) -> None:
    user_id = uuid.uuid4()
    await register(db, handlers, user_id, address())
    event = account_event("subscription_expiring", user_id, valid_until=date(2027, 1, 31), days_left=7)
    envelope = wrap(event, datetime(2027, 1, 27, 9, tzinfo=UTC))  # met late: 4 days before the end

    await deliver(db, handlers, envelope)

    [message] = await messages_of(db, envelope.event_id)
    assert message.subject == "Caserta Sosta – Il tuo abbonamento scade il 31/01/2027"
    assert "scade tra 4 giorni" in " ".join((message.text_body or "").split())
