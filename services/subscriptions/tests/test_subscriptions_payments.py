"""Payments reported by billing (``PaymentCompleted``): the resident path end to end through the
real broker and consumer, exactly one subscription whatever is reported twice, and the rules
for payments that can no longer activate anything (due back to the citizen)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import update

from kit.uow import unit_of_work
from subscriptions.domain.periods import Period
from subscriptions.models import SubscriptionRequest

ANNUAL, SEMESTER = "RES-ANNUALE", "RES-SEMESTRALE"


async def _approved_request(subs, type_code: str = ANNUAL) -> tuple:  # noqa: ANN001
    citizen, certification, plate = await subs.resident()
    request = await subs.submitted(citizen, certification, plate, type_code)
    detail = await subs.approved(request["id"])
    return citizen, certification, plate, detail


async def _eventually(check, timeout_s: float = 15.0):  # noqa: ANN001, ANN202
    async with asyncio.timeout(timeout_s):
        while not (result := await check()):
            await asyncio.sleep(0.05)
    return result


async def _set(subs, request_id: str, **values) -> None:  # noqa: ANN001, ANN003
    async with unit_of_work(subs.db) as session:
        await session.exec(
            update(SubscriptionRequest)
            .where(SubscriptionRequest.id == uuid.UUID(request_id))
            .values(**values)
        )


async def test_the_resident_path_from_the_form_to_an_active_subscription(subs) -> None:  # noqa: ANN001
    citizen = subs.citizen()
    await subs.certification(citizen, "S1")
    await subs.plate(citizen)
    options = (await subs.client.get(subs.url("/options"), headers=citizen.headers)).json()
    (certification,) = options["certifications"]
    (plate,) = options["plates"]
    assert "RES-ANNUALE" in certification["allowed_type_codes"]
    sent = await subs.request(citizen, certification["certification_id"], plate["plate_id"], ANNUAL)
    assert sent.status_code == 201, sent.text
    request = sent.json()

    approved = await subs.approved(request["id"])
    (order,) = await subs.payloads("subscriptions.request.approved.v1", request_id=request["id"])
    assert (order["amount_cents"], order["pay_by"]) == (6000, approved["pay_by"])

    consumer = subs.app.state.consumer
    before = consumer.handled
    payment = subs.payment(approved, amount_cents=order["amount_cents"])
    envelope = await subs.publish(payment)

    async def activated() -> list:
        return await subs.subscriptions_of_request(request["id"])

    (subscription,) = await _eventually(activated)
    assert (subscription.status, subscription.plate, subscription.sector_code) == (
        "active",
        plate["plate"],
        "S1",
    )
    assert (subscription.valid_from.isoformat(), subscription.valid_until.isoformat()) == (
        request["valid_from"],
        request["valid_until"],
    )
    mine = (await subs.client.get(subs.url(f"/requests/{request['id']}"), headers=citizen.headers)).json()
    assert (mine["status"], mine["status_label"], mine["subscription_id"]) == (
        "paid",
        "Pagata",
        str(subscription.id),
    )
    listed = (await subs.client.get(subs.url("/subscriptions"), headers=citizen.headers)).json()
    assert listed["total"] == 1
    (shown,) = listed["items"]
    assert (shown["id"], shown["request_id"], shown["plate"], shown["status"], shown["status_label"]) == (
        str(subscription.id),
        request["id"],
        plate["plate"],
        "active",
        "Attivo",
    )
    assert shown["subscription_type_name"] == "Residenti – annuale"
    assert shown["amount_cents"] == order["amount_cents"] > 0  # paid: it has a receipt
    (event,) = await subs.payloads("subscriptions.subscription.activated.v1", request_id=request["id"])
    assert (event["subscription_id"], event["user_id"], event["valid_until"]) == (
        str(subscription.id),
        str(citizen.user_id),
        request["valid_until"],
    )

    # The same event delivered again changes nothing.
    await subs.publish(payment, envelope)
    await subs.consumed(2, since=before)
    assert len(await subs.subscriptions_of_request(request["id"])) == 1
    assert len(await subs.payloads("subscriptions.subscription.activated.v1", request_id=request["id"])) == 1
    detail = (
        await subs.client.get(subs.url(f"/admin/requests/{request['id']}"), headers=subs.operator())
    ).json()
    assert [(p["payment_id"], p["outcome"]) for p in detail["payments"]] == [
        (str(payment.payment_id), "activated")
    ]
    assert [e["action"] for e in detail["audit"]] == ["submitted", "approved", "paid"]


async def test_two_payments_for_one_request_give_one_subscription_and_a_refund(subs) -> None:  # noqa: ANN001
    _, _, _, request = await _approved_request(subs)
    consumer = subs.app.state.consumer
    before = consumer.handled
    first, second = subs.payment(request), subs.payment(request)
    await asyncio.gather(subs.publish(first), subs.publish(second))
    await subs.consumed(2, since=before)
    assert len(await subs.subscriptions_of_request(request["id"])) == 1
    assert len(await subs.payloads("subscriptions.subscription.activated.v1", request_id=request["id"])) == 1
    detail = (
        await subs.client.get(subs.url(f"/admin/requests/{request['id']}"), headers=subs.operator())
    ).json()
    assert detail["status"] == "paid"
    outcomes = sorted((p["outcome"], p["refund_reason"]) for p in detail["payments"])
    assert outcomes == [("activated", None), ("refund_due", "duplicate_payment")]
    assert [e["reason"] for e in detail["audit"] if e["action"] == "refund_due"] == ["duplicate_payment"]


async def test_the_same_payment_in_a_new_event_is_recorded_once(subs) -> None:  # noqa: ANN001
    _, _, _, request = await _approved_request(subs)
    payment = subs.payment(request)
    await subs.deliver(payment)
    await subs.deliver(payment)  # a new envelope, the same payment id
    detail = (
        await subs.client.get(subs.url(f"/admin/requests/{request['id']}"), headers=subs.operator())
    ).json()
    assert [p["outcome"] for p in detail["payments"]] == ["activated"]
    assert len(await subs.subscriptions_of_request(request["id"])) == 1


async def test_a_late_payment_still_activates_when_the_period_is_free(subs) -> None:  # noqa: ANN001
    citizen, _, _, request = await _approved_request(subs)
    await _set(subs, request["id"], status="expired_unpaid", expired_at=datetime.now(UTC))
    await subs.deliver(subs.payment(request))
    (subscription,) = await subs.subscriptions_of_request(request["id"])
    assert subscription.valid_from.isoformat() == request["valid_from"]
    mine = (await subs.client.get(subs.url(f"/requests/{request['id']}"), headers=citizen.headers)).json()
    assert mine["status"] == "paid"


async def test_a_late_payment_is_due_back_when_the_plate_got_a_subscription_meanwhile(subs) -> None:  # noqa: ANN001
    citizen, certification, plate, late = await _approved_request(subs)
    await _set(subs, late["id"], status="expired_unpaid", expired_at=datetime.now(UTC))
    # The citizen asked again, for the same days, and paid that one.
    again = await subs.submitted(citizen, certification, plate, SEMESTER)
    await subs.approved(again["id"])
    await subs.deliver(subs.payment(again))
    assert len(await subs.subscriptions_of_request(again["id"])) == 1

    await subs.deliver(subs.payment(late))
    assert await subs.subscriptions_of_request(late["id"]) == []
    mine = (await subs.client.get(subs.url(f"/requests/{late['id']}"), headers=citizen.headers)).json()
    assert (mine["status"], mine["status_label"]) == (
        "refund_due",
        "Pagata oltre il termine: importo da rimborsare",
    )
    assert mine["paid_at"] is not None
    detail = (
        await subs.client.get(subs.url(f"/admin/requests/{late['id']}"), headers=subs.operator())
    ).json()
    assert [(p["outcome"], p["refund_reason"]) for p in detail["payments"]] == [
        ("refund_due", "period_taken")
    ]
    (entry,) = [e for e in detail["audit"] if e["action"] == "refund_due"]
    assert (entry["actor_role"], entry["reason"]) == ("system", "period_taken")
    refunds = await subs.client.get(
        subs.url("/admin/requests"), params={"status": "refund_due"}, headers=subs.operator()
    )
    assert late["id"] in [r["id"] for r in refunds.json()["items"]]


async def test_a_late_payment_after_the_period_ended_is_due_back(subs) -> None:  # noqa: ANN001
    _, _, _, request = await _approved_request(subs, SEMESTER)
    ended = Period(date.today() - timedelta(days=400), date.today() - timedelta(days=1))
    await _set(
        subs,
        request["id"],
        status="expired_unpaid",
        valid_from=ended.valid_from,
        valid_until=ended.valid_until,
    )
    await subs.deliver(subs.payment(request))
    assert await subs.subscriptions_of_request(request["id"]) == []
    stored = await subs.stored_request(request["id"])
    assert stored.status == "refund_due"
    detail = (
        await subs.client.get(subs.url(f"/admin/requests/{request['id']}"), headers=subs.operator())
    ).json()
    assert [p["refund_reason"] for p in detail["payments"]] == ["period_over"]


async def test_a_payment_of_another_amount_activates_nothing(subs) -> None:  # noqa: ANN001
    _, _, _, request = await _approved_request(subs)
    await subs.deliver(subs.payment(request, amount_cents=request["amount_cents"] - 1))
    assert await subs.subscriptions_of_request(request["id"]) == []
    stored = await subs.stored_request(request["id"])
    assert stored.status == "approved"  # the right amount can still be paid
    detail = (
        await subs.client.get(subs.url(f"/admin/requests/{request['id']}"), headers=subs.operator())
    ).json()
    assert [p["refund_reason"] for p in detail["payments"]] == ["amount_mismatch"]


async def test_a_payment_for_a_request_that_cannot_be_paid_activates_nothing(subs) -> None:  # noqa: ANN001
    citizen, certification, plate = await subs.resident()
    pending = await subs.submitted(citizen, certification, plate, ANNUAL)
    await subs.deliver(subs.payment(pending))
    assert await subs.subscriptions_of_request(pending["id"]) == []
    assert (await subs.stored_request(pending["id"])).status == "pending"


async def test_a_payment_for_an_unknown_request_is_acknowledged_and_ignored(subs) -> None:  # noqa: ANN001
    consumer = subs.app.state.consumer
    before_dead = consumer.dead_lettered
    before = consumer.handled
    await subs.publish(subs.payment({"id": str(uuid.uuid4()), "amount_cents": 6000}))
    await subs.consumed(1, since=before + before_dead)
    assert consumer.dead_lettered == before_dead
