"""Read models converge to the newest event whatever the delivery order."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Boolean, Column, Date, MetaData, String, Table, Uuid, select

from contracts import Envelope
from contracts.events import ProfileChanged, UserRegistered
from kit.consumer import EventHandlers
from kit.db import Database
from kit.readmodel import apply_newer, citizens_table, keep_citizens, version_column
from kit.testing.pipeline import create_tables

metadata = MetaData()
citizens = citizens_table(metadata)
permits = Table(
    "permits",
    metadata,
    Column("permit_id", Uuid, primary_key=True),
    Column("user_id", Uuid, nullable=False),
    Column("sector", String(20)),
    Column("valid_until", Date),
    Column("expired", Boolean, nullable=False),
    version_column(),
)
T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)


def envelope_of(event, at: datetime) -> Envelope:  # noqa: ANN001
    envelope = Envelope.wrap(event, correlation_id="test")
    return envelope.model_copy(update={"occurred_at": at})


@pytest.fixture
async def db(make_database):  # noqa: ANN001, ANN201
    url = await make_database("readmodel")
    await create_tables(url, metadata)
    database = Database(url)
    yield database
    await database.dispose()


async def deliver(db: Database, handlers: EventHandlers, event, at: datetime) -> None:  # noqa: ANN001
    envelope = envelope_of(event, at)
    async with db.session() as session:
        for _, handler in handlers.handlers[envelope.routing_key]:
            await handler(session, event, envelope)
        await session.commit()


@pytest.mark.parametrize("order", ["in order", "reversed"])
async def test_profile_events_in_any_order_leave_the_newest_profile(db: Database, order: str) -> None:
    handlers = EventHandlers()
    keep_citizens(handlers, citizens)
    user_id = uuid.uuid4()
    registered = UserRegistered(
        user_id=user_id,
        email="vecchia@example.it",
        tax_code="RSSMRA80A01B963Z",
        first_name="Mario",
        last_name="Rossi",
        registered_at=T0,
    )
    changed = ProfileChanged(
        user_id=user_id,
        email="nuova@example.it",
        tax_code="RSSMRA80A01B963Z",
        first_name="Mario",
        last_name="Rossi",
        changed_at=T0 + timedelta(hours=1),
    )
    deliveries = [(registered, T0), (changed, T0 + timedelta(hours=1))]
    if order == "reversed":
        deliveries.reverse()
    for event, at in deliveries:
        await deliver(db, handlers, event, at)
    # A redelivery of the older event changes nothing either.
    await deliver(db, handlers, registered, T0)
    async with db.session() as session:
        row = (await session.exec(select(citizens).where(citizens.c.user_id == user_id))).one()
    assert row.email == "nuova@example.it"


async def apply_approved(db: Database, permit_id: uuid.UUID, user_id: uuid.UUID, at: datetime) -> None:
    async with db.session() as session:
        await apply_newer(
            session,
            permits,
            key={"permit_id": permit_id},
            version=at,
            facts={"user_id": user_id, "sector": "A1", "valid_until": date(2026, 12, 31)},
            state={"expired": False},
        )
        await session.commit()


async def apply_expired(db: Database, permit_id: uuid.UUID, user_id: uuid.UUID, at: datetime) -> None:
    async with db.session() as session:
        await apply_newer(
            session,
            permits,
            key={"permit_id": permit_id},
            version=at,
            facts={"user_id": user_id},
            state={"expired": True},
        )
        await session.commit()


@pytest.mark.parametrize("order", ["in order", "reversed"])
async def test_an_expiry_delivered_before_its_approval_still_ends_expired_and_complete(
    db: Database, order: str
) -> None:
    permit_id, user_id = uuid.uuid4(), uuid.uuid4()
    steps = [(apply_approved, T0), (apply_expired, T0 + timedelta(days=300))]
    if order == "reversed":
        steps.reverse()
    for step, at in steps:
        await step(db, permit_id, user_id, at)
    async with db.session() as session:
        row = (await session.exec(select(permits).where(permits.c.permit_id == permit_id))).one()
    assert row.expired is True
    assert (row.sector, row.valid_until) == ("A1", date(2026, 12, 31))
    assert row.source_version == T0 + timedelta(days=300)
