"""Citizens' requests ("Nuova Richiesta", "Auto Elettriche"): the form's choices, what is sent,
every refusal with its code, one open request and no overlapping subscriptions per plate (also
when two requests arrive at once), and no citizen ever reaching another's data."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from subscriptions.domain.periods import Period

ANNUAL, SEMESTER, ELECTRIC = "RES-ANNUALE", "RES-SEMESTRALE", "ELETTRICA-ANNUALE"


def codes(response) -> list[tuple[str, str]]:  # noqa: ANN001
    return [(e["field"], e["code"]) for e in response.json().get("errors", [])]


# The form.


async def test_the_form_offers_valid_certifications_active_plates_and_the_types(subs) -> None:  # noqa: ANN001
    citizen = subs.citizen()
    valid = await subs.certification(citizen, "S2")
    expired = await subs.certification(citizen, "S3")
    await subs.expire_certification(citizen, expired)
    elsewhere = await subs.certification(citizen, "Z9")
    car = await subs.plate(citizen)
    electric = await subs.plate(citizen, electric=True)
    gone = await subs.plate(citizen, plate="GN000NE")
    await subs.dissociate(citizen, gone, "GN000NE")
    await subs.certification(subs.citizen(), "S1")  # someone else's

    response = await subs.client.get(subs.url("/options"), headers=citizen.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    certifications = {c["certification_id"]: c for c in body["certifications"]}
    assert set(certifications) == {str(valid), str(elsewhere)}
    assert certifications[str(valid)]["allowed_type_codes"] == [ELECTRIC, ANNUAL, SEMESTER]
    assert certifications[str(elsewhere)]["allowed_type_codes"] == [ELECTRIC]
    assert {p["plate_id"]: p["electric"] for p in body["plates"]} == {str(car): False, str(electric): True}
    types = {t["code"]: t for t in body["types"]}
    assert (types[ANNUAL]["price_cents"], types[ANNUAL]["net_cents"], types[ANNUAL]["vat_cents"]) == (
        6000,
        4918,
        1082,
    )
    assert (types[ANNUAL]["vat_rate"], types[ANNUAL]["price_label"]) == ("22.00", "€ 60,00")
    assert (
        types[ELECTRIC]["electric_only"],
        types[ELECTRIC]["all_sectors"],
        types[ELECTRIC]["price_label"],
    ) == (
        True,
        True,
        "Gratuito",
    )


async def test_types_can_be_filtered_by_the_citizens_certification(subs) -> None:  # noqa: ANN001
    citizen = subs.citizen()
    elsewhere = await subs.certification(citizen, "Z9")
    central = await subs.certification(citizen, "S1")
    everything = await subs.client.get(subs.url("/types"), headers=citizen.headers)
    assert [t["code"] for t in everything.json()["items"]] == [ELECTRIC, ANNUAL, SEMESTER]
    assert everything.json()["total"] == 3
    in_s1 = await subs.client.get(
        subs.url("/types"), params={"certification_id": str(central)}, headers=citizen.headers
    )
    assert [t["code"] for t in in_s1.json()["items"]] == [ELECTRIC, ANNUAL, SEMESTER]
    allowed = await subs.client.get(
        subs.url("/types"), params={"certification_id": str(elsewhere)}, headers=citizen.headers
    )
    assert [t["code"] for t in allowed.json()["items"]] == [ELECTRIC]
    other = await subs.client.get(
        subs.url("/types"), params={"certification_id": str(elsewhere)}, headers=subs.citizen().headers
    )
    assert other.status_code == 422 and other.json()["code"] == "certification_not_available"


# Sending a request.


async def test_a_resident_request_asks_for_the_types_period_from_today(subs) -> None:  # noqa: ANN001
    citizen, certification, plate = await subs.resident("S1")
    response = await subs.request(citizen, certification, plate, ANNUAL)
    assert response.status_code == 201, response.text
    body = response.json()
    today = subs.today()
    assert body["status"] == "pending" and body["status_label"] == "In attesa di esito"
    assert (body["sector_code"], body["sector_name"], body["subscription_type_name"]) == (
        "S1",
        "Settore S1",
        "Residenti – annuale",
    )
    assert (body["amount_cents"], body["net_cents"], body["vat_cents"], body["currency"]) == (
        6000,
        4918,
        1082,
        "EUR",
    )
    assert body["valid_from"] == today.isoformat()
    assert body["valid_until"] == Period.of_months(today, 12).valid_until.isoformat()
    assert body["pay_by"] is None and body["subscription_id"] is None
    assert body["description"].startswith(
        f"Abbonamento Residenti – annuale, settore S1, targa {body['plate']}, dal "
    )
    (submitted,) = await subs.payloads("subscriptions.request.submitted.v1", request_id=body["id"])
    assert submitted["user_id"] == str(citizen.user_id) and submitted["subscription_type_code"] == ANNUAL

    listed = await subs.client.get(subs.url("/requests"), headers=citizen.headers)
    assert [r["id"] for r in listed.json()["items"]] == [body["id"]]
    one = await subs.client.get(subs.url(f"/requests/{body['id']}"), headers=citizen.headers)
    assert one.json() == body


async def test_the_citizens_requests_are_listed_newest_first(subs) -> None:  # noqa: ANN001
    citizen = subs.citizen()
    certification = await subs.certification(citizen)
    sent = [
        (await subs.submitted(citizen, certification, await subs.plate(citizen), SEMESTER))["id"]
        for _ in range(3)
    ]
    page = await subs.client.get(subs.url("/requests"), params={"limit": 2}, headers=citizen.headers)
    assert page.json()["total"] == 3
    assert [r["id"] for r in page.json()["items"]] == sent[::-1][:2]


async def test_an_electric_request_needs_only_a_plate_certified_electric(subs) -> None:  # noqa: ANN001
    citizen = subs.citizen()
    plate = await subs.plate(citizen, electric=True)
    response = await subs.client.post(
        subs.url("/requests/electric"), json={"plate_id": str(plate)}, headers=citizen.headers
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["kind"], body["certification_id"], body["subscription_type_code"]) == (
        "electric",
        None,
        ELECTRIC,
    )
    assert (body["sector_code"], body["sector_name"], body["amount_cents"]) == ("*", "Tutti i settori", 0)
    assert "valido in tutti i settori" in body["description"]
    queue = await subs.client.get(
        subs.url("/admin/requests"),
        params={"status": "pending", "user_id": str(citizen.user_id)},
        headers=subs.operator(),
    )
    assert [r["id"] for r in queue.json()["items"]] == [body["id"]]


async def test_an_electric_request_for_a_car_not_electric_is_refused(subs) -> None:  # noqa: ANN001
    citizen, certification, plate = await subs.resident()
    electric_route = await subs.client.post(
        subs.url("/requests/electric"), json={"plate_id": str(plate)}, headers=citizen.headers
    )
    assert electric_route.status_code == 422
    assert codes(electric_route) == [("plate_id", "plate_not_electric")]
    form = await subs.request(citizen, certification, plate, ELECTRIC)
    assert form.status_code == 422 and codes(form) == [("plate_id", "plate_not_electric")]


async def test_the_electric_route_takes_only_electric_types(subs) -> None:  # noqa: ANN001
    citizen = subs.citizen()
    plate = await subs.plate(citizen, electric=True)
    response = await subs.client.post(
        subs.url("/requests/electric"),
        json={"plate_id": str(plate), "subscription_type_code": ANNUAL},
        headers=citizen.headers,
    )
    assert response.status_code == 422 and codes(response) == [
        ("subscription_type_code", "subscription_type_not_electric")
    ]


async def test_an_electric_car_may_also_take_a_resident_type(subs) -> None:  # noqa: ANN001
    citizen, certification, plate = await subs.resident("S4", electric=True)
    assert (await subs.request(citizen, certification, plate, ANNUAL)).status_code == 201


# Refusals.


async def test_a_certification_or_plate_not_known_yet_asks_to_retry_shortly(subs) -> None:  # noqa: ANN001
    citizen = subs.citizen()
    response = await subs.request(citizen, uuid.uuid4(), uuid.uuid4(), ANNUAL)
    assert response.status_code == 422
    assert codes(response) == [
        ("certification_id", "certification_not_available"),
        ("plate_id", "plate_not_available"),
    ]
    assert response.json()["code"] == "certification_not_available"
    assert "non ancora disponibile: riprova tra qualche istante" in response.json()["detail"]


async def test_another_citizens_certification_and_plate_are_answered_as_unknown(subs) -> None:  # noqa: ANN001
    _, certification, plate = await subs.resident()
    intruder = subs.citizen()
    response = await subs.request(intruder, certification, plate, ANNUAL)
    assert response.status_code == 422
    assert codes(response) == [
        ("certification_id", "certification_not_available"),
        ("plate_id", "plate_not_available"),
    ]


async def test_an_expired_certification_is_refused(subs) -> None:  # noqa: ANN001
    citizen, certification, plate = await subs.resident()
    await subs.expire_certification(citizen, certification)
    response = await subs.request(citizen, certification, plate, ANNUAL)
    assert response.status_code == 422 and codes(response) == [("certification_id", "certification_expired")]


async def test_a_certification_past_its_last_day_is_refused_before_its_expiry_event(subs) -> None:  # noqa: ANN001
    citizen = subs.citizen()
    yesterday = subs.today() - timedelta(days=1)
    certification = await subs.certification(
        citizen, valid_from=yesterday - timedelta(days=365), valid_until=yesterday
    )
    response = await subs.request(citizen, certification, await subs.plate(citizen), ANNUAL)
    assert response.status_code == 422 and codes(response) == [("certification_id", "certification_expired")]


async def test_a_dissociated_plate_is_refused(subs) -> None:  # noqa: ANN001
    citizen = subs.citizen()
    certification = await subs.certification(citizen)
    plate = await subs.plate(citizen, plate="DS111SC")
    await subs.dissociate(citizen, plate, "DS111SC")
    response = await subs.request(citizen, certification, plate, ANNUAL)
    assert response.status_code == 422 and codes(response) == [("plate_id", "plate_dissociated")]


async def test_a_type_not_allowed_in_the_certifications_sector_is_refused(subs) -> None:  # noqa: ANN001
    citizen, certification, plate = await subs.resident("Z9")
    response = await subs.request(citizen, certification, plate, ANNUAL)
    assert response.status_code == 422
    assert codes(response) == [("subscription_type_code", "subscription_type_not_allowed")]
    assert "Z9" in response.json()["detail"]


async def test_an_unknown_or_malformed_type_is_refused(subs) -> None:  # noqa: ANN001
    citizen, certification, plate = await subs.resident()
    for code in ("NON-ESISTE", "", "'; DROP TABLE subscription_types; --"):
        response = await subs.request(citizen, certification, plate, code)
        assert response.status_code == 422, (code, response.text)
        assert codes(response) == [("subscription_type_code", "subscription_type_not_found")]
    # A NUL character, which PostgreSQL cannot store: refused (by kit's input guard or by the
    # domain), never a 500.
    response = await subs.request(citizen, certification, plate, "x\x00y")
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["subscription_type_code"]


async def test_a_plate_with_an_open_request_is_refused(subs) -> None:  # noqa: ANN001
    citizen, certification, plate = await subs.resident()
    first = await subs.submitted(citizen, certification, plate, ANNUAL)
    again = await subs.request(citizen, certification, plate, SEMESTER)
    assert again.status_code == 409 and again.json()["code"] == "plate_has_open_request"
    assert codes(again) == [("plate_id", "plate_has_open_request")]
    # Approved and waiting for payment: still open.
    await subs.approved(first["id"])
    assert (await subs.request(citizen, certification, plate, SEMESTER)).status_code == 409
    # Rejected: the plate is free again.
    other_plate = await subs.plate(citizen)
    second = await subs.submitted(citizen, certification, other_plate, ANNUAL)
    rejected = await subs.client.post(
        subs.url(f"/admin/requests/{second['id']}/reject"),
        json={"reason": "Documenti incompleti"},
        headers=subs.operator(),
    )
    assert rejected.status_code == 200
    assert (await subs.request(citizen, certification, other_plate, SEMESTER)).status_code == 201


async def test_two_requests_for_one_plate_at_the_same_moment_give_one(subs) -> None:  # noqa: ANN001
    citizen, certification, plate = await subs.resident()
    responses = await asyncio.gather(
        subs.request(citizen, certification, plate, ANNUAL),
        subs.request(citizen, certification, plate, SEMESTER),
    )
    assert sorted(r.status_code for r in responses) == [201, 409]
    (refused,) = [r for r in responses if r.status_code == 409]
    assert refused.json()["code"] == "plate_has_open_request"
    listed = await subs.client.get(subs.url("/requests"), headers=citizen.headers)
    assert listed.json()["total"] == 1


async def test_two_citizens_requesting_one_plate_at_once_give_one(subs) -> None:  # noqa: ANN001
    """Two households may both have a car's plate associated: the plate gets one request."""
    plate = "SH123RD"
    first, second = subs.citizen(), subs.citizen()
    bodies = []
    for citizen in (first, second):
        bodies.append((citizen, await subs.certification(citizen), await subs.plate(citizen, plate=plate)))
    responses = await asyncio.gather(*(subs.request(c, cert, p, ANNUAL) for c, cert, p in bodies))
    assert sorted(r.status_code for r in responses) == [201, 409]


