"""Renewal ("Rinnova"): offered from 30 days before the end, prefilled from the subscription, for
the period starting the day after it ends; refused with the reason (and what to do) when the
plate or the certification no longer allows it; sent, it is a pending request for the
operators."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from kit.clock import MovableClock
from subscriptions.domain.periods import Period, format_date

ANNUAL = "RES-ANNUALE"


async def _renewal(subs, citizen, subscription_id: Any) -> dict[str, Any]:  # noqa: ANN001
    response = await subs.client.get(
        subs.url(f"/subscriptions/{subscription_id}/renewal"), headers=citizen.headers
    )
    assert response.status_code == 200, response.text
    return response.json()


async def _renew(subs, citizen, subscription_id: Any):  # noqa: ANN001, ANN202
    return await subs.client.post(
        subs.url(f"/subscriptions/{subscription_id}/renew"), headers=citizen.headers
    )


async def _ending_in(subs, days: int, *, sector: str = "S1", certification_until: date | None = None):  # noqa: ANN001, ANN202
    """A citizen's annual subscription whose last day is ``days`` days from today."""
    citizen = subs.citizen()
    today = subs.today()
    certification = await subs.certification(citizen, sector, valid_until=certification_until)
    plate = await subs.plate(citizen)
    end = today + timedelta(days=days)
    subscription_id = await subs.add_subscription(
        citizen, plate, Period(end - timedelta(days=364), end), certification_id=certification
    )
    return citizen, certification, plate, subscription_id, end


async def test_the_renewal_opens_30_days_before_the_end_prefilled_for_the_following_period(make_subs) -> None:  # noqa: ANN001
    clock = MovableClock()
    subs = await make_subs(clock=clock)
    citizen, certification, plate, subscription_id, end = await _ending_in(subs, 40)
    start = end + timedelta(days=1)
    following = Period.of_months(start, 12)

    offer = await _renewal(subs, citizen, subscription_id)
    assert offer == {
        "subscription_id": str(subscription_id),
        "available": False,
        "opens_on": (end - timedelta(days=30)).isoformat(),
        "reason_if_not": {
            "code": "renewal_not_open",
            "message": f"Il rinnovo sarà disponibile dal {format_date(end - timedelta(days=30))}.",
        },
        "prefill": {
            "certification_id": str(certification),
            "plate_id": str(plate),
            "subscription_type_code": ANNUAL,
        },
        "period": {"valid_from": start.isoformat(), "valid_until": following.valid_until.isoformat()},
        "amount_cents": 6000,
        "amount_label": "€ 60,00",
    }
    refused = await _renew(subs, citizen, subscription_id)
    assert (refused.status_code, refused.json()["code"]) == (409, "renewal_not_open")
    listed = await subs.my_subscription(citizen, id=str(subscription_id))
    assert (listed["renewal_available"], listed["renewal_opens_on"]) == (False, offer["opens_on"])

    clock.advance(timedelta(days=9))
    assert (await _renewal(subs, citizen, subscription_id))["available"] is False
    clock.advance(timedelta(days=1))
    offer = await _renewal(subs, citizen, subscription_id)
    assert (offer["available"], offer["reason_if_not"]) == (True, None)
    assert (await subs.my_subscription(citizen, id=str(subscription_id)))["renewal_available"] is True

    # The last day is the last chance; the day after, a new request is needed.
    clock.advance(timedelta(days=30))
    assert (await _renewal(subs, citizen, subscription_id))["available"] is True
    clock.advance(timedelta(days=1))
    offer = await _renewal(subs, citizen, subscription_id)
    assert (offer["available"], offer["reason_if_not"]["code"]) == (False, "subscription_ended")


