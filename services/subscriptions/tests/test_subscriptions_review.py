"""Operators' review: the queue, a request with the citizen's certification and plate beside it
and its trail, approval (payment opened, or a free subscription activated at once), rejection
with a reason, and one decision when two operators act at once."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime, timedelta

from subscriptions.domain.periods import Period, local_date

ANNUAL, SEMESTER, ELECTRIC = "RES-ANNUALE", "RES-SEMESTRALE", "ELETTRICA-ANNUALE"


async def test_approval_opens_the_payment_with_the_gross_amount_and_the_deadline(subs) -> None:  # noqa: ANN001
    citizen, certification, plate = await subs.resident("S2")
    request = await subs.submitted(citizen, certification, plate, ANNUAL)
    detail = await subs.approved(request["id"])
    decided_on = local_date(datetime.fromisoformat(detail["decided_at"]))
    assert detail["status"] == "approved" and detail["status_label"] == "Approvata: in attesa di pagamento"
    assert detail["pay_by"] == (decided_on + timedelta(days=15)).isoformat()
    (approved,) = await subs.payloads("subscriptions.request.approved.v1", request_id=request["id"])
    assert approved["amount_cents"] == 6000 and approved["currency"] == "EUR"
    assert approved["pay_by"] == detail["pay_by"]
    assert (approved["user_id"], approved["plate"], approved["sector_code"]) == (
        str(citizen.user_id),
        request["plate"],
        "S2",
    )
    valid_from, valid_until = (date.fromisoformat(request[k]) for k in ("valid_from", "valid_until"))
    assert approved["description"] == (
        f"Abbonamento Residenti – annuale, settore S2, targa {request['plate']}, "
        f"dal {valid_from:%d/%m/%Y} al {valid_until:%d/%m/%Y}"
    )
    mine = await subs.client.get(subs.url(f"/requests/{request['id']}"), headers=citizen.headers)
    assert (mine.json()["status"], mine.json()["pay_by"]) == ("approved", detail["pay_by"])


async def test_the_payment_deadline_is_configurable(make_subs) -> None:  # noqa: ANN001
    subs = await make_subs(payment_deadline_days=30)
    citizen, certification, plate = await subs.resident()
    request = await subs.submitted(citizen, certification, plate, SEMESTER)
    detail = await subs.approved(request["id"])
    decided_on = local_date(datetime.fromisoformat(detail["decided_at"]))
    assert detail["pay_by"] == (decided_on + timedelta(days=30)).isoformat()


async def test_the_operator_sees_the_certification_and_plate_beside_the_request_and_its_trail(subs) -> None:  # noqa: ANN001
    citizen, certification, plate = await subs.resident("S3")
    request = await subs.submitted(citizen, certification, plate, ANNUAL)
    operator = subs.issuer.headers(uuid.uuid4(), "operator", email="mario.rossi@comune.caserta.it")
    await subs.approve(request["id"], operator)
    detail = (
        await subs.client.get(subs.url(f"/admin/requests/{request['id']}"), headers=subs.operator())
    ).json()
    assert detail["user_id"] == str(citizen.user_id)
    assert detail["certification"]["certification_id"] == str(certification)
    assert (detail["certification"]["sector_code"], detail["certification"]["valid_today"]) == ("S3", True)
    assert (detail["vehicle"]["plate_id"], detail["vehicle"]["plate"], detail["vehicle"]["active"]) == (
        str(plate),
        request["plate"],
        True,
    )
    assert [(e["action"], e["actor_role"]) for e in detail["audit"]] == [
        ("submitted", "citizen"),
        ("approved", "operator"),
    ]
    assert detail["audit"][1]["actor_email"] == "mario.rossi@comune.caserta.it"
    assert detail["payments"] == []
    # What the operator sees changes with the citizen's certification.
    await subs.expire_certification(citizen, certification)
    later = (
        await subs.client.get(subs.url(f"/admin/requests/{request['id']}"), headers=subs.operator())
    ).json()
    assert later["certification"]["expired"] is True and later["certification"]["valid_today"] is False


async def test_rejection_needs_a_reason_and_tells_the_citizen(subs) -> None:  # noqa: ANN001
    citizen, certification, plate = await subs.resident()
    request = await subs.submitted(citizen, certification, plate, ANNUAL)
    url = subs.url(f"/admin/requests/{request['id']}/reject")
    for body, code in [
        ({}, "required"),
        ({"reason": "no"}, "too_short"),
        ({"reason": "x" * 501}, "too_long"),
    ]:
        refused = await subs.client.post(url, json=body, headers=subs.operator())
        assert refused.status_code == 422 and refused.json()["errors"][0] == {
            "field": "reason",
            "code": code,
            "message": refused.json()["errors"][0]["message"],
        }
    reason = "La targa risulta intestata a un non residente."
    rejected = await subs.client.post(url, json={"reason": reason}, headers=subs.operator())
    assert rejected.status_code == 200, rejected.text
    mine = (await subs.client.get(subs.url(f"/requests/{request['id']}"), headers=citizen.headers)).json()
    assert (mine["status"], mine["status_label"], mine["outcome_reason"]) == ("rejected", "Rifiutata", reason)
    (event,) = await subs.payloads("subscriptions.request.rejected.v1", request_id=request["id"])
    assert event["reason"] == reason and event["user_id"] == str(citizen.user_id)
    assert (
        rejected.json()["audit"][-1]["action"] == "rejected"
        and rejected.json()["audit"][-1]["reason"] == reason
    )


async def test_two_operators_deciding_at_once_make_one_decision(subs) -> None:  # noqa: ANN001
    citizen, certification, plate = await subs.resident()
    request = await subs.submitted(citizen, certification, plate, ANNUAL)
    responses = await asyncio.gather(
        subs.approve(request["id"]),
        subs.client.post(
            subs.url(f"/admin/requests/{request['id']}/reject"),
            json={"reason": "Certificazione non leggibile"},
            headers=subs.operator(),
        ),
    )
    assert sorted(r.status_code for r in responses) == [200, 409]
    (late,) = [r for r in responses if r.status_code == 409]
    assert late.json()["code"] == "request_already_decided"
    assert (
        late.json()["detail"] == "La richiesta è già stata decisa da un altro operatore: ricarica la pagina."
    )
    approvals = await subs.payloads("subscriptions.request.approved.v1", request_id=request["id"])
    rejections = await subs.payloads("subscriptions.request.rejected.v1", request_id=request["id"])
    assert len(approvals) + len(rejections) == 1
    detail = (
        await subs.client.get(subs.url(f"/admin/requests/{request['id']}"), headers=subs.operator())
    ).json()
    assert [e["action"] for e in detail["audit"]].count("submitted") == 1
    assert len([e for e in detail["audit"] if e["action"] in ("approved", "rejected")]) == 1


async def test_two_operators_approving_at_once_open_one_payment(subs) -> None:  # noqa: ANN001
    citizen, certification, plate = await subs.resident()
    request = await subs.submitted(citizen, certification, plate, SEMESTER)
    responses = await asyncio.gather(subs.approve(request["id"]), subs.approve(request["id"]))
    assert sorted(r.status_code for r in responses) == [200, 409]
    assert len(await subs.payloads("subscriptions.request.approved.v1", request_id=request["id"])) == 1


async def test_two_operators_approving_a_free_request_at_once_activate_one_subscription(subs) -> None:  # noqa: ANN001
    citizen = subs.citizen()
    plate = await subs.plate(citizen, electric=True)
    sent = await subs.client.post(
        subs.url("/requests/electric"), json={"plate_id": str(plate)}, headers=citizen.headers
    )
    request = sent.json()
    responses = await asyncio.gather(subs.approve(request["id"]), subs.approve(request["id"]))
    assert sorted(r.status_code for r in responses) == [200, 409]
    (late,) = [r for r in responses if r.status_code == 409]
    assert late.json()["code"] == "request_already_decided"
    assert len(await subs.subscriptions_of_request(request["id"])) == 1
    assert len(await subs.payloads("subscriptions.subscription.activated.v1", request_id=request["id"])) == 1


async def test_approval_is_refused_when_the_plate_got_a_subscription_over_those_days(subs) -> None:  # noqa: ANN001
    citizen, certification, plate = await subs.resident()
    request = await subs.submitted(citizen, certification, plate, ANNUAL)
    # Meanwhile an earlier request of the plate, expired unpaid, was paid late and activated.
    today = subs.today()
    await subs.add_subscription(
        citizen, plate, Period(today - timedelta(days=10), today + timedelta(days=100))
    )
    refused = await subs.approve(request["id"])
    assert refused.status_code == 409 and refused.json()["code"] == "plate_has_subscription"
    assert (await subs.stored_request(request["id"])).status == "pending"
    assert await subs.payloads("subscriptions.request.approved.v1", request_id=request["id"]) == []


async def test_a_decided_or_unknown_request_cannot_be_decided(subs) -> None:  # noqa: ANN001
    citizen, certification, plate = await subs.resident()
    request = await subs.submitted(citizen, certification, plate, ANNUAL)
    await subs.approved(request["id"])
    again = await subs.approve(request["id"])
    assert again.status_code == 409 and again.json()["code"] == "request_already_decided"
    unknown = await subs.approve(str(uuid.uuid4()))
    assert unknown.status_code == 404 and unknown.json()["code"] == "subscription_request_not_found"
    detail = await subs.client.get(subs.url(f"/admin/requests/{uuid.uuid4()}"), headers=subs.operator())
    assert detail.status_code == 404


async def test_approving_a_free_type_activates_the_subscription_at_once(subs) -> None:  # noqa: ANN001
    citizen = subs.citizen()
    plate = await subs.plate(citizen, electric=True)
    sent = await subs.client.post(
        subs.url("/requests/electric"), json={"plate_id": str(plate)}, headers=citizen.headers
    )
    request = sent.json()
    detail = await subs.approved(request["id"])
    # Nothing was paid: the words say so ("Pagata" was shown for a free subscription).
    assert (detail["status"], detail["status_label"], detail["pay_by"]) == (
        "paid",
        "Approvata: abbonamento gratuito",
        None,
    )
    assert detail["subscription_id"] is not None and detail["paid_at"] is not None
    assert [e["action"] for e in detail["audit"]] == ["submitted", "approved"]
    assert detail["audit"][1]["details"]["subscription_id"] == detail["subscription_id"]
    # No payment order of zero: billing hears no approval, everyone hears the activation.
    assert await subs.payloads("subscriptions.request.approved.v1", request_id=request["id"]) == []
    (activated,) = await subs.payloads("subscriptions.subscription.activated.v1", request_id=request["id"])
    assert (activated["subscription_id"], activated["sector_code"]) == (detail["subscription_id"], "*")
    assert (activated["valid_from"], activated["valid_until"]) == (
        request["valid_from"],
        request["valid_until"],
    )
    listed = (await subs.client.get(subs.url("/subscriptions"), headers=citizen.headers)).json()
    assert [(s["id"], s["status"], s["status_label"]) for s in listed["items"]] == [
        (detail["subscription_id"], "active", "Attivo")
    ]
    assert listed["items"][0]["sector_name"] == "Tutti i settori"
    # Free: no payment, hence no receipt to offer.
    assert listed["items"][0]["amount_cents"] == 0
    mine = (await subs.client.get(subs.url(f"/requests/{request['id']}"), headers=citizen.headers)).json()
    assert mine["status_label"] == "Approvata: abbonamento gratuito"


async def test_the_queue_lists_requests_oldest_first_filtered_by_status_and_plate(subs) -> None:  # noqa: ANN001
    citizen = subs.citizen()
    certification = await subs.certification(citizen)
    first = await subs.submitted(citizen, certification, await subs.plate(citizen), ANNUAL)
    second = await subs.submitted(citizen, certification, await subs.plate(citizen), ANNUAL)
    third = await subs.submitted(citizen, certification, await subs.plate(citizen), ANNUAL)
    await subs.approved(second["id"])
    pending = await subs.client.get(
        subs.url("/admin/requests"),
        params={"status": "pending", "user_id": str(citizen.user_id)},
        headers=subs.operator(),
    )
    assert [r["id"] for r in pending.json()["items"]] == [first["id"], third["id"]]
    everything = await subs.client.get(
        subs.url("/admin/requests"), params={"user_id": str(citizen.user_id)}, headers=subs.operator()
    )
    assert [r["id"] for r in everything.json()["items"]] == [first["id"], second["id"], third["id"]]
    spaced = " ".join(second["plate"][i : i + 2] for i in range(0, 7, 2)).lower()
    by_plate = await subs.client.get(
        subs.url("/admin/requests"), params={"plate": spaced}, headers=subs.operator()
    )
    assert [r["id"] for r in by_plate.json()["items"]] == [second["id"]]
    for bad in ({"status": "sconosciuto"}, {"user_id": "x"}, {"limit": 1000}):
        assert (
            await subs.client.get(subs.url("/admin/requests"), params=bad, headers=subs.operator())
        ).status_code == 422
    nul = await subs.client.get(
        subs.url("/admin/requests"), params={"plate": "AB\x00"}, headers=subs.operator()
    )
    assert nul.status_code in (200, 422)  # no such plate, or refused by kit's input guard
    assert nul.status_code == 422 or nul.json()["total"] == 0


async def test_a_free_approval_of_a_plate_dissociated_meanwhile_reads_approved_then_revoked(subs) -> None:  # noqa: ANN001
    """The events crossed: the operator approves after the plate left the profile. The trail
    says so in that order (it was written in the other order, at the same instant)."""
    from contracts.events import PlateDissociated

    citizen = subs.citizen()
    plate = await subs.plate(citizen, electric=True)
    request = (
        await subs.client.post(
            subs.url("/requests/electric"), json={"plate_id": str(plate)}, headers=citizen.headers
        )
    ).json()
    dissociated_at = datetime.now().astimezone().replace(microsecond=0)
    await subs.deliver(
        PlateDissociated(
            plate_id=plate, user_id=citizen.user_id, plate=request["plate"], dissociated_at=dissociated_at
        )
    )
    detail = await subs.approved(request["id"])
    assert [e["action"] for e in detail["audit"]] == ["submitted", "approved", "subscription_revoked"]
    listed = (await subs.client.get(subs.url("/subscriptions"), headers=citizen.headers)).json()
    assert [(s["id"], s["status"]) for s in listed["items"]] == [(detail["subscription_id"], "revoked")]