async def test_a_request_for_a_plate_with_a_current_subscription_starts_the_day_after_it(subs) -> None:  # noqa: ANN001
    citizen, certification, plate = await subs.resident()
    today = subs.today()
    current = Period(today - timedelta(days=100), today + timedelta(days=20))
    await subs.add_subscription(citizen, plate, current)
    body = await subs.submitted(citizen, certification, plate, SEMESTER)
    assert body["valid_from"] == (current.valid_until + timedelta(days=1)).isoformat()
    assert (
        body["valid_until"]
        == Period.of_months(current.valid_until + timedelta(days=1), 6).valid_until.isoformat()
    )


async def test_a_request_overlapping_a_subscription_of_the_plate_is_refused(subs) -> None:  # noqa: ANN001
    citizen, certification, plate = await subs.resident()
    today = subs.today()
    # Already renewed: the current subscription and the next one, paid.
    current = Period(today - timedelta(days=100), today + timedelta(days=20))
    renewed = Period(current.valid_until + timedelta(days=1), current.valid_until + timedelta(days=366))
    await subs.add_subscription(citizen, plate, current)
    await subs.add_subscription(citizen, plate, renewed)
    response = await subs.request(citizen, certification, plate, SEMESTER)
    assert response.status_code == 409 and response.json()["code"] == "plate_has_subscription"
    assert codes(response) == [("plate_id", "plate_has_subscription")]


