"""The subscriptions service under test: a real migrated database, the real broker, the app run
in-process with a test token issuer. The read model is fed by calling the service's own
handlers with envelopes, as the consumer would. Helpers come as fixtures (tests import
nothing from here)."""

from __future__ import annotations

import asyncio
import itertools
import random
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from contracts import Envelope, Event
from contracts.events import (
    CertificationExpired,
    CertificationRequestApproved,
    PaymentCompleted,
    PlateDissociated,
    PlateRequestApproved,
)
from kit.clock import Clock, SystemClock
from kit.db import Database, outbox_table
from kit.testing.services import running_service
from kit.testing.tokens import TestIssuer
from kit.uow import unit_of_work
from subscriptions import repository
from subscriptions.__main__ import seed_types
from subscriptions.domain.periods import Period, local_date
from subscriptions.domain.tickets import ticket_serial
from subscriptions.handlers import build_handlers
from subscriptions.main import build_runtime, create_app
from subscriptions.models import CitizenPlate, Subscription, SubscriptionRequest, Ticket
from subscriptions.runtime import Runtime
from subscriptions.settings import Settings

PREFIX = "/api/subscriptions"
# The example catalogue (`python -m subscriptions seed`) every shared-app test relies on.
ANNUAL, SEMESTER, ELECTRIC = "RES-ANNUALE", "RES-SEMESTRALE", "ELETTRICA-ANNUALE"

_plates = itertools.count(random.randrange(100, 900))
# Letters of Italian plates since 1994 (no I, O, Q, U).
_LETTERS = "ABCDEFGHJKLMNPRSTVWXYZ"


def unique_plate() -> str:
    """A plate nobody else in this run has."""
    n = next(_plates)
    a, b, c, d = (random.choice(_LETTERS) for _ in range(4))
    return f"{a}{b}{n % 1000:03d}{c}{d}"


@dataclass
class Citizen:
    user_id: uuid.UUID
    headers: dict[str, str]


