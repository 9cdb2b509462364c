"""The read model of certifications and plates converges whatever the delivery order, and a
redelivered event changes nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from itertools import permutations

import pytest
from sqlmodel import select

from contracts import Envelope, Event
from contracts.events import (
    CertificationExpired,
    CertificationRequestApproved,
    PlateDissociated,
    PlateRequestApproved,
)
from kit.db import Database
from subscriptions.handlers import build_handlers
from subscriptions.main import build_runtime
from subscriptions.models import CitizenCertification, CitizenPlate
from subscriptions.settings import Settings

T0 = datetime(2026, 1, 10, 9, tzinfo=UTC)


@pytest.fixture(scope="module")
async def database_url(make_database) -> str:  # noqa: ANN001
    return await make_database("subs_order", migrate="subscriptions")


async def deliver(db: Database, event: Event, at: datetime) -> None:
    handlers = build_handlers(build_runtime(Settings(database_url=db.url)))
    envelope = Envelope.wrap(event, correlation_id="test").model_copy(update={"occurred_at": at})
    async with db.session() as session:
        for _, handler in handlers.handlers[envelope.routing_key]:
            await handler(session, event, envelope)
        await session.commit()


@pytest.mark.parametrize("order", list(permutations(range(3))))
async def test_certification_events_in_any_order_leave_it_expired_with_its_details(
    database_url: str, order: tuple[int, ...]
) -> None:
    db = Database(database_url)
    certification_id, user_id = uuid.uuid4(), uuid.uuid4()
    approved = CertificationRequestApproved(
        request_id=uuid.uuid4(),
        certification_id=certification_id,
        user_id=user_id,
        sector_code="A1",
        sector_name="Settore A1",
        valid_from=date(2026, 1, 10),
        valid_until=date(2026, 12, 31),
        decided_at=T0,
    )
    expired = CertificationExpired(
        certification_id=certification_id, user_id=user_id, sector_code="A1", expired_on=date(2026, 12, 31)
    )
    deliveries = [
        (approved, T0),
        (expired, T0 + timedelta(days=355)),
        (approved, T0),
    ]  # the last: a redelivery
    for index in order:
        await deliver(db, *deliveries[index])
    async with db.session() as session:
        row = (
            await session.exec(
                select(CitizenCertification).where(CitizenCertification.certification_id == certification_id)
            )
        ).one()
    assert row.expired is True
    assert (row.sector_name, row.valid_from, row.valid_until) == (
        "Settore A1",
        date(2026, 1, 10),
        date(2026, 12, 31),
    )
    await db.dispose()


@pytest.mark.parametrize("reverse", [False, True])
async def test_a_dissociation_delivered_before_its_approval_leaves_the_plate_inactive(
    database_url: str, reverse: bool
) -> None:
    db = Database(database_url)
    plate_id, user_id = uuid.uuid4(), uuid.uuid4()
    approved = PlateRequestApproved(
        request_id=uuid.uuid4(),
        plate_id=plate_id,
        user_id=user_id,
        plate="AB123CD",
        make="Fiat",
        model="Panda",
        electric=True,
        decided_at=T0,
    )
    dissociated = PlateDissociated(
        plate_id=plate_id, user_id=user_id, plate="AB123CD", dissociated_at=T0 + timedelta(days=3)
    )
    deliveries = [(approved, T0), (dissociated, T0 + timedelta(days=3))]
    if reverse:
        deliveries.reverse()
    for event, at in deliveries:
        await deliver(db, event, at)
    async with db.session() as session:
        row = (await session.exec(select(CitizenPlate).where(CitizenPlate.plate_id == plate_id))).one()
    assert row.active is False
    assert (row.make, row.model, row.electric) == ("Fiat", "Panda", True)
    await db.dispose()
