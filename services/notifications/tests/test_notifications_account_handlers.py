"""The handlers of the events about a citizen's account, on a real database: each queues one
message to the citizen's address from the citizens read model, and an event about an account
this service has not heard of yet fails, to be retried, instead of being dropped."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from contracts import Envelope, Event
from contracts.events import ProfileChanged, UserRegistered
from contracts.registry import parse_payload
from kit.consumer import EventHandlers
from kit.db import Database
from notifications.domain.messages import MessageKind, MessageStatus
from notifications.handlers import CitizenNotKnownYet, build_handlers
from notifications.main import build_runtime
from notifications.models import Message
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


def address() -> str:
    return f"cittadino.{uuid.uuid4().hex[:8]}@example.it"


@pytest.mark.parametrize("kind", ACCOUNT_KINDS)
async def test_an_account_event_queues_one_message_to_the_citizen_even_when_delivered_twice(
    db: Database,
    handlers: EventHandlers,
    account_event,  # noqa: ANN001
    kind: str,
) -> None:
    user_id, email = uuid.uuid4(), address()
    await register(db, handlers, user_id, email)
    envelope = wrap(account_event(kind, user_id), T0 + timedelta(days=1))

    await deliver(db, handlers, envelope)
    await deliver(db, handlers, envelope)  # the inbox is bypassed: the unique (event, kind) holds

    [message] = await messages_of(db, envelope.event_id)
    assert message.kind == MessageKind(kind).value
    assert (message.recipient, message.user_id) == (email, user_id)
    assert message.status == MessageStatus.PENDING
    assert message.text_body and "Gentile Mario Rossi," in message.text_body
    assert message.html_body and "Gentile Mario Rossi," in message.html_body
    assert message.expires_at is None


@pytest.mark.parametrize("kind", ACCOUNT_KINDS)
async def test_an_account_event_for_an_unknown_citizen_raises_to_be_retried_and_queues_nothing(
    db: Database,
    handlers: EventHandlers,
    account_event,  # noqa: ANN001
    kind: str,
) -> None:
    user_id = uuid.uuid4()
    envelope = wrap(account_event(kind, user_id))

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