@dataclass
class Subs:
    """One running subscriptions app and what tests need around it."""

    app: FastAPI
    client: httpx.AsyncClient
    issuer: TestIssuer
    settings: Settings
    handlers: Any = field(init=False)

    def __post_init__(self) -> None:
        self.handlers = build_handlers(self.runtime)

    @property
    def runtime(self) -> Runtime:
        return self.app.state.runtime

    @property
    def db(self) -> Database:
        return self.runtime.db

    def url(self, path: str) -> str:
        return f"{PREFIX}{path}"

    def today(self) -> date:
        return local_date(self.runtime.clock.now())

    # People.

    def citizen(self) -> Citizen:
        user_id = uuid.uuid4()
        return Citizen(user_id, self.issuer.headers(user_id, "citizen"))

    def operator(self) -> dict[str, str]:
        return self.issuer.headers(uuid.uuid4(), "operator", email="operatore@comune.caserta.it")

    def admin(self) -> dict[str, str]:
        return self.issuer.headers(uuid.uuid4(), "admin", email="admin@comune.caserta.it")

    # The read model, fed as the consumer feeds it.

    async def deliver(self, event: Event, at: datetime | None = None) -> None:
        envelope = Envelope.wrap(event, correlation_id="test")
        if at is not None:
            envelope = envelope.model_copy(update={"occurred_at": at})
        async with unit_of_work(self.db) as session:
            for _, handler in self.handlers.handlers[envelope.routing_key]:
                await handler(session, event, envelope)

    async def certification(
        self,
        citizen: Citizen,
        sector_code: str = "S1",
        *,
        valid_from: date | None = None,
        valid_until: date | None = None,
    ) -> uuid.UUID:
        certification_id = uuid.uuid4()
        today = self.today()
        await self.deliver(
            CertificationRequestApproved(
                request_id=uuid.uuid4(),
                certification_id=certification_id,
                user_id=citizen.user_id,
                sector_code=sector_code,
                sector_name=f"Settore {sector_code}",
                valid_from=valid_from or today - timedelta(days=30),
                valid_until=valid_until or today + timedelta(days=300),
                decided_at=datetime.now(UTC),
            )
        )
        return certification_id

    async def expire_certification(self, citizen: Citizen, certification_id: uuid.UUID) -> None:
        await self.deliver(
            CertificationExpired(
                certification_id=certification_id,
                user_id=citizen.user_id,
                sector_code="S1",
                expired_on=self.today(),
            ),
            at=datetime.now(UTC) + timedelta(seconds=1),
        )

    async def plate(self, citizen: Citizen, *, electric: bool = False, plate: str | None = None) -> uuid.UUID:
        plate_id = uuid.uuid4()
        await self.deliver(
            PlateRequestApproved(
                request_id=uuid.uuid4(),
                plate_id=plate_id,
                user_id=citizen.user_id,
                plate=plate or unique_plate(),
                make="Fiat",
                model="500e" if electric else "Panda",
                electric=electric,
                decided_at=datetime.now(UTC),
            )
        )
        return plate_id

    async def dissociate(self, citizen: Citizen, plate_id: uuid.UUID, plate: str) -> None:
        await self.deliver(
            PlateDissociated(
                plate_id=plate_id, user_id=citizen.user_id, plate=plate, dissociated_at=datetime.now(UTC)
            ),
            at=datetime.now(UTC) + timedelta(seconds=1),
        )

    async def resident(
        self, sector_code: str = "S1", *, electric: bool = False
    ) -> tuple[Citizen, uuid.UUID, uuid.UUID]:
        """A citizen with a valid certification and an associated plate."""
        citizen = self.citizen()
        return (
            citizen,
            await self.certification(citizen, sector_code),
            await self.plate(citizen, electric=electric),
        )

    async def add_subscription(
        self,
        citizen: Citizen,
        plate_id: uuid.UUID,
        period: Period,
        *,
        certification_id: uuid.UUID | None = None,
    ) -> uuid.UUID:
        """A subscription of the plate for ``period``, as a paid request leaves it (sent with
        ``certification_id``, when given)."""
        async with unit_of_work(self.db) as session:
            plate = await session.get(CitizenPlate, plate_id)
            assert plate is not None
            request = SubscriptionRequest(
                user_id=citizen.user_id,
                kind="resident",
                certification_id=certification_id,
                plate_id=plate_id,
                plate=plate.plate,
                sector_code="S1",
                sector_name="Settore S1",
                subscription_type_code=ANNUAL,
                subscription_type_name="Residenti – annuale",
                duration_months=12,
                amount_cents=6000,
                vat_rate=Decimal(22),
                valid_from=period.valid_from,
                valid_until=period.valid_until,
                description="Abbonamento di prova",
                status="paid",
            )
            session.add(request)
            await session.flush()
            year = local_date(self.runtime.clock.now()).year
            subscription = Subscription(
                request_id=request.id,
                serial=ticket_serial(year, await repository.allocate_ticket_serial(session, year)),
                user_id=citizen.user_id,
                plate_id=plate_id,
                plate=plate.plate,
                sector_code="S1",
                sector_name="Settore S1",
                subscription_type_code=ANNUAL,
                subscription_type_name="Residenti – annuale",
                valid_from=period.valid_from,
                valid_until=period.valid_until,
            )
            session.add(subscription)
        return subscription.id

    # The API.

    async def request(
        self, citizen: Citizen, certification_id: uuid.UUID, plate_id: uuid.UUID, type_code: str = ANNUAL
    ) -> httpx.Response:
        return await self.client.post(
            self.url("/requests"),
            json={
                "certification_id": str(certification_id),
                "plate_id": str(plate_id),
                "subscription_type_code": type_code,
            },
            headers=citizen.headers,
        )

    async def submitted(
        self, citizen: Citizen, certification_id: uuid.UUID, plate_id: uuid.UUID, type_code: str = ANNUAL
    ) -> dict[str, Any]:
        response = await self.request(citizen, certification_id, plate_id, type_code)
        assert response.status_code == 201, response.text
        return response.json()

    async def approve(self, request_id: str, headers: dict[str, str] | None = None) -> httpx.Response:
        return await self.client.post(
            self.url(f"/admin/requests/{request_id}/approve"), json={}, headers=headers or self.operator()
        )

    async def approved(self, request_id: str) -> dict[str, Any]:
        response = await self.approve(request_id)
        assert response.status_code == 200, response.text
        return response.json()

    async def active_subscription(
        self, citizen: Citizen, certification_id: uuid.UUID, plate_id: uuid.UUID, type_code: str = ANNUAL
    ) -> dict[str, Any]:
        """A subscription through the whole path: request, approval, payment. Its list item."""
        request = await self.submitted(citizen, certification_id, plate_id, type_code)
        approved = await self.approved(request["id"])
        if approved["status"] == "approved":
            await self.deliver(self.payment(approved))
        return await self.my_subscription(citizen, request_id=request["id"])

    async def my_subscription(self, citizen: Citizen, **match: Any) -> dict[str, Any]:
        """The citizen's subscription (list item) whose fields match."""
        listed = await self.client.get(self.url("/subscriptions?limit=100"), headers=citizen.headers)
        assert listed.status_code == 200, listed.text
        (found,) = [s for s in listed.json()["items"] if all(s[k] == v for k, v in match.items())]
        return found

    async def ticket(self, subscription_id: Any, headers: dict[str, str]) -> httpx.Response:
        return await self.client.get(self.url(f"/subscriptions/{subscription_id}/ticket"), headers=headers)

    async def keys_document(self) -> dict[str, Any]:
        response = await self.client.get(self.url("/.well-known/ticket-keys.json"))
        assert response.status_code == 200, response.text
        return response.json()

    async def token_of(self, subscription_id: Any) -> str:
        """The token the subscription's ticket was issued with (its QR code's text)."""
        async with self.db.session() as session:
            ticket = await session.get(Ticket, uuid.UUID(str(subscription_id)))
            assert ticket is not None
            return ticket.token

    # What the service wrote.

    async def payloads(self, routing_key: str, **match: Any) -> list[dict[str, Any]]:
        async with self.db.engine.connect() as conn:
            rows = await conn.execute(
                select(outbox_table.c.body)
                .where(outbox_table.c.routing_key == routing_key)
                .order_by(outbox_table.c.id)
            )
            bodies = [row.body for row in rows]
        return [b["payload"] for b in bodies if all(b["payload"].get(k) == v for k, v in match.items())]

    async def subscriptions_of_request(self, request_id: str | uuid.UUID) -> list[Subscription]:
        async with self.db.session() as session:
            rows = await session.exec(
                select(Subscription).where(Subscription.request_id == uuid.UUID(str(request_id)))
            )
            return list(rows.scalars().all())

    async def stored_request(self, request_id: str | uuid.UUID) -> SubscriptionRequest:
        async with self.db.session() as session:
            found = await session.get(SubscriptionRequest, uuid.UUID(str(request_id)))
            assert found is not None
            return found

    async def publish(self, event: Event, envelope: Envelope | None = None) -> Envelope:
        """Publish an event on the exchange, as its producer's relay would: the app's consumer
        takes it from its queue."""
        envelope = envelope or Envelope.wrap(event, correlation_id=f"test-{uuid.uuid4().hex[:8]}")
        await self.app.state.broker.publish(
            envelope.model_dump_json().encode(),
            routing_key=envelope.routing_key,
            message_id=str(envelope.event_id),
            correlation_id=envelope.correlation_id,
            event_type=envelope.type,
        )
        return envelope

    async def consumed(self, count: int, *, since: int, timeout_s: float = 15.0) -> None:
        """Wait until the consumer settled ``count`` more messages than ``since``."""
        consumer = self.app.state.consumer
        async with asyncio.timeout(timeout_s):
            while consumer.handled + consumer.dead_lettered < since + count:
                await asyncio.sleep(0.02)

    def payment(self, request: dict[str, Any], **overrides: Any) -> PaymentCompleted:
        values = {
            "payment_id": uuid.uuid4(),
            "payment_order_id": uuid.uuid4(),
            "request_id": uuid.UUID(request["id"]),
            "user_id": uuid.UUID(request.get("user_id") or str(uuid.uuid4())),
            "amount_cents": request["amount_cents"],
            "receipt_number": f"R-{uuid.uuid4().hex[:8].upper()}",
            "paid_at": datetime.now(UTC),
            **overrides,
        }
        return PaymentCompleted(**values)


