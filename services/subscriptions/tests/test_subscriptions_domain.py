"""The pure rules of subscriptions: periods, prices, the catalogue, who may request what, the
statuses people read, and the operators' decisions. No database."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from kit.errors import Invalid
from subscriptions.domain.catalogue import ALL_SECTORS, allows_sector, type_draft
from subscriptions.domain.decisions import (
    description,
    pay_by,
)
from subscriptions.domain.eligibility import (
    certification_errors,
    plate_errors,
    subscription_sector,
    type_errors,
)
from subscriptions.domain.money import format_euro, split_gross
from subscriptions.domain.periods import Period, local_date, requested_period
from subscriptions.domain.statuses import (
    RequestStatus,
    SubscriptionStatus,
    request_status_label,
    subscription_status,
    subscription_status_label,
)
from subscriptions.domain.text import normalize_plate

# Periods.


@pytest.mark.parametrize(
    ("start", "months", "last_day"),
    [
        (date(2027, 2, 1), 12, date(2028, 1, 31)),  # the example
        (date(2027, 1, 1), 6, date(2027, 6, 30)),
        (date(2027, 1, 31), 1, date(2027, 2, 28)),  # no 31 February: the month is covered whole
        (date(2028, 1, 31), 1, date(2028, 2, 29)),  # leap year
        (date(2027, 1, 30), 1, date(2027, 2, 28)),
        (date(2028, 1, 29), 1, date(2028, 2, 28)),  # 29 February exists in 2028
        (date(2027, 8, 31), 6, date(2028, 2, 29)),
        (date(2027, 3, 31), 6, date(2027, 9, 30)),
        (date(2028, 2, 29), 12, date(2029, 2, 28)),  # a year from a leap day loses no day
        (date(2027, 12, 31), 12, date(2028, 12, 30)),
        (date(2027, 12, 31), 2, date(2028, 2, 29)),
        (date(2027, 11, 30), 3, date(2028, 2, 29)),
    ],
)
def test_a_period_of_months_ends_the_day_before_the_same_day_months_later(
    start: date, months: int, last_day: date
) -> None:
    assert Period.of_months(start, months) == Period(start, last_day)


def test_renewals_follow_each_other_without_a_gap_or_an_overlap() -> None:
    period = Period.of_months(date(2027, 1, 31), 1)
    for _ in range(40):
        renewal = requested_period(period.valid_until, 1, current_until=period.valid_until)
        assert renewal.valid_from == period.valid_until + timedelta(days=1)
        assert not renewal.overlaps(period)
        period = renewal
    assert period.valid_until == date(2030, 6, 30)  # 1 March 2027 + 40 months, less a day


def test_a_period_needs_at_least_a_month() -> None:
    with pytest.raises(ValueError):
        Period.of_months(date(2027, 1, 1), 0)


def test_a_request_starts_today_or_the_day_after_the_current_subscription() -> None:
    today = date(2027, 3, 10)
    assert requested_period(today, 12) == Period(date(2027, 3, 10), date(2028, 3, 9))
    assert requested_period(today, 12, current_until=date(2027, 5, 31)) == Period(
        date(2027, 6, 1), date(2028, 5, 31)
    )
    # A subscription that ended yesterday does not move the start.
    assert requested_period(today, 6, current_until=date(2027, 3, 9)).valid_from == today


def test_periods_overlap_when_they_share_a_day() -> None:
    first = Period(date(2027, 1, 1), date(2027, 12, 31))
    assert first.overlaps(Period(date(2027, 12, 31), date(2028, 6, 30)))
    assert not first.overlaps(Period(date(2028, 1, 1), date(2028, 6, 30)))
    assert first.label == "dal 01/01/2027 al 31/12/2027"


def test_the_day_is_the_one_in_caserta() -> None:
    # 23:30 UTC on 31 December is already 1 January in Rome (UTC+1 in winter).
    assert local_date(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == date(2027, 1, 1)
    # 22:30 UTC on 30 June is 00:30 on 1 July in Rome (UTC+2 in summer).
    assert local_date(datetime(2027, 6, 30, 22, 30, tzinfo=UTC)) == date(2027, 7, 1)


# Prices.


@pytest.mark.parametrize(
    ("gross", "rate", "net", "vat"),
    [
        (6000, Decimal("22"), 4918, 1082),
        (3500, Decimal("22"), 2869, 631),
        (0, Decimal("22"), 0, 0),
        (1, Decimal("22"), 1, 0),
        (122, Decimal("22"), 100, 22),
        (1000, Decimal("10"), 909, 91),
        (1000, Decimal("0"), 1000, 0),
        (1055, Decimal("5.5"), 1000, 55),
    ],
)
def test_the_price_splits_into_net_and_vat_exactly(gross: int, rate: Decimal, net: int, vat: int) -> None:
    split = split_gross(gross, rate)
    assert (split.gross_cents, split.net_cents, split.vat_cents) == (gross, net, vat)


def test_net_and_vat_always_add_up_to_the_gross() -> None:
    for rate in (Decimal("22"), Decimal("10"), Decimal("4"), Decimal("5.5"), Decimal("21.99")):
        for gross in range(0, 20_000, 7):
            split = split_gross(gross, rate)
            assert split.net_cents + split.vat_cents == gross
            assert isinstance(split.net_cents, int) and isinstance(split.vat_cents, int)
            # The net is the closest cent to gross / (1 + rate).
            exact = Decimal(gross) * 100 / (100 + rate)
            assert abs(Decimal(split.net_cents) - exact) <= Decimal("0.5")


def test_prices_read_as_italians_write_them() -> None:
    assert format_euro(6000) == "€ 60,00"
    assert format_euro(5) == "€ 0,05"
    assert format_euro(123456789) == "€ 1.234.567,89"


def test_a_negative_price_or_rate_out_of_range_is_a_bug() -> None:
    with pytest.raises(ValueError):
        split_gross(-1, Decimal("22"))
    with pytest.raises(ValueError):
        split_gross(100, Decimal("101"))


# The catalogue.


def _type(**overrides):  # noqa: ANN003, ANN202
    values = {"code": "res-annuale", "name": "Residenti – annuale", "sector_codes": ["s1", "S2", "S1"]}
    values |= {"duration_months": 12, "price_cents": 6000, **overrides}
    return type_draft(**values)


def test_a_type_is_stored_normalised_with_the_default_vat_rate() -> None:
    draft = _type()
    assert (draft.code, draft.sector_codes, draft.vat_rate) == ("RES-ANNUALE", ("S1", "S2"), Decimal("22.00"))


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"code": "x"}, "code", "code_invalid"),
        ({"code": "RES ANNUALE"}, "code", "code_invalid"),
        ({"name": "ab"}, "name", "name_invalid"),
        ({"name": "Resid\x00enti"}, "name", "name_invalid"),
        ({"sector_codes": []}, "sector_codes", "sectors_required"),
        ({"sector_codes": ["S-1"]}, "sector_codes", "sector_code_invalid"),
        ({"all_sectors": True}, "sector_codes", "sectors_with_all_sectors"),
        ({"duration_months": 0}, "duration_months", "duration_invalid"),
        ({"duration_months": 61}, "duration_months", "duration_invalid"),
        ({"price_cents": -1}, "price_cents", "price_invalid"),
        ({"price_cents": 10**12}, "price_cents", "price_invalid"),
        ({"vat_rate": Decimal("100.01")}, "vat_rate", "vat_rate_invalid"),
        ({"vat_rate": Decimal("22.001")}, "vat_rate", "vat_rate_invalid"),
        ({"vat_rate": Decimal("NaN")}, "vat_rate", "vat_rate_invalid"),
    ],
)
def test_a_type_breaking_a_rule_is_refused_on_its_field(overrides: dict, field: str, code: str) -> None:
    with pytest.raises(Invalid) as refused:
        _type(**overrides)
    assert [(e.field, e.code) for e in refused.value.errors] == [(field, code)]


def test_every_broken_rule_of_a_type_is_named_at_once() -> None:
    with pytest.raises(Invalid) as refused:
        _type(code="?", name="", duration_months=0)
    assert {e.field for e in refused.value.errors} == {"code", "name", "duration_months"}


@dataclass
class _Type:
    code: str = "T"
    active: bool = True
    electric_only: bool = False
    all_sectors: bool = False
    sector_codes: list[str] = field(default_factory=lambda: ["S1", "S2"])


def test_a_type_is_allowed_in_its_sectors_or_everywhere_when_it_says_so() -> None:
    assert allows_sector(_Type(), "S1")
    assert not allows_sector(_Type(), "S3")
    assert allows_sector(_Type(all_sectors=True, sector_codes=[]), "S3")


def test_the_type_must_be_offered_allowed_in_the_sector_and_electric_for_electric_plates() -> None:
    assert type_errors(_Type(), sector_code="S1", plate_electric=False) == []
    assert [e.code for e in type_errors(None, sector_code="S1", plate_electric=True)] == [
        "subscription_type_not_found"
    ]
    assert [e.code for e in type_errors(_Type(active=False), sector_code="S1", plate_electric=True)] == [
        "subscription_type_not_found"
    ]
    assert [e.code for e in type_errors(_Type(), sector_code="S3", plate_electric=True)] == [
        "subscription_type_not_allowed"
    ]
    electric = _Type(electric_only=True, all_sectors=True, sector_codes=[])
    assert type_errors(electric, sector_code="S3", plate_electric=True) == []
    assert [e.code for e in type_errors(electric, sector_code="S3", plate_electric=False)] == [
        "plate_not_electric"
    ]
    # Unknown sector or plate (their own errors are reported): nothing more to say.
    assert type_errors(electric, sector_code=None, plate_electric=None) == []


# Who may request what.

USER = uuid.uuid4()
TODAY = date(2027, 3, 10)


@dataclass
class _Certification:
    user_id: uuid.UUID = USER
    sector_code: str = "S1"
    sector_name: str | None = "Settore 1"
    valid_from: date | None = date(2027, 1, 1)
    valid_until: date | None = date(2027, 12, 31)
    expired: bool = False


@dataclass
class _Plate:
    user_id: uuid.UUID = USER
    plate: str = "AB123CD"
    electric: bool | None = False
    active: bool = True


@pytest.mark.parametrize(
    ("certification", "code"),
    [
        (_Certification(), None),
        (_Certification(valid_until=TODAY), None),  # its last day still counts
        (None, "certification_not_available"),
        (_Certification(user_id=uuid.uuid4()), "certification_not_available"),
        (_Certification(expired=True), "certification_expired"),
        (_Certification(valid_until=date(2027, 3, 9)), "certification_expired"),
        (_Certification(sector_name=None, valid_from=None, valid_until=None), "certification_not_available"),
    ],
)
def test_a_certification_counts_while_it_is_the_citizens_and_valid(certification, code) -> None:  # noqa: ANN001
    assert [e.code for e in certification_errors(certification, USER, TODAY)] == ([code] if code else [])


def test_a_certification_not_known_yet_asks_to_try_again_shortly() -> None:
    (error,) = certification_errors(None, USER, TODAY)
    assert error.field == "certification_id"
    assert "non ancora disponibile: riprova tra qualche istante" in error.message


@pytest.mark.parametrize(
    ("plate", "code"),
    [
        (_Plate(), None),
        (None, "plate_not_available"),
        (_Plate(user_id=uuid.uuid4()), "plate_not_available"),
        (_Plate(active=False), "plate_dissociated"),
        (_Plate(electric=None), "plate_not_available"),
    ],
)
def test_a_plate_counts_while_it_is_associated_with_the_citizen(plate, code) -> None:  # noqa: ANN001
    assert [e.code for e in plate_errors(plate, USER)] == ([code] if code else [])


def test_a_subscription_is_for_the_certifications_sector_or_every_sector() -> None:
    assert subscription_sector(_Type(), _Certification()).code == "S1"
    everywhere = subscription_sector(_Type(all_sectors=True, sector_codes=[]), _Certification())
    assert (everywhere.code, everywhere.name) == (ALL_SECTORS, "Tutti i settori")
    assert subscription_sector(_Type(electric_only=True, all_sectors=True), None).code == ALL_SECTORS


# Statuses.


def test_request_statuses_read_in_italian() -> None:
    assert {s.value: request_status_label(s.value) for s in RequestStatus} == {
        "pending": "In attesa di esito",
        "approved": "Approvata: in attesa di pagamento",
        "rejected": "Rifiutata",
        "paid": "Pagata",
        "expired_unpaid": "Scaduta per mancato pagamento",
        "refund_due": "Pagata oltre il termine: importo da rimborsare",
    }
    assert {s for s in RequestStatus if s.is_open} == {RequestStatus.PENDING, RequestStatus.APPROVED}


def test_a_free_request_approved_is_not_said_to_be_paid() -> None:
    assert request_status_label("paid", amount_cents=0) == "Approvata: abbonamento gratuito"
    assert request_status_label("paid", amount_cents=6000) == "Pagata"
    assert request_status_label("approved", amount_cents=0) == "Approvata: in attesa di pagamento"


def test_a_subscription_shows_expired_after_its_last_day_and_active_from_its_first() -> None:
    start, end = date(2027, 4, 1), date(2028, 3, 31)
    assert subscription_status("active", end, end) is SubscriptionStatus.ACTIVE
    assert subscription_status("active", end, date(2028, 4, 1)) is SubscriptionStatus.EXPIRED
    assert subscription_status("revoked", end, TODAY) is SubscriptionStatus.REVOKED
    assert subscription_status_label(SubscriptionStatus.ACTIVE, start, date(2027, 4, 1)) == "Attivo"
    assert subscription_status_label(SubscriptionStatus.ACTIVE, start, TODAY) == "Attivo dal 01/04/2027"
    assert subscription_status_label(SubscriptionStatus.EXPIRED, start, TODAY) == "Scaduto"
    assert subscription_status_label(SubscriptionStatus.REVOKED, start, TODAY) == "Revocato"


# Decisions and deadlines.


def test_the_last_day_to_pay_follows_the_approval_day() -> None:
    assert pay_by(date(2027, 1, 20), 15) == date(2027, 2, 4)
    assert pay_by(date(2027, 12, 20), 15) == date(2028, 1, 4)


def test_the_description_says_what_is_paid_for() -> None:
    period = Period(date(2027, 2, 1), date(2028, 1, 31))
    assert description("Residenti – annuale", "A1", "AB123CD", period) == (
        "Abbonamento Residenti – annuale, settore A1, targa AB123CD, dal 01/02/2027 al 31/01/2028"
    )
    assert "valido in tutti i settori" in description(
        "Auto elettrica – annuale", ALL_SECTORS, "EL123EC", period
    )


def test_a_searched_plate_is_normalised_or_refused() -> None:
    assert normalize_plate(" ab 123-cd ") == "AB123CD"
    assert normalize_plate("AB\x00123") is None
    assert normalize_plate("A" * 11) is None