async def test_a_renewal_is_a_pending_request_for_the_operators_from_the_day_after_the_end(subs) -> None:  # noqa: ANN001
    citizen, certification, plate, subscription_id, end = await _ending_in(subs, 20)

    sent = await _renew(subs, citizen, subscription_id)

    assert sent.status_code == 201, sent.text
    request = sent.json()
    start = end + timedelta(days=1)
    assert (request["kind"], request["status"], request["status_label"]) == (
        "renewal",
        "pending",
        "In attesa di esito",
    )
    assert (request["certification_id"], request["plate_id"], request["subscription_type_code"]) == (
        str(certification),
        str(plate),
        ANNUAL,
    )
    assert (request["valid_from"], request["valid_until"]) == (
        start.isoformat(),
        Period.of_months(start, 12).valid_until.isoformat(),
    )
    assert (request["renewal_of"], request["amount_cents"], request["sector_code"]) == (
        str(subscription_id),
        6000,
        "S1",
    )
    queue = await subs.client.get(
        subs.url("/admin/requests"),
        params={"plate": request["plate"], "status": "pending"},
        headers=subs.operator(),
    )
    assert [r["id"] for r in queue.json()["items"]] == [request["id"]]
    assert len(await subs.payloads("subscriptions.request.submitted.v1", request_id=request["id"])) == 1

    # Sent once: the plate has its request in progress.
    offer = await _renewal(subs, citizen, subscription_id)
    assert (offer["available"], offer["reason_if_not"]["code"]) == (False, "renewal_already_requested")
    again = await _renew(subs, citizen, subscription_id)
    assert (again.status_code, again.json()["code"]) == (409, "renewal_already_requested")

    # Approved and paid: the following subscription starts the day after; this one is renewed.
    approved = await subs.approved(request["id"])
    await subs.deliver(subs.payment(approved))
    following = await subs.my_subscription(citizen, request_id=request["id"])
    assert (following["valid_from"], following["status_label"]) == (
        start.isoformat(),
        f"Attivo dal {format_date(start)}",
    )
    offer = await _renewal(subs, citizen, subscription_id)
    assert offer["reason_if_not"] == {
        "code": "already_renewed",
        "message": f"L'abbonamento è già stato rinnovato (dal {format_date(start)} al "
        f"{format_date(date.fromisoformat(following['valid_until']))}).",
    }


async def test_a_renewal_is_refused_when_the_plate_is_no_longer_the_citizens(subs) -> None:  # noqa: ANN001
    citizen, _, plate, subscription_id, _ = await _ending_in(subs, 20)
    listed = await subs.my_subscription(citizen, id=str(subscription_id))
    await subs.dissociate(citizen, plate, listed["plate"])

    offer = await _renewal(subs, citizen, subscription_id)
    assert offer["available"] is False
    assert offer["reason_if_not"]["code"] == "plate_dissociated"
    assert "non è più associata al tuo profilo" in offer["reason_if_not"]["message"]
    assert "sezione «Targhe»" in offer["reason_if_not"]["message"]
    refused = await _renew(subs, citizen, subscription_id)
    assert (refused.status_code, refused.json()["code"]) == (422, "plate_dissociated")
    assert refused.json()["errors"][0]["field"] == "plate_id"


async def test_an_expired_certification_keeps_the_subscription_but_its_renewal_needs_a_new_one(subs) -> None:  # noqa: ANN001
    citizen, certification, _, subscription_id, end = await _ending_in(subs, 20)
    await subs.expire_certification(citizen, certification)

    # The subscription the citizen paid for stays valid until its end…
    listed = await subs.my_subscription(citizen, id=str(subscription_id))
    assert (listed["status"], listed["ticket_available"], listed["renewal_available"]) == (
        "active",
        True,
        False,
    )
    # …and renewing says what to do.
    offer = await _renewal(subs, citizen, subscription_id)
    start = end + timedelta(days=1)
    assert offer["reason_if_not"] == {
        "code": "certification_expired",
        "message": f"La certificazione di residenza non è valida il {format_date(start)}, primo giorno "
        "del rinnovo: presenta una nuova richiesta di certificazione dalla sezione «Certificazione» e, "
        "una volta approvata, rinnova l'abbonamento.",
    }
    refused = await _renew(subs, citizen, subscription_id)
    assert (refused.status_code, refused.json()["code"]) == (422, "certification_expired")

    # A new certification of the same sector, valid when the renewal starts, is taken instead.
    renewed = await subs.certification(citizen, "S1", valid_until=subs.today() + timedelta(days=700))
    offer = await _renewal(subs, citizen, subscription_id)
    assert (offer["available"], offer["prefill"]["certification_id"]) == (True, str(renewed))
    sent = await _renew(subs, citizen, subscription_id)
    assert (sent.status_code, sent.json()["certification_id"]) == (201, str(renewed))


