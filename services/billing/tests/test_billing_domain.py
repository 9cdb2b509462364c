"""Pure rules of billing, without database or broker: notice numbers, money, the payment
state machine, notification signatures, return addresses, receipts and the CSV export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest

from billing.domain import signature
from billing.domain.cards import CardCheck, check_card
from billing.domain.export import PaymentRow, payments_csv
from billing.domain.money import format_amount, format_euro, vat_split
from billing.domain.notice import build_notice, check_digits, is_valid_notice_number
from billing.domain.orders import (
    OrderStatus,
    TransitionRefused,
    can_pay,
    can_transition,
    ensure_payable,
    transition,
)
from billing.domain.receipts import format_datetime, period_from_description, receipt_number, rome_day_bounds
from billing.domain.return_urls import check_return_url, with_query
from kit.errors import Conflict, Invalid

# --- Notice numbers (pagoPA, aux digit 3) -------------------------------------------------------


def test_check_digits_are_the_remainder_mod_93_of_aux_digit_segregation_code_and_iuv_base() -> None:
    # 3 01 0000000000001 = 3010000000000001 = 93 × 32365591397849 + 44
    assert check_digits(1, 1) == "44"
    # 3 00 0000000000001 = 3000000000000001 = 93 × 32258064516129 + 4: always two digits
    assert check_digits(0, 1) == "04"
    assert check_digits(12, 9_999_999_999_999) == f"{3_129_999_999_999_999 % 93:02d}"


@pytest.mark.parametrize(
    ("segregation_code", "iuv_base", "iuv", "notice_number"),
    [
        (1, 1, "01000000000000144", "301000000000000144"),
        (1, 123_456_789, "01000012345678976", "301000012345678976"),
        (12, 9_999_999_999_999, "12999999999999957", "312999999999999957"),
    ],
)
def test_a_notice_number_is_aux_digit_3_then_the_17_digit_iuv(
    segregation_code: int, iuv_base: int, iuv: str, notice_number: str
) -> None:
    notice = build_notice(segregation_code, iuv_base)
    assert (notice.iuv, notice.notice_number) == (iuv, notice_number)
    assert len(notice.notice_number) == 18
    assert is_valid_notice_number(notice.notice_number)


def test_a_notice_number_with_a_wrong_digit_fails_its_check() -> None:
    assert not is_valid_notice_number("301000000000000145")
    assert not is_valid_notice_number("301000000000010144")
    assert not is_valid_notice_number("101000000000000144")  # another aux digit
    assert not is_valid_notice_number("30100000000000014")  # 17 digits
    assert not is_valid_notice_number("٣٠١٠٠٠٠٠٠٠٠٠٠٠٠١٤٤")  # other digits than 0-9


def test_iuv_parts_out_of_range_are_refused() -> None:
    with pytest.raises(ValueError):
        build_notice(100, 1)
    with pytest.raises(ValueError):
        build_notice(1, 10**13)


# --- Money ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gross", "net", "vat"),
    [
        (6000, 4918, 1082),  # € 60,00 = 49,18 + 10,82
        (12200, 10000, 2200),
        (122, 100, 22),
        (100, 82, 18),
        (3000, 2459, 541),
        (9999, 8196, 1803),
        (12345, 10119, 2226),
        (1, 1, 0),
        (0, 0, 0),
    ],
)
def test_vat_at_22_percent_is_split_exactly_out_of_the_gross_amount(gross: int, net: int, vat: int) -> None:
    split = vat_split(gross)
    assert (split.net_cents, split.vat_cents) == (net, vat)
    assert split.net_cents + split.vat_cents == gross


def test_the_net_amount_is_rounded_half_up_to_the_cent() -> None:
    # 13 cents at 4%: 12.5 cents of net amount, rounded up (banker's rounding would give 12).
    assert vat_split(13, 4).net_cents == 13
    assert vat_split(13, 4).vat_cents == 0


def test_amounts_are_written_the_italian_way() -> None:
    assert format_euro(6000) == "€ 60,00"
    assert format_amount(123456) == "1.234,56"
    assert format_amount(123456, thousands=False) == "1234,56"
    assert format_amount(5) == "0,05"


# --- The state machine of an order ----------------------------------------------------------------


def test_an_order_goes_forward_from_created_to_paid() -> None:
    status = transition(OrderStatus.CREATED, OrderStatus.CHECKOUT_STARTED)
    assert transition(status, OrderStatus.PAID) == OrderStatus.PAID


@pytest.mark.parametrize("target", list(OrderStatus))
def test_paid_is_final(target: OrderStatus) -> None:
    assert not can_transition(OrderStatus.PAID, target)
    with pytest.raises(TransitionRefused):
        transition(OrderStatus.PAID, target)


@pytest.mark.parametrize("current", list(OrderStatus))
def test_nothing_goes_back_to_created(current: OrderStatus) -> None:
    assert not can_transition(current, OrderStatus.CREATED)


@pytest.mark.parametrize("current", [OrderStatus.FAILED, OrderStatus.CANCELLED])
def test_a_failed_or_cancelled_checkout_can_be_retried(current: OrderStatus) -> None:
    assert transition(current, OrderStatus.CHECKOUT_STARTED) == OrderStatus.CHECKOUT_STARTED


def test_an_expired_order_takes_no_new_checkout_but_records_a_collected_payment() -> None:
    assert not can_transition(OrderStatus.EXPIRED, OrderStatus.CHECKOUT_STARTED)
    assert not can_transition(OrderStatus.EXPIRED, OrderStatus.CANCELLED)
    assert can_transition(OrderStatus.EXPIRED, OrderStatus.PAID)


def test_a_checkout_is_refused_on_a_paid_or_overdue_order() -> None:
    today = date(2026, 3, 10)
    with pytest.raises(Conflict) as paid:
        ensure_payable(OrderStatus.PAID, today, today)
    assert paid.value.code == "order_paid"
    with pytest.raises(Conflict) as expired:
        ensure_payable(OrderStatus.CREATED, today - timedelta(days=1), today)
    assert expired.value.code == "order_expired"
    ensure_payable(OrderStatus.FAILED, today, today)  # payable through its due date
    assert can_pay(OrderStatus.CREATED, today, today)
    assert not can_pay(OrderStatus.EXPIRED, today + timedelta(days=5), today)


# --- Signatures -----------------------------------------------------------------------------------

SECRET = b"a-shared-secret-of-the-provider-and-billing"
NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
BODY = b'{"notice_number":"301000000000000144","outcome":"paid"}'


def test_a_signature_made_with_the_shared_secret_verifies() -> None:
    header = signature.sign(SECRET, BODY, int(NOW.timestamp()))
    assert header.startswith(f"t={int(NOW.timestamp())},v1=")
    assert signature.verify(SECRET, header, BODY, now=NOW, tolerance_s=300) == int(NOW.timestamp())


def test_a_signature_of_another_secret_is_refused() -> None:
    forged = signature.sign(b"not-the-secret", BODY, int(NOW.timestamp()))
    with pytest.raises(signature.SignatureError):
        signature.verify(SECRET, forged, BODY, now=NOW, tolerance_s=300)


def test_a_tampered_body_no_longer_matches_its_signature() -> None:
    header = signature.sign(SECRET, BODY, int(NOW.timestamp()))
    with pytest.raises(signature.SignatureError):
        signature.verify(SECRET, header, BODY.replace(b"paid", b"PAID"), now=NOW, tolerance_s=300)


def test_a_signature_cannot_be_moved_to_a_fresher_timestamp() -> None:
    old = int((NOW - timedelta(hours=1)).timestamp())
    digest = signature.sign(SECRET, BODY, old).split("v1=")[1]
    with pytest.raises(signature.SignatureError):
        signature.verify(SECRET, f"t={int(NOW.timestamp())},v1={digest}", BODY, now=NOW, tolerance_s=300)


@pytest.mark.parametrize("skew", [timedelta(seconds=-301), timedelta(seconds=301)])
def test_a_timestamp_outside_the_tolerance_is_refused(skew: timedelta) -> None:
    header = signature.sign(SECRET, BODY, int((NOW + skew).timestamp()))
    with pytest.raises(signature.SignatureError):
        signature.verify(SECRET, header, BODY, now=NOW, tolerance_s=300)


@pytest.mark.parametrize(
    "header",
    ["", "v1=abc", "t=1700000000", "t=abc,v1=00", "t=1,v1=é", "t=1;v1=00", "x" * 2000, "t=1,v1=00,v1"],
)
def test_malformed_signature_headers_are_refused(header: str) -> None:
    with pytest.raises(signature.SignatureError):
        signature.verify(SECRET, header, BODY, now=NOW, tolerance_s=10**12)


def test_any_of_two_signatures_verifies_while_a_secret_is_rotated() -> None:
    timestamp = int(NOW.timestamp())
    good = signature.sign(SECRET, BODY, timestamp).split("v1=")[1]
    header = f"t={timestamp},v1={'0' * 64},v1={good}"
    assert signature.verify(SECRET, header, BODY, now=NOW, tolerance_s=300) == timestamp


# --- Return addresses -------------------------------------------------------------------------------


def test_a_return_url_on_the_portal_is_accepted() -> None:
    url = "https://parking.test/abbonamenti/esito?r=1"
    assert check_return_url(url, "https://parking.test") == url
    assert check_return_url("https://PARKING.test:443/x", "https://parking.test/")


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/abbonamenti",
        "https://parking.test.evil.example/",
        "https://parking.test@evil.example/",
        "//evil.example/",
        "/abbonamenti",
        "javascript:alert(1)",
        "http://parking.test/",  # another scheme is another origin
        "https://parking.test:8443/",
        "https://parking.test/\\evil",
        "https://parking.test/ ok",
        "https://parking.test:99999/",
        "",
    ],
)
def test_a_return_url_off_the_portal_is_refused(url: str) -> None:
    with pytest.raises(Invalid) as refused:
        check_return_url(url, "https://parking.test")
    assert refused.value.errors[0].field == "return_url"


def test_the_outcome_is_added_to_the_return_url_query() -> None:
    assert with_query("https://p.test/esito?r=1", esito="ok") == "https://p.test/esito?r=1&esito=ok"
    assert (
        with_query("https://p.test/esito?esito=x#a", esito="annullato")
        == "https://p.test/esito?esito=annullato#a"
    )


# --- Receipts and the export ----------------------------------------------------------------------


def test_receipt_numbers_are_the_year_and_six_digits() -> None:
    assert receipt_number(2026, 123) == "2026/000123"
    assert receipt_number(2027, 1_234_567) == "2027/1234567"
    with pytest.raises(ValueError):
        receipt_number(2026, 0)


@pytest.mark.parametrize(
    ("description", "period"),
    [
        ("Abbonamento residenti settore A dal 01/01/2026 al 31/12/2026", "dal 01/01/2026 al 31/12/2026"),
        ("Residenti B, 1.3.2026 - 28.2.2027", "dal 01/03/2026 al 28/02/2027"),
        ("Abbonamento annuale 2026", "dal 01/01/2026 al 31/12/2026"),
        ("Validità 2026-04-01 / 2026-09-30", "dal 01/04/2026 al 30/09/2026"),
        ("Abbonamento residenti settore A", None),
        ("dal 31/12/2026 al 01/01/2026", None),
        ("dal 32/01/2026 al 01/02/2026", None),
    ],
)
def test_the_period_is_read_from_the_description_when_it_names_one(
    description: str, period: str | None
) -> None:
    assert period_from_description(description) == period


def test_dates_are_written_in_rome_time() -> None:
    # 23:30 UTC on 31 December is already the new year in Caserta.
    assert format_datetime(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == "01/01/2027 00:30"
    start, end = rome_day_bounds(date(2026, 7, 1), date(2026, 7, 31))
    assert start == datetime(2026, 6, 30, 22, 0, tzinfo=UTC)
    assert end == datetime(2026, 7, 31, 22, 0, tzinfo=UTC)


def test_the_export_opens_in_an_italian_spreadsheet() -> None:
    row = PaymentRow(
        receipt_number="2026/000001",
        paid_at=datetime(2026, 3, 10, 23, 15, tzinfo=UTC),
        payer_tax_code="RSSMRA80A01B963Z",
        payer_name='=HYPERLINK("http://x")',
        plate="AB123CD",
        description="Residenti; settore A",
        notice_number="301000000000000144",
        iuv="01000000000000144",
        net_cents=491_803,
        vat_cents=108_197,
        vat_rate_percent=22,
        amount_cents=600_000,
    )
    text = payments_csv([row])
    assert text.startswith("\ufeffNumero ricevuta;Data pagamento;")
    assert "\r\n" in text
    parsed = list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))
    assert parsed[1][:2] == ["2026/000001", "11/03/2026"]
    assert parsed[1][3].startswith("'=")  # a formula stays text
    assert parsed[1][5] == "Residenti; settore A"
    assert parsed[1][-4:] == ["4918,03", "1081,97", "22%", "6000,00"]


def test_test_cards_pay_decline_or_are_invalid() -> None:
    assert check_card("4242 4242 4242 4242") is CardCheck.ACCEPTED
    assert check_card("4000 0000 0000 0002") is CardCheck.DECLINED
    assert check_card("4242 4242 4242 4241") is CardCheck.INVALID
    assert check_card("४२४२४२४२४२४२४२४२") is CardCheck.INVALID
    assert check_card("") is CardCheck.INVALID
