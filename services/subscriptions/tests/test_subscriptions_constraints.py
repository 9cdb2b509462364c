"""The database itself keeps the rules that races could break, whatever code writes to it: one
open request per plate, one subscription per request, and never two subscriptions of a plate
over the same day (exclusion constraint)."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy.exc import IntegrityError

from kit.uow import unit_of_work, violated_constraint
from subscriptions.models import Subscription, SubscriptionRequest


def _request(plate: str, status: str = "pending", **overrides) -> SubscriptionRequest:  # noqa: ANN003
    values = {
        "user_id": uuid.uuid4(),
        "kind": "resident",
        "plate_id": uuid.uuid4(),
        "plate": plate,
        "sector_code": "S1",
        "sector_name": "Settore S1",
        "subscription_type_code": "RES-ANNUALE",
        "subscription_type_name": "Residenti – annuale",
        "duration_months": 12,
        "amount_cents": 6000,
        "vat_rate": 22,
        "valid_from": date(2027, 1, 1),
        "valid_until": date(2027, 12, 31),
        "description": "prova",
        "status": status,
        **overrides,
    }
    return SubscriptionRequest(**values)


def _subscription(
    request: SubscriptionRequest, valid_from: date, valid_until: date, **overrides
) -> Subscription:  # noqa: ANN003
    values = {
        "request_id": request.id,
        "user_id": request.user_id,
        "plate_id": request.plate_id,
        "plate": request.plate,
        "sector_code": "S1",
        "sector_name": "Settore S1",
        "subscription_type_code": "RES-ANNUALE",
        "subscription_type_name": "Residenti – annuale",
        "valid_from": valid_from,
        "valid_until": valid_until,
        "serial": f"CE-T-{uuid.uuid4().hex[:12]}",
        **overrides,
    }
    return Subscription(**values)


async def _refused_by(subs, *rows) -> str | None:  # noqa: ANN001, ANN002
    try:
        async with unit_of_work(subs.db) as session:
            for row in rows:
                session.add(row)
                await session.flush()
    except IntegrityError as exc:
        return violated_constraint(exc)
    return None


async def test_a_plate_has_one_open_request_at_most(subs, new_plate) -> None:  # noqa: ANN001
    plate = new_plate()
    assert (
        await _refused_by(subs, _request(plate), _request(plate, "approved"))
        == "uq_subscription_requests_open_plate"
    )
    assert (
        await _refused_by(subs, _request(plate), _request(plate, "rejected"), _request(plate, "paid")) is None
    )


async def test_a_request_has_one_subscription_at_most(subs, new_plate) -> None:  # noqa: ANN001
    request = _request(new_plate(), "paid")
    first = _subscription(request, date(2027, 1, 1), date(2027, 6, 30))
    second = _subscription(request, date(2028, 1, 1), date(2028, 6, 30))
    assert await _refused_by(subs, request, first, second) == "uq_subscriptions_request_id"


async def test_two_subscriptions_never_share_a_ticket_serial(subs, new_plate) -> None:  # noqa: ANN001
    first, second = _request(new_plate(), "paid"), _request(new_plate(), "paid")
    rows = [
        first,
        second,
        _subscription(first, date(2027, 1, 1), date(2027, 12, 31), serial="CE-2027-999999"),
        _subscription(second, date(2027, 1, 1), date(2027, 12, 31), serial="CE-2027-999999"),
    ]
    assert await _refused_by(subs, *rows) == "uq_subscriptions_serial"


@pytest.mark.parametrize(
    ("valid_from", "valid_until", "refused"),
    [
        (date(2027, 12, 31), date(2028, 6, 30), True),  # shares the last day
        (date(2026, 6, 1), date(2027, 1, 1), True),  # shares the first day
        (date(2027, 3, 1), date(2027, 3, 31), True),  # inside
        (date(2028, 1, 1), date(2028, 12, 31), False),  # the day after
        (date(2026, 1, 1), date(2026, 12, 31), False),  # the day before
    ],
)
async def test_a_plates_subscriptions_never_overlap(
    subs, new_plate, valid_from, valid_until, refused
) -> None:  # noqa: ANN001
    plate = new_plate()
    first, second = _request(plate, "paid"), _request(plate, "paid")
    rows = [
        first,
        second,
        _subscription(first, date(2027, 1, 1), date(2027, 12, 31)),
        _subscription(second, valid_from, valid_until),
    ]
    assert await _refused_by(subs, *rows) == ("ex_subscriptions_plate_period" if refused else None)


async def test_a_revoked_subscription_frees_its_days(subs, new_plate) -> None:  # noqa: ANN001
    plate = new_plate()
    first, second = _request(plate, "paid"), _request(plate, "paid")
    rows = [
        first,
        second,
        _subscription(first, date(2027, 1, 1), date(2027, 12, 31), status="revoked"),
        _subscription(second, date(2027, 6, 1), date(2028, 5, 31)),
    ]
    assert await _refused_by(subs, *rows) is None