async def test_a_request_overlapping_a_future_subscription_is_refused(subs) -> None:  # noqa: ANN001
    citizen, certification, plate = await subs.resident()
    today = subs.today()
    await subs.add_subscription(
        citizen, plate, Period(today + timedelta(days=30), today + timedelta(days=395))
    )
    response = await subs.request(citizen, certification, plate, SEMESTER)
    assert response.status_code == 409 and response.json()["code"] == "plate_has_subscription"


async def test_every_broken_rule_of_a_request_is_named_at_once(subs) -> None:  # noqa: ANN001
    citizen = subs.citizen()
    certification = await subs.certification(citizen)
    await subs.expire_certification(citizen, certification)
    response = await subs.request(citizen, certification, uuid.uuid4(), "NON-ESISTE")
    assert codes(response) == [
        ("certification_id", "certification_expired"),
        ("plate_id", "plate_not_available"),
        ("subscription_type_code", "subscription_type_not_found"),
    ]


async def test_malformed_requests_are_refused_in_italian_without_a_500(subs) -> None:  # noqa: ANN001
    citizen = subs.citizen()
    bodies = [
        {},
        {"certification_id": "not-a-uuid", "plate_id": str(uuid.uuid4()), "subscription_type_code": ANNUAL},
        {"certification_id": str(uuid.uuid4()), "plate_id": str(uuid.uuid4()), "subscription_type_code": 12},
        {
            "certification_id": str(uuid.uuid4()),
            "plate_id": str(uuid.uuid4()),
            "subscription_type_code": "x" * 101,
        },
        {"plate_id": str(uuid.uuid4()), "extra": True},
    ]
    for body in bodies:
        for path in ("/requests", "/requests/electric"):
            response = await subs.client.post(subs.url(path), json=body, headers=citizen.headers)
            assert response.status_code == 422, (path, body, response.text)
            assert response.json()["errors"]


