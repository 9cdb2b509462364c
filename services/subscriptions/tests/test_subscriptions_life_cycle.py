"""A subscription's life after activation: the reminders 30 and 7 days before its end and its
expiry, each once with two replicas running the jobs and the clock moved forward; the
revocation of a dissociated plate's subscriptions, once, whatever the order the events arrive
in."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from contracts.events import PlateDissociated
from kit.clock import MovableClock
from kit.jobs import JobScheduler
from subscriptions.domain.periods import Period, local_date
from subscriptions.jobs import build_jobs
from subscriptions.main import build_runtime
from subscriptions.models import Subscription

PERIOD = timedelta(hours=1)
EXPIRING = "subscriptions.subscription.expiring.v2"
REVOKED = "subscriptions.subscription.revoked.v1"
EXPIRED = "subscriptions.subscription.expired.v1"


def _move_to(clock: MovableClock, day: date) -> None:
    clock.advance(timedelta(days=(day - local_date(clock.now())).days))
    assert local_date(clock.now()) == day


async def _stored(subs, subscription_id: uuid.UUID) -> Subscription:  # noqa: ANN001
    async with subs.db.session() as session:
        found = (await session.exec(select(Subscription).where(Subscription.id == subscription_id))).one()
        return found


async def test_reminders_30_and_7_days_before_and_the_expiry_happen_once_each_across_two_replicas(
    make_subs,  # noqa: ANN001
) -> None:
    clock = MovableClock()
    subs = await make_subs(
        clock=clock,
        subscription_jobs_interval_s=PERIOD.total_seconds(),
        payment_jobs_interval_s=PERIOD.total_seconds(),
    )
    replicas = [build_runtime(subs.settings, clock=clock) for _ in range(2)]
    schedulers = [JobScheduler(rt.db, build_jobs(rt), clock=clock) for rt in replicas]

    async def run_both() -> int:
        ran = await asyncio.gather(*(scheduler.run_due() for scheduler in schedulers))
        return sum(len(names) for names in ran)

    async def expiring() -> list[dict]:
        return await subs.payloads(EXPIRING, subscription_id=str(subscription_id))

    try:
        citizen, certification, plate = await subs.resident()
        today = subs.today()
        end = today + timedelta(days=35)
        subscription_id = await subs.add_subscription(
            citizen, plate, Period(end - timedelta(days=364), end), certification_id=certification
        )
        assert await run_both() == 4  # each job once, on one replica
        assert await expiring() == []

        _move_to(clock, end - timedelta(days=31))
        await run_both()
        assert await expiring() == []

        # 30 days before the last day: reminded, once, whichever replica runs the job.
        _move_to(clock, end - timedelta(days=30))
        assert await run_both() == 4
        (reminder,) = await expiring()
        assert reminder == {
            "subscription_id": str(subscription_id),
            "user_id": str(citizen.user_id),
            "plate": reminder["plate"],
            "valid_until": end.isoformat(),
            "days_left": 30,
            "sector_code": "S1",
            "renewal_opens_on": (end - timedelta(days=30)).isoformat(),
        }
        assert (await _stored(subs, subscription_id)).reminded_30_at is not None
        assert await run_both() == 0  # same period: nobody runs again
        clock.advance(PERIOD)
        assert await run_both() == 4
        assert len(await expiring()) == 1

        # 7 days before: the second reminder, once.
        _move_to(clock, end - timedelta(days=8))
        await run_both()
        assert len(await expiring()) == 1
        _move_to(clock, end - timedelta(days=7))
        await run_both()
        clock.advance(PERIOD)
        await run_both()
        assert [r["days_left"] for r in await expiring()] == [30, 7]
        assert (await _stored(subs, subscription_id)).reminded_7_at is not None

        # The last day: still active; the day after: expired, once.
        _move_to(clock, end)
        await run_both()
        assert (await _stored(subs, subscription_id)).status == "active"
        assert await subs.payloads(EXPIRED, subscription_id=str(subscription_id)) == []
        _move_to(clock, end + timedelta(days=1))
        await run_both()
        clock.advance(PERIOD)
        await run_both()
        (expired,) = await subs.payloads(EXPIRED, subscription_id=str(subscription_id))
        assert expired["expired_on"] == (end + timedelta(days=1)).isoformat()
        stored = await _stored(subs, subscription_id)
        assert (stored.status, stored.expired_at is not None) == ("expired", True)
        listed = await subs.my_subscription(citizen, id=str(subscription_id))
        assert (listed["status"], listed["status_label"], listed["ticket_available"]) == (
            "expired",
            "Scaduto",
            False,
        )

        _move_to(clock, end + timedelta(days=40))
        await run_both()
        assert len(await expiring()) == 2
        assert len(await subs.payloads(EXPIRED, subscription_id=str(subscription_id))) == 1
    finally:
        for rt in replicas:
            await rt.db.dispose()


async def test_a_renewed_subscription_is_not_reminded_and_a_late_one_gets_one_reminder(make_subs) -> None:  # noqa: ANN001
    clock = MovableClock()
    subs = await make_subs(clock=clock)
    scheduler = JobScheduler(subs.db, build_jobs(subs.runtime), clock=clock)
    today = subs.today()

    citizen, _, plate = await subs.resident()
    renewed_end = today + timedelta(days=20)
    renewed = await subs.add_subscription(
        citizen, plate, Period(renewed_end - timedelta(days=364), renewed_end)
    )
    await subs.add_subscription(
        citizen, plate, Period(renewed_end + timedelta(days=1), renewed_end + timedelta(days=365))
    )
    other, _, other_plate = await subs.resident()
    late_end = today + timedelta(days=5)
    late = await subs.add_subscription(other, other_plate, Period(late_end - timedelta(days=180), late_end))

    await scheduler.run_due()

    assert await subs.payloads(EXPIRING, subscription_id=str(renewed)) == []
    assert len(await subs.payloads(EXPIRING, subscription_id=str(late))) == 1
    stored = await _stored(subs, late)
    assert stored.reminded_7_at is not None and stored.reminded_30_at is not None
    clock.advance(timedelta(days=1))
    await scheduler.run_due()
    assert len(await subs.payloads(EXPIRING, subscription_id=str(late))) == 1


@pytest.mark.parametrize(
    "dissociation_first", [True, False], ids=["dissociated-then-paid", "paid-then-dissociated"]
)
async def test_a_dissociated_plates_subscriptions_are_revoked_once_whatever_the_order(
    subs,  # noqa: ANN001
    dissociation_first: bool,
) -> None:
    citizen, certification, plate_id = await subs.resident()
    today = subs.today()
    past = await subs.add_subscription(
        citizen,
        plate_id,
        Period(today - timedelta(days=400), today - timedelta(days=36)),
        certification_id=certification,
    )
    current = await subs.add_subscription(
        citizen,
        plate_id,
        Period(today - timedelta(days=35), today + timedelta(days=10)),
        certification_id=certification,
    )
    # The renewal, approved and waiting for its payment (it starts after the current one).
    request = await subs.submitted(citizen, certification, plate_id)
    assert request["valid_from"] == (today + timedelta(days=11)).isoformat()
    approved = await subs.approved(request["id"])
    plate = request["plate"]
    dissociated_at = datetime.now(UTC).replace(microsecond=0)
    dissociation = PlateDissociated(
        plate_id=plate_id, user_id=citizen.user_id, plate=plate, dissociated_at=dissociated_at
    )

    async def dissociate() -> None:
        await subs.deliver(dissociation, at=dissociated_at)

    if dissociation_first:
        await dissociate()
        await subs.deliver(subs.payment(approved))
    else:
        await subs.deliver(subs.payment(approved))
        await dissociate()
    # The same fact again, in a new event (a new id: the inbox would not catch it).
    await dissociate()

    (following,) = await subs.subscriptions_of_request(request["id"])
    for subscription_id in (current, following.id):
        stored = await _stored(subs, subscription_id)
        assert (stored.status, stored.revoked_at, stored.revoked_reason) == (
            "revoked",
            dissociated_at,
            "plate_dissociated",
        )
        (told,) = await subs.payloads(REVOKED, subscription_id=str(subscription_id))
        assert told == {
            "subscription_id": str(subscription_id),
            "user_id": str(citizen.user_id),
            "plate": plate,
            "revoked_on": local_date(dissociated_at).isoformat(),
            "reason_code": "plate_dissociated",
            "reason": "La targa non è più associata al profilo del titolare.",
        }
        assert await subs.payloads(EXPIRED, subscription_id=str(subscription_id)) == []
        listed = await subs.my_subscription(citizen, id=str(subscription_id))
        assert (listed["status"], listed["revoked_on"], listed["ticket_available"]) == (
            "revoked",
            local_date(dissociated_at).isoformat(),
            False,
        )
    # What had ended before the dissociation stays as it was.
    assert (await _stored(subs, past)).status == "active"
    assert await subs.payloads(REVOKED, subscription_id=str(past)) == []
    # Operators read it in the request's trail.
    detail = (
        await subs.client.get(subs.url(f"/admin/requests/{request['id']}"), headers=subs.operator())
    ).json()
    # In the order things happened, whichever event came first: the revocation of the
    # subscription the payment activated is written after the payment, never before it.
    assert [e["action"] for e in detail["audit"]] == ["submitted", "approved", "paid", "subscription_revoked"]


async def test_another_households_association_of_the_same_plate_keeps_its_subscription(
    subs, new_plate
) -> None:  # noqa: ANN001
    plate = new_plate()
    first, second = subs.citizen(), subs.citizen()
    first_plate = await subs.plate(first, plate=plate)
    second_plate = await subs.plate(second, plate=plate)
    today = subs.today()
    kept = await subs.add_subscription(second, second_plate, Period(today, today + timedelta(days=100)))
    await subs.dissociate(first, first_plate, plate)
    assert (await _stored(subs, kept)).status == "active"
