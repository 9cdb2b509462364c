"""The payment's deadline: a reminder a few days before it and the expiry after it, each once
per request, with two replicas running the jobs and the clock moved forward."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta

from kit.clock import MovableClock
from kit.jobs import JobScheduler
from subscriptions.domain.periods import local_date
from subscriptions.jobs import (
    EXPIRE_SUBSCRIPTIONS,
    EXPIRE_UNPAID_REQUESTS,
    EXPIRY_REMINDERS,
    PAYMENT_REMINDERS,
    build_jobs,
)
from subscriptions.main import build_runtime

ANNUAL = "RES-ANNUALE"
PERIOD = timedelta(hours=1)
EVERY_JOB = sorted([EXPIRE_SUBSCRIPTIONS, EXPIRE_UNPAID_REQUESTS, EXPIRY_REMINDERS, PAYMENT_REMINDERS])


async def test_the_reminder_and_the_expiry_happen_once_each_across_two_replicas(make_subs) -> None:  # noqa: ANN001
    clock = MovableClock()
    subs = await make_subs(
        clock=clock,
        payment_jobs_interval_s=PERIOD.total_seconds(),
        subscription_jobs_interval_s=PERIOD.total_seconds(),
    )
    replicas = [build_runtime(subs.settings, clock=clock) for _ in range(2)]
    schedulers = [JobScheduler(rt.db, build_jobs(rt), clock=clock) for rt in replicas]

    async def run_both() -> list[str]:
        ran = await asyncio.gather(*(scheduler.run_due() for scheduler in schedulers))
        return sorted(name for names in ran for name in names)

    try:
        citizen, certification, plate = await subs.resident()
        request = await subs.submitted(citizen, certification, plate, ANNUAL)
        approved = await subs.approved(request["id"])
        pay_by = date.fromisoformat(approved["pay_by"])
        assert pay_by == local_date(datetime.fromisoformat(approved["decided_at"])) + timedelta(days=15)

        # Nothing due yet: each job runs once (one replica), and does nothing.
        assert await run_both() == EVERY_JOB
        assert await subs.payloads("subscriptions.request.payment_reminder.v1") == []

        # Four days before the deadline: not yet.
        clock.advance(timedelta(days=11))
        assert await run_both() == EVERY_JOB
        assert await subs.payloads("subscriptions.request.payment_reminder.v1") == []

        # Three days before: the reminder, once, whichever replica runs it.
        clock.advance(timedelta(days=1))
        assert local_date(clock.now()) == pay_by - timedelta(days=3)
        assert await run_both() == EVERY_JOB
        (reminder,) = await subs.payloads(
            "subscriptions.request.payment_reminder.v1", request_id=request["id"]
        )
        assert (reminder["amount_cents"], reminder["pay_by"], reminder["plate"]) == (
            6000,
            approved["pay_by"],
            request["plate"],
        )
        assert reminder["description"] == request["description"]
        assert (await subs.stored_request(request["id"])).reminded_at is not None

        # Within the same period neither replica runs again; in the next one, no second reminder.
        assert await run_both() == []
        clock.advance(PERIOD)
        assert await run_both() == EVERY_JOB
        assert (
            len(await subs.payloads("subscriptions.request.payment_reminder.v1", request_id=request["id"]))
            == 1
        )

        # The last day to pay: still payable.
        clock.advance(timedelta(days=3))
        assert local_date(clock.now()) == pay_by
        await run_both()
        assert (await subs.stored_request(request["id"])).status == "approved"

        # The day after: expired, once.
        clock.advance(timedelta(days=1))
        assert await run_both() == EVERY_JOB
        clock.advance(PERIOD)
        assert await run_both() == EVERY_JOB
        (expired,) = await subs.payloads("subscriptions.request.unpaid_expired.v1", request_id=request["id"])
        assert expired["user_id"] == str(citizen.user_id)
        mine = (await subs.client.get(subs.url(f"/requests/{request['id']}"), headers=citizen.headers)).json()
        assert (mine["status"], mine["status_label"]) == ("expired_unpaid", "Scaduta per mancato pagamento")
        detail = (
            await subs.client.get(subs.url(f"/admin/requests/{request['id']}"), headers=subs.operator())
        ).json()
        assert (
            detail["audit"][-1]["action"] == "expired_unpaid"
            and detail["audit"][-1]["actor_role"] == "system"
        )
        assert (
            len(await subs.payloads("subscriptions.request.payment_reminder.v1", request_id=request["id"]))
            == 1
        )

        # The plate is free again: a new request starts from the (moved) day.
        again = await subs.request(citizen, certification, plate, ANNUAL)
        assert again.status_code == 201, again.text
        assert again.json()["valid_from"] == local_date(clock.now()).isoformat()
    finally:
        for rt in replicas:
            await rt.db.dispose()


async def test_a_request_approved_close_to_its_deadline_is_reminded_at_once(make_subs) -> None:  # noqa: ANN001
    clock = MovableClock()
    subs = await make_subs(clock=clock, payment_deadline_days=2, payment_reminder_days_before=3)
    citizen, certification, plate = await subs.resident()
    request = await subs.submitted(citizen, certification, plate, ANNUAL)
    await subs.approved(request["id"])
    scheduler = JobScheduler(subs.db, build_jobs(subs.runtime), clock=clock)
    await scheduler.run_due()
    assert (
        len(await subs.payloads("subscriptions.request.payment_reminder.v1", request_id=request["id"])) == 1
    )


async def test_a_paid_request_is_neither_reminded_nor_expired(make_subs) -> None:  # noqa: ANN001
    clock = MovableClock()
    subs = await make_subs(clock=clock)
    citizen, certification, plate = await subs.resident()
    request = await subs.submitted(citizen, certification, plate, ANNUAL)
    approved = await subs.approved(request["id"])
    await subs.deliver(subs.payment(approved))
    scheduler = JobScheduler(subs.db, build_jobs(subs.runtime), clock=clock)
    for days in (13, 20):
        clock.advance(timedelta(days=days))
        await scheduler.run_due()
    assert await subs.payloads("subscriptions.request.payment_reminder.v1") == []
    assert await subs.payloads("subscriptions.request.unpaid_expired.v1") == []
    assert (await subs.stored_request(request["id"])).status == "paid"