async def test_a_certification_ending_before_the_renewal_starts_does_not_allow_it(subs) -> None:  # noqa: ANN001
    citizen, _, _, subscription_id, end = await _ending_in(
        subs, 20, certification_until=subs.today() + timedelta(days=20)
    )
    # Valid today, and on the subscription's last day, but not on the renewal's first day.
    offer = await _renewal(subs, citizen, subscription_id)
    assert (offer["available"], offer["reason_if_not"]["code"]) == (False, "certification_expired")
    assert format_date(end + timedelta(days=1)) in offer["reason_if_not"]["message"]


async def test_a_type_that_is_no_longer_renewable_is_not_renewed(make_subs) -> None:  # noqa: ANN001
    subs = await make_subs()
    citizen, _, _, subscription_id, _ = await _ending_in(subs, 20)
    current = (await subs.client.get(subs.url(f"/admin/types/{ANNUAL}"), headers=subs.admin())).json()
    fields = ("name", "description", "sector_codes", "all_sectors", "duration_months", "price_cents")
    body = {k: current[k] for k in fields}
    body.update(vat_rate=current["vat_rate"], electric_only=False, active=True, renewable=False)
    replaced = await subs.client.put(subs.url(f"/admin/types/{ANNUAL}"), json=body, headers=subs.admin())
    assert replaced.status_code == 200, replaced.text

    offer = await _renewal(subs, citizen, subscription_id)
    assert offer["reason_if_not"] == {
        "code": "subscription_type_not_renewable",
        "message": "La tipologia «Residenti – annuale» non è rinnovabile: per un nuovo abbonamento "
        "usa «Nuova Richiesta».",
    }


async def test_an_electric_subscription_is_renewed_without_a_certification(make_subs) -> None:  # noqa: ANN001
    clock = MovableClock()
    subs = await make_subs(clock=clock)
    citizen = subs.citizen()
    plate = await subs.plate(citizen, electric=True)
    sent = await subs.client.post(
        subs.url("/requests/electric"), json={"plate_id": str(plate)}, headers=citizen.headers
    )
    assert sent.status_code == 201, sent.text
    await subs.approved(sent.json()["id"])  # free: active at once
    subscription = await subs.my_subscription(citizen, request_id=sent.json()["id"])

    clock.advance(timedelta(days=340))
    offer = await _renewal(subs, citizen, subscription["id"])
    assert (offer["available"], offer["prefill"]["certification_id"], offer["amount_label"]) == (
        True,
        None,
        "Gratuito",
    )
    renewal = await _renew(subs, citizen, subscription["id"])
    assert renewal.status_code == 201, renewal.text
    assert (renewal.json()["kind"], renewal.json()["sector_code"], renewal.json()["certification_id"]) == (
        "renewal",
        "*",
        None,
    )


async def test_another_citizens_subscription_has_no_renewal(subs) -> None:  # noqa: ANN001
    _, _, _, subscription_id, _ = await _ending_in(subs, 20)
    stranger = subs.citizen()
    for response in (
        await subs.client.get(
            subs.url(f"/subscriptions/{subscription_id}/renewal"), headers=stranger.headers
        ),
        await _renew(subs, stranger, subscription_id),
        await _renew(subs, stranger, uuid.uuid4()),
    ):
        assert (response.status_code, response.json()["code"]) == (404, "subscription_not_found")
