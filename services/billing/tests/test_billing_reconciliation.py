"""The reconciliation job asks the provider about checkouts whose outcome never arrived: a
payment whose notification was lost is recorded once, a checkout the citizen abandoned is
closed; a notification arriving afterwards changes nothing."""

from __future__ import annotations

from datetime import timedelta

from billing.jobs import RECONCILE_PAYMENTS, build_jobs
from kit.clock import MovableClock
from kit.jobs import JobScheduler


async def test_a_lost_notification_is_found_by_the_reconciliation(make_billing, wait) -> None:  # noqa: ANN001
    clock = MovableClock()
    # A provider whose notifications never arrive: they stay in its table, unsent.
    billing = await make_billing(clock=clock, sandbox_send_notifications=False, reconciliation_after_s=600)
    scheduler = JobScheduler(billing.db, build_jobs(billing.runtime), clock=clock)
    user_id, request_id = await billing.open_order()
    chosen = await billing.pay(user_id, request_id)
    assert chosen.headers["location"].endswith("esito=ok")

    # Before the checkout is old enough, the reconciliation leaves it alone.
    assert RECONCILE_PAYMENTS in await scheduler.run_due()
    assert (await billing.order(user_id, request_id))["status"] == "checkout_started"

    clock.advance(timedelta(minutes=11))
    assert RECONCILE_PAYMENTS in await scheduler.run_due()

    order = await billing.order(user_id, request_id)
    assert order["status"] == "paid"
    assert order["receipt_number"] is not None
    [payment] = await billing.payments_of(request_id)
    assert payment.outcome_source == "reconciliation"
    assert len(await billing.payloads("billing.payment.completed", request_id=request_id)) == 1

    # The next period finds nothing more to do, and emits nothing again.
    clock.advance(timedelta(minutes=10))
    assert RECONCILE_PAYMENTS in await scheduler.run_due()
    assert len(await billing.payloads("billing.payment.completed", request_id=request_id)) == 1

    # The provider comes back (a restart) and finally delivers its notification: a duplicate.
    restarted = await make_billing(database_url=billing.settings.database_url)
    [notification] = await wait(lambda: _delivered(restarted, order["notice_number"]))
    assert notification.last_status == 200
    assert await restarted.order(user_id, request_id) == order
    assert len(await billing.payloads("billing.payment.completed", request_id=request_id)) == 1


async def _delivered(billing, notice_number: str):  # noqa: ANN001, ANN202
    rows = await billing.sandbox_notifications(notice_number)
    return rows if rows and all(r.delivered_at is not None for r in rows) else None


async def test_an_abandoned_checkout_is_closed_and_can_be_retried(make_billing) -> None:  # noqa: ANN001
    clock = MovableClock()
    billing = await make_billing(clock=clock, checkout_ttl_s=1800, reconciliation_after_s=600)
    scheduler = JobScheduler(billing.db, build_jobs(billing.runtime), clock=clock)
    user_id, request_id = await billing.open_order()
    await billing.checkout_page(user_id, request_id)  # the citizen closes the tab

    clock.advance(timedelta(minutes=15))
    await scheduler.run_due()
    assert (await billing.order(user_id, request_id))["status"] == "checkout_started"  # session still alive

    clock.advance(timedelta(minutes=20))
    await scheduler.run_due()
    order = await billing.order(user_id, request_id)
    assert (order["status"], order["can_pay"]) == ("cancelled", True)
    [payment] = await billing.payments_of(request_id)
    assert (payment.status, payment.outcome_source) == ("expired", "reconciliation")

    await billing.pay(user_id, request_id)
    await billing.order_reaches(user_id, request_id, "paid")
