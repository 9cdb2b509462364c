"""Enforcement (operators): by plate and by a ticket's QR token, whether a valid subscription
covers it today, in which sector and until when; an expired, revoked, unknown or forged one
says so."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from kit.uow import unit_of_work
from subscriptions.domain.periods import Period, format_date
from subscriptions.models import CitizenPlate, Subscription
from subscriptions.service.tickets import issued_ticket


async def _by_plate(subs, plate: str) -> dict[str, Any]:  # noqa: ANN001
    response = await subs.client.get(
        subs.url("/admin/enforcement"), params={"plate": plate}, headers=subs.operator()
    )
    assert response.status_code == 200, response.text
    return response.json()


async def _by_token(subs, token: str) -> dict[str, Any]:  # noqa: ANN001
    response = await subs.client.post(
        subs.url("/admin/enforcement/verify"), json={"token": token}, headers=subs.operator()
    )
    assert response.status_code == 200, response.text
    return response.json()


async def _token(subs, subscription_id: uuid.UUID) -> str:  # noqa: ANN001
    """The ticket's token, issued whatever the subscription's state (as it was printed)."""
    async with unit_of_work(subs.db) as session:
        subscription = await session.get(Subscription, subscription_id)
        assert subscription is not None
        return (await issued_ticket(session, subs.runtime, subscription)).token


async def _plate_of(subs, plate_id: uuid.UUID) -> str:  # noqa: ANN001
    async with subs.db.session() as session:
        row = await session.get(CitizenPlate, plate_id)
        assert row is not None
        return row.plate


async def test_a_valid_subscription_says_valid_its_sector_and_until_when(subs) -> None:  # noqa: ANN001
    citizen, certification, plate_id = await subs.resident("S3")
    subscription = await subs.active_subscription(citizen, certification, plate_id)
    await subs.ticket(subscription["id"], citizen.headers)
    token = await subs.token_of(subscription["id"])

    # Typed as an officer might: lower case, with spaces.
    typed = f"{subscription['plate'][:2].lower()} {subscription['plate'][2:]}"
    for check in (await _by_plate(subs, typed), await _by_token(subs, token)):
        assert (check["valid"], check["outcome"], check["outcome_label"]) == (True, "valid", "Valido")
        assert check["plate"] == subscription["plate"]
        assert check["checked_on"] == subs.today().isoformat()
        found = check["subscription"]
        assert (found["id"], found["serial"], found["sector_code"], found["sector_name"]) == (
            subscription["id"],
            subscription["serial"],
            "S3",
            "Settore S3",
        )
        assert found["valid_until"] == subscription["valid_until"]
    ticket = (await _by_token(subs, token))["ticket"]
    assert (ticket["serial"], ticket["plate"], ticket["sector_code"], ticket["valid_until"]) == (
        subscription["serial"],
        subscription["plate"],
        "S3",
        subscription["valid_until"],
    )


async def test_an_expired_subscription_says_when_it_expired(subs) -> None:  # noqa: ANN001
    citizen, _, plate_id = await subs.resident()
    today = subs.today()
    ended = Period(today - timedelta(days=400), today - timedelta(days=36))
    subscription_id = await subs.add_subscription(citizen, plate_id, ended)
    token = await _token(subs, subscription_id)

    for check in (await _by_plate(subs, await _plate_of(subs, plate_id)), await _by_token(subs, token)):
        assert (check["valid"], check["outcome"]) == (False, "expired")
        assert check["outcome_label"] == f"Scaduto il {format_date(ended.valid_until)}"
        assert check["subscription"]["status"] == "expired"


async def test_a_revoked_subscription_says_when_it_was_revoked_even_with_a_genuine_ticket(subs) -> None:  # noqa: ANN001
    citizen, _, plate_id = await subs.resident()
    today = subs.today()
    subscription_id = await subs.add_subscription(
        citizen, plate_id, Period(today - timedelta(days=10), today + timedelta(days=300))
    )
    token = await _token(subs, subscription_id)
    plate = await _plate_of(subs, plate_id)
    await subs.dissociate(citizen, plate_id, plate)

    for check in (await _by_plate(subs, plate), await _by_token(subs, token)):
        assert (check["valid"], check["outcome"]) == (False, "revoked")
        assert check["outcome_label"] == f"Revocato il {format_date(today)}"
        assert check["subscription"]["revoked_on"] == today.isoformat()
        assert (
            check["subscription"]["revoked_reason"] == "La targa non è più associata al profilo del titolare."
        )


async def test_a_plate_without_subscriptions_has_none(subs, new_plate) -> None:  # noqa: ANN001
    check = await _by_plate(subs, new_plate())
    assert (check["valid"], check["outcome"], check["outcome_label"], check["subscription"]) == (
        False,
        "not_found",
        "Nessun abbonamento per questa targa",
        None,
    )


async def test_a_subscription_not_started_yet_says_from_when(subs) -> None:  # noqa: ANN001
    citizen, _, plate_id = await subs.resident()
    start = subs.today() + timedelta(days=5)
    await subs.add_subscription(citizen, plate_id, Period(start, start + timedelta(days=200)))
    check = await _by_plate(subs, await _plate_of(subs, plate_id))
    assert (check["valid"], check["outcome"]) == (False, "not_yet_valid")
    assert check["outcome_label"] == f"Non ancora valido: valido dal {format_date(start)}"


async def test_the_current_subscription_answers_before_a_past_or_a_following_one(subs) -> None:  # noqa: ANN001
    citizen, _, plate_id = await subs.resident()
    today = subs.today()
    await subs.add_subscription(
        citizen, plate_id, Period(today - timedelta(days=400), today - timedelta(days=36))
    )
    current = await subs.add_subscription(
        citizen, plate_id, Period(today - timedelta(days=35), today + timedelta(days=5))
    )
    await subs.add_subscription(
        citizen, plate_id, Period(today + timedelta(days=6), today + timedelta(days=370))
    )
    check = await _by_plate(subs, await _plate_of(subs, plate_id))
    assert (check["outcome"], check["subscription"]["id"]) == ("valid", str(current))


async def test_a_forged_or_foreign_token_is_not_valid(subs) -> None:  # noqa: ANN001
    citizen, certification, plate_id = await subs.resident()
    subscription = await subs.active_subscription(citizen, certification, plate_id)
    await subs.ticket(subscription["id"], citizen.headers)
    token = await subs.token_of(subscription["id"])
    version, kid, payload, signature = token.split(".")

    for forged in (
        f"{version}.{kid}.{payload}.{signature[:-4]}{'AAAA' if signature[-4:] != 'AAAA' else 'BBBB'}",
        f"{version}.zzzz9999.{payload}.{signature}",
        "https://example.org/not-a-ticket",
    ):
        check = await _by_token(subs, forged)
        assert (check["valid"], check["outcome"], check["subscription"], check["ticket"]) == (
            False,
            "invalid",
            None,
            None,
        )
        assert check["outcome_label"].startswith("Contrassegno non valido: ")


async def test_enforcement_is_for_operators_and_refuses_what_is_not_a_plate(subs) -> None:  # noqa: ANN001
    citizen = subs.citizen()
    by_citizen = await subs.client.get(
        subs.url("/admin/enforcement"), params={"plate": "AB123CD"}, headers=citizen.headers
    )
    verify_by_citizen = await subs.client.post(
        subs.url("/admin/enforcement/verify"), json={"token": "v1.x.y.z"}, headers=citizen.headers
    )
    anonymous = await subs.client.get(subs.url("/admin/enforcement"), params={"plate": "AB123CD"})
    not_a_plate = await subs.client.get(
        subs.url("/admin/enforcement"), params={"plate": "AB/12"}, headers=subs.operator()
    )
    assert (by_citizen.status_code, verify_by_citizen.status_code, anonymous.status_code) == (403, 403, 401)
    assert not_a_plate.status_code == 422
    assert not_a_plate.json()["errors"][0]["field"] == "plate"
