"""Subscriptions learns citizens' certifications and plates from the other services' events,
published through their real outbox relay."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime

from sqlmodel import select

from certification.main import create_app as create_certification
from certification.settings import Settings as CertificationSettings
from contracts.events import (
    CertificationExpired,
    CertificationRequestApproved,
    PlateDissociated,
    PlateRequestApproved,
)
from kit.outbox import emit
from kit.testing.services import running_service
from subscriptions.main import create_app as create_subscriptions
from subscriptions.models import CitizenCertification, CitizenPlate
from subscriptions.settings import Settings as SubscriptionsSettings
from vehicles.main import create_app as create_vehicles
from vehicles.settings import Settings as VehiclesSettings


async def eventually(check, timeout_s: float = 10.0):  # noqa: ANN001, ANN201
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        result = await check()
        if result or asyncio.get_running_loop().time() > deadline:
            return result
        await asyncio.sleep(0.05)


async def test_certifications_and_plates_reach_the_read_model(make_database, service_env) -> None:  # noqa: ANN001
    certification = create_certification(
        CertificationSettings(
            database_url=await make_database("cert", migrate="certification"), **service_env
        )
    )
    vehicles = create_vehicles(
        VehiclesSettings(database_url=await make_database("veh", migrate="vehicles"), **service_env)
    )
    subscriptions = create_subscriptions(
        SubscriptionsSettings(
            database_url=await make_database("subs", migrate="subscriptions"), **service_env
        )
    )
    user_id, certification_id, plate_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    now = datetime.now(UTC)
    async with (
        running_service(subscriptions),
        running_service(certification),
        running_service(vehicles),
    ):
        async with certification.state.db.session() as session:
            await emit(
                session,
                CertificationRequestApproved(
                    request_id=uuid.uuid4(),
                    certification_id=certification_id,
                    user_id=user_id,
                    sector_code="A1",
                    sector_name="Settore A1 – Centro storico",
                    valid_from=date(2026, 1, 1),
                    valid_until=date(2026, 12, 31),
                    decided_at=now,
                ),
            )
            await session.commit()
        async with vehicles.state.db.session() as session:
            await emit(
                session,
                PlateRequestApproved(
                    request_id=uuid.uuid4(),
                    plate_id=plate_id,
                    user_id=user_id,
                    plate="AB123CD",
                    make="Fiat",
                    model="500e",
                    electric=True,
                    decided_at=now,
                ),
            )
            await session.commit()

        async def both() -> tuple[CitizenCertification | None, CitizenPlate | None] | None:
            async with subscriptions.state.db.session() as session:
                cert = (await session.exec(select(CitizenCertification))).first()
                plate = (await session.exec(select(CitizenPlate))).first()
            return (cert, plate) if cert and plate else None

        found = await eventually(both)
        assert found is not None
        cert, plate = found
        assert (cert.user_id, cert.sector_code, cert.expired) == (user_id, "A1", False)
        assert (plate.plate, plate.electric, plate.active) == ("AB123CD", True, True)

        async with certification.state.db.session() as session:
            await emit(
                session,
                CertificationExpired(
                    certification_id=certification_id,
                    user_id=user_id,
                    sector_code="A1",
                    expired_on=date(2026, 12, 31),
                ),
            )
            await session.commit()
        async with vehicles.state.db.session() as session:
            await emit(
                session,
                PlateDissociated(plate_id=plate_id, user_id=user_id, plate="AB123CD", dissociated_at=now),
            )
            await session.commit()

        async def withdrawn() -> bool:
            async with subscriptions.state.db.session() as session:
                cert = await session.get(CitizenCertification, certification_id, populate_existing=True)
                plate = await session.get(CitizenPlate, plate_id, populate_existing=True)
            return bool(cert and cert.expired and plate and not plate.active)

        assert await eventually(withdrawn)
