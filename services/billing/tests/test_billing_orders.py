"""The events billing consumes under their released inbox keys, and orders closed when unpaid:
by subscriptions' event, or by the job once their due date has passed."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from billing.handlers import build_handlers
from billing.jobs import EXPIRE_OVERDUE_ORDERS, build_jobs
from billing.main import build_runtime
from billing.settings import Settings
from contracts import Envelope
from contracts.events import (
    ProfileChanged,
    SubscriptionRequestApproved,
    UnpaidRequestExpired,
    UserRegistered,
)
from kit.clock import MovableClock
from kit.jobs import JobScheduler


def test_every_handler_keeps_the_inbox_key_it_was_released_with() -> None:
    """Changing one of these names makes every redelivered event apply a second time."""
    handlers = build_handlers(build_runtime(Settings(environment="test")))
    names = {(key, name) for key, registered in handlers.handlers.items() for name, _ in registered}
    assert {
        (SubscriptionRequestApproved.routing_key(), "orders.subscription_request_approved"),
        (UnpaidRequestExpired.routing_key(), "orders.unpaid_request_expired"),
        (UserRegistered.routing_key(), "citizens.user_registered"),
        (ProfileChanged.routing_key(), "citizens.profile_changed"),
    } <= names


async def test_an_unpaid_request_closed_by_subscriptions_closes_its_order(billing, wait) -> None:  # noqa: ANN001
    user_id, request_id = await billing.open_order()
    expired = Envelope.wrap(
        UnpaidRequestExpired(request_id=request_id, user_id=user_id, expired_at=datetime.now(UTC)),
        correlation_id=uuid.uuid4().hex,
    )

    await billing.publish(expired)

    order = await billing.order_reaches(user_id, request_id, "expired")
    assert order["can_pay"] is False
    refused = await billing.checkout(user_id, request_id)
    assert refused.status_code == 409 and refused.json()["code"] == "order_expired"


async def test_a_paid_order_stays_paid_when_its_request_expires(billing, wait) -> None:  # noqa: ANN001
    user_id, request_id = await billing.open_order()
    await billing.pay(user_id, request_id)
    await billing.order_reaches(user_id, request_id, "paid")
    handled = billing.app.state.consumer.handled

    await billing.publish(
        Envelope.wrap(
            UnpaidRequestExpired(request_id=request_id, user_id=user_id, expired_at=datetime.now(UTC)),
            correlation_id=uuid.uuid4().hex,
        )
    )

    async def handled_it() -> bool:
        return billing.app.state.consumer.handled > handled

    assert await wait(handled_it)
    assert (await billing.order(user_id, request_id))["status"] == "paid"


async def test_the_job_closes_orders_past_their_due_date(make_billing) -> None:  # noqa: ANN001
    clock = MovableClock()
    billing = await make_billing(clock=clock)
    scheduler = JobScheduler(billing.db, build_jobs(billing.runtime), clock=clock)
    user_id, due_today = await billing.open_order(pay_by=date.today())
    _, due_in_a_week = await billing.open_order(user_id, pay_by=date.today() + timedelta(days=7))

    assert EXPIRE_OVERDUE_ORDERS in await scheduler.run_due()
    assert (await billing.order(user_id, due_today))["status"] == "created"

    clock.advance(timedelta(days=2))
    assert EXPIRE_OVERDUE_ORDERS in await scheduler.run_due()
    assert (await billing.order(user_id, due_today))["status"] == "expired"
    assert (await billing.order(user_id, due_in_a_week))["status"] == "created"
