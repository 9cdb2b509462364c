"""The billing service under test: a real migrated database, the real broker, the app run
in-process with tokens from a test issuer; the sandbox provider posts its notifications to the
app in-process. Helpers come as fixtures (tests import nothing from here)."""

from __future__ import annotations

import asyncio
import html
import json
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from billing.domain import signature
from billing.main import build_runtime, create_app
from billing.models import Payment, PaymentOrder, SandboxNotification, citizens
from billing.runtime import Runtime
from billing.settings import Settings
from contracts import Envelope
from contracts.events import SubscriptionRequestApproved
from kit.clock import Clock
from kit.db import Database, outbox_table
from kit.testing.services import running_service
from kit.testing.tokens import TestIssuer

PREFIX = "/api/billing"
PORTAL = "https://parking.test"
RETURN_URL = f"{PORTAL}/abbonamenti/pagamento/esito"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
# Codici fiscali whose check character is right (the read model's defaults are not).
VALID_TAX_CODE = "RSSMRA80A01B963J"


async def eventually(check: Callable[[], Awaitable[Any]], timeout_s: float = 10.0) -> Any:
    """The first truthy result of ``check``, polled until ``timeout_s``; the last one otherwise."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        result = await check()
        if result or asyncio.get_running_loop().time() > deadline:
            return result
        await asyncio.sleep(0.05)


@dataclass
class Billing:
    """One running billing app and what tests need around it."""

    app: FastAPI
    client: httpx.AsyncClient
    issuer: TestIssuer

    @property
    def runtime(self) -> Runtime:
        return self.app.state.runtime

    @property
    def db(self) -> Database:
        return self.runtime.db

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    def url(self, path: str) -> str:
        return f"{PREFIX}{path}"

    # --- People ---------------------------------------------------------------------------

    def citizen(self, user_id: uuid.UUID) -> dict[str, str]:
        return self.issuer.headers(user_id, "citizen")

    def operator(self, role: str = "operator") -> dict[str, str]:
        user_id = uuid.uuid4()
        return self.issuer.headers(user_id, role, email=f"operatore.{user_id.hex[:6]}@comune.caserta.it")  # type: ignore[arg-type]

    async def add_citizen(self, user_id: uuid.UUID | None = None, **values: Any) -> uuid.UUID:
        """A citizen as the read model knows them (identity's events would write the same row)."""
        user_id = user_id or uuid.uuid4()
        row = {
            "user_id": user_id,
            "email": f"cittadino.{user_id.hex[:8]}@example.it",
            "tax_code": "RSSMRA80A01B963Z",
            "first_name": "Mario",
            "last_name": "Rossi",
            "municipality": "Caserta",
            **values,
        }
        async with self.db.engine.begin() as conn:
            await conn.execute(citizens.insert().values(**row))
        return user_id

    # --- Events ---------------------------------------------------------------------------

    @staticmethod
    def approved(user_id: uuid.UUID, request_id: uuid.UUID | None = None, **overrides: Any) -> Envelope:
        values: dict[str, Any] = {
            "request_id": request_id or uuid.uuid4(),
            "user_id": user_id,
            "plate": "AB123CD",
            "sector_code": "A",
            "subscription_type_code": "RES-ANN",
            "description": "Abbonamento residenti settore A — annuale dal 01/01/2026 al 31/12/2026",
            "amount_cents": 6000,
            "pay_by": date.today() + timedelta(days=30),
            "decided_at": datetime.now(UTC),
            **overrides,
        }
        return Envelope.wrap(SubscriptionRequestApproved(**values), correlation_id=uuid.uuid4().hex)

    async def publish(self, envelope: Envelope) -> None:
        await self.app.state.broker.publish(
            envelope.model_dump_json().encode(),
            routing_key=envelope.routing_key,
            message_id=str(envelope.event_id),
            correlation_id=envelope.correlation_id,
            event_type=envelope.type,
        )

    async def order_row(self, request_id: uuid.UUID) -> PaymentOrder | None:
        async with self.db.session() as session:
            return (
                (await session.exec(select(PaymentOrder).where(PaymentOrder.request_id == request_id)))
                .scalars()
                .first()
            )

    async def orders_of_request(self, request_id: uuid.UUID) -> int:
        async with self.db.engine.connect() as conn:
            return await conn.scalar(
                select(func.count()).select_from(PaymentOrder).where(PaymentOrder.request_id == request_id)
            )

    async def open_order(
        self, user_id: uuid.UUID | None = None, **overrides: Any
    ) -> tuple[uuid.UUID, uuid.UUID]:
        """A citizen with an approved request whose order billing opened: (user_id, request_id)."""
        if user_id is None:
            user_id = await self.add_citizen()
        envelope = self.approved(user_id, **overrides)
        await self.publish(envelope)
        request_id = uuid.UUID(envelope.payload["request_id"])
        assert await eventually(lambda: self.order_row(request_id)), "the order was not opened"
        return user_id, request_id

    async def payloads(self, event_type: str, version: int = 1, **match: Any) -> list[dict[str, Any]]:
        async with self.db.engine.connect() as conn:
            rows = await conn.execute(
                select(outbox_table.c.body)
                .where(outbox_table.c.routing_key == f"{event_type}.v{version}")
                .order_by(outbox_table.c.id)
            )
            bodies = [row.body for row in rows]
        return [b["payload"] for b in bodies if all(b["payload"].get(k) == str(v) for k, v in match.items())]

    # --- Checkout through the sandbox ---------------------------------------------------------

    async def checkout(
        self, user_id: uuid.UUID, request_id: uuid.UUID, return_url: str = RETURN_URL
    ) -> httpx.Response:
        return await self.client.post(
            self.url(f"/orders/{request_id}/checkout"),
            json={"return_url": return_url},
            headers=self.citizen(user_id),
        )

    async def checkout_page(self, user_id: uuid.UUID, request_id: uuid.UUID) -> tuple[str, httpx.Response]:
        """Start a checkout and open its page: (the page's path, the page)."""
        started = await self.checkout(user_id, request_id)
        assert started.status_code == 200, started.text
        path = urlsplit(started.json()["redirect_url"]).path
        page = await self.client.get(path)
        assert page.status_code == 200, page.text
        return path, page

    @staticmethod
    def csrf(page: httpx.Response) -> str:
        match = _CSRF.search(page.text)
        assert match, "no CSRF token in the page"
        return html.unescape(match.group(1))

    async def choose(
        self, path: str, page: httpx.Response, action: str, card_number: str = "4242 4242 4242 4242"
    ) -> httpx.Response:
        return await self.client.post(
            path, data={"csrf_token": self.csrf(page), "action": action, "card_number": card_number}
        )

    async def pay(
        self, user_id: uuid.UUID, request_id: uuid.UUID, action: str = "pay", **kw: Any
    ) -> httpx.Response:
        path, page = await self.checkout_page(user_id, request_id)
        chosen = await self.choose(path, page, action, **kw)
        assert chosen.status_code == 303, chosen.text
        return chosen

    async def order(self, user_id: uuid.UUID, request_id: uuid.UUID) -> dict[str, Any]:
        response = await self.client.get(self.url(f"/orders/{request_id}"), headers=self.citizen(user_id))
        assert response.status_code == 200, response.text
        return response.json()

    async def order_reaches(self, user_id: uuid.UUID, request_id: uuid.UUID, status: str) -> dict[str, Any]:
        async def check() -> dict[str, Any] | None:
            order = await self.order(user_id, request_id)
            return order if order["status"] == status else None

        order = await eventually(check)
        assert order, f"the order never became {status}: {await self.order(user_id, request_id)}"
        return order

    async def payments_of(self, request_id: uuid.UUID) -> list[Payment]:
        async with self.db.session() as session:
            statement = (
                select(Payment)
                .join(PaymentOrder, PaymentOrder.id == Payment.order_id)
                .where(PaymentOrder.request_id == request_id)
                .order_by(Payment.started_at)
            )
            return list((await session.exec(statement)).scalars().all())

    async def sandbox_notifications(self, notice_number: str) -> list[SandboxNotification]:
        async with self.db.session() as session:
            statement = (
                select(SandboxNotification)
                .where(SandboxNotification.notice_number == notice_number)
                .order_by(SandboxNotification.id)
            )
            return list((await session.exec(statement)).scalars().all())

    async def paid_order(
        self, user_id: uuid.UUID | None = None, **overrides: Any
    ) -> tuple[uuid.UUID, uuid.UUID, dict[str, Any]]:
        """A citizen's order paid at the sandbox: (user_id, request_id, the paid order)."""
        user_id, request_id = await self.open_order(user_id, **overrides)
        await self.pay(user_id, request_id)
        return user_id, request_id, await self.order_reaches(user_id, request_id, "paid")

    # --- Invoices ------------------------------------------------------------------------------

    @staticmethod
    def buyer(**overrides: Any) -> dict[str, Any]:
        """The invoice form as a citizen completes it (a person resident in Caserta)."""
        return {
            "kind": "person",
            "first_name": "Mario",
            "last_name": "Rossi",
            "tax_code": VALID_TAX_CODE,
            "address_street": "Via Roma",
            "address_number": "10",
            "postcode": "81100",
            "municipality": "Caserta",
            "province": "CE",
            "country": "IT",
            **overrides,
        }

    async def request_invoice(
        self, user_id: uuid.UUID, request_id: uuid.UUID, **buyer: Any
    ) -> httpx.Response:
        return await self.client.post(
            self.url(f"/invoices/{request_id}"), json=self.buyer(**buyer), headers=self.citizen(user_id)
        )

    async def issued_invoice(self, user_id: uuid.UUID, request_id: uuid.UUID, **buyer: Any) -> dict[str, Any]:
        response = await self.request_invoice(user_id, request_id, **buyer)
        assert response.status_code == 201, response.text
        return response.json()

    # --- Notifications as the provider sends them ---------------------------------------------

    def sign(self, body: bytes, at: datetime | None = None, secret: bytes | None = None) -> str:
        moment = at or self.runtime.clock.now()
        return signature.sign(secret or self.settings.notification_secret, body, int(moment.timestamp()))

    async def notify(self, body: bytes, header: str | None = "sign") -> httpx.Response:
        headers = {"Content-Type": "application/json"}
        if header == "sign":
            headers[signature.HEADER] = self.sign(body)
        elif header is not None:
            headers[signature.HEADER] = header
        return await self.client.post(self.url("/provider/notifications"), content=body, headers=headers)

    @staticmethod
    def notification(
        order: dict[str, Any], session_id: str, outcome: str = "paid", **overrides: Any
    ) -> bytes:
        payload = {
            "notification_id": str(uuid.uuid4()),
            "creditor_tax_code": order["creditor_tax_code"],
            "notice_number": order["notice_number"],
            "iuv": order["iuv"],
            "session_id": session_id,
            "outcome": outcome,
            "amount_cents": order["amount_cents"],
            "currency": "EUR",
            "occurred_at": datetime.now(UTC).isoformat(),
            "transaction_id": "PSP-TEST-1",
            **overrides,
        }
        return json.dumps(payload).encode()


def billing_settings(url: str, service_env: dict[str, str], **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": url,
        **service_env,
        "public_base_url": PORTAL,
        "sandbox_notify_in_process": True,
        "sandbox_notify_poll_s": 0.5,
        "sandbox_notify_retry_base_s": 0.2,
        # Jobs are run by the tests that need them, through their own scheduler.
        "run_jobs": False,
        **overrides,
    }
    return Settings(**values)


async def start_billing(
    stack: AsyncExitStack,
    url: str,
    service_env: dict[str, str],
    *,
    clock: Clock | None = None,
    **overrides: Any,
) -> Billing:
    settings = billing_settings(url, service_env, **overrides)
    app = create_app(runtime=build_runtime(settings, clock=clock))
    issuer = TestIssuer()
    issuer.install(app)
    client = await stack.enter_async_context(running_service(app))
    return Billing(app=app, client=client, issuer=issuer)


@pytest.fixture(scope="session")
async def billing_url(make_database) -> str:  # noqa: ANN001
    return await make_database("billing", migrate="billing")


@pytest.fixture(scope="session")
async def billing(billing_url: str, service_env: dict[str, str]) -> AsyncIterator[Billing]:
    """The billing app most tests share (each test uses its own citizens and requests)."""
    async with AsyncExitStack() as stack:
        yield await start_billing(stack, billing_url, service_env)


MakeBilling = Callable[..., Awaitable[Billing]]


@pytest.fixture
async def make_billing(make_database, service_env: dict[str, str]) -> AsyncIterator[MakeBilling]:  # noqa: ANN001
    """Another billing app with its own settings (and, unless told otherwise, its own database
    and queue, so that it never takes the shared app's events)."""
    async with AsyncExitStack() as stack:

        async def make(
            *, database_url: str | None = None, clock: Clock | None = None, **overrides: Any
        ) -> Billing:
            url = database_url or await make_database("billing_own", migrate="billing")
            env = {**service_env, "queue_prefix": f"{service_env['queue_prefix']}{uuid.uuid4().hex[:6]}."}
            return await start_billing(stack, url, env, clock=clock, **overrides)

        yield make


@pytest.fixture
def wait() -> Callable[..., Awaitable[Any]]:
    return eventually