# Only one's own.


async def test_citizens_see_and_reach_only_their_own_requests_and_subscriptions(subs) -> None:  # noqa: ANN001
    owner, certification, plate = await subs.resident()
    request = await subs.submitted(owner, certification, plate, ANNUAL)
    intruder = subs.citizen()
    one = await subs.client.get(subs.url(f"/requests/{request['id']}"), headers=intruder.headers)
    assert one.status_code == 404 and one.json()["code"] == "subscription_request_not_found"
    assert (await subs.client.get(subs.url("/requests"), headers=intruder.headers)).json()["total"] == 0
    assert (await subs.client.get(subs.url("/subscriptions"), headers=intruder.headers)).json()["total"] == 0
    options = (await subs.client.get(subs.url("/options"), headers=intruder.headers)).json()
    assert options["certifications"] == [] and options["plates"] == []
    missing = await subs.client.get(subs.url(f"/requests/{uuid.uuid4()}"), headers=owner.headers)
    assert missing.status_code == 404


async def test_citizens_are_refused_on_operator_and_admin_routes(subs) -> None:  # noqa: ANN001
    owner, certification, plate = await subs.resident()
    request = await subs.submitted(owner, certification, plate, ANNUAL)
    for method, path, body in [
        ("GET", "/admin/requests", None),
        ("GET", f"/admin/requests/{request['id']}", None),
        ("POST", f"/admin/requests/{request['id']}/approve", {}),
        ("POST", f"/admin/requests/{request['id']}/reject", {"reason": "Non mi piace"}),
        ("GET", "/admin/types", None),
        ("PUT", f"/admin/types/{ANNUAL}", {}),
    ]:
        response = await subs.client.request(method, subs.url(path), json=body, headers=owner.headers)
        assert response.status_code == 403, (method, path)
        assert response.json()["code"] == "forbidden"
    assert (await subs.stored_request(request["id"])).status == "pending"


async def test_staff_do_not_use_the_citizens_routes_and_strangers_are_asked_to_log_in(subs) -> None:  # noqa: ANN001
    assert (await subs.client.get(subs.url("/requests"), headers=subs.operator())).status_code == 403
    anonymous = await subs.client.get(subs.url("/requests"))
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "unauthenticated"