MakeSubs = Callable[..., Awaitable[Subs]]


def _settings(url: str, service_env: dict[str, str], **overrides: Any) -> Settings:
    values = {
        **service_env,
        # A queue of its own: two apps of this service alive at once must not share deliveries.
        "queue_prefix": f"{service_env['queue_prefix']}{uuid.uuid4().hex[:6]}.",
        # Jobs are driven by the tests themselves (test_subscriptions_jobs.py).
        "run_jobs": False,
        **overrides,
    }
    return Settings(database_url=url, **values)


async def _running(
    stack: AsyncExitStack,
    url: str,
    service_env: dict[str, str],
    *,
    clock: Clock | None = None,
    **overrides: Any,
) -> Subs:
    settings = _settings(url, service_env, **overrides)
    app = create_app(runtime=build_runtime(settings, clock=clock or SystemClock()))
    issuer = TestIssuer()
    issuer.install(app)
    client = await stack.enter_async_context(running_service(app))
    return Subs(app=app, client=client, issuer=issuer, settings=settings)


@pytest.fixture(scope="session")
async def subscriptions_url(make_database) -> str:  # noqa: ANN001
    url = await make_database("subscriptions", migrate="subscriptions")
    await seed_types(Settings(database_url=url, environment="test"))
    return url


@pytest.fixture(scope="session")
async def subs(subscriptions_url: str, service_env: dict[str, str]) -> AsyncIterator[Subs]:
    """The app most tests share, over the example catalogue (each test uses its own people and
    plates)."""
    async with AsyncExitStack() as stack:
        yield await _running(stack, subscriptions_url, service_env)


@pytest.fixture
async def make_subs(make_database, service_env: dict[str, str]) -> AsyncIterator[MakeSubs]:  # noqa: ANN001
    """An app of its own: ``database_url`` (default: a fresh database with the example
    catalogue), ``clock``, and settings."""
    async with AsyncExitStack() as stack:

        async def make(*, database_url: str | None = None, seed: bool = True, **overrides: Any) -> Subs:
            url = database_url or await make_database("subscriptions_own", migrate="subscriptions")
            if database_url is None and seed:
                await seed_types(Settings(database_url=url, environment="test"))
            return await _running(stack, url, service_env, **overrides)

        yield make


@pytest.fixture
def new_plate() -> Callable[[], str]:
    """``new_plate()``: a plate nobody else in this run has."""
    return unique_plate
