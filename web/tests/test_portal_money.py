"""Amounts in integer cents, read and written as Italians do: never through a float."""

from decimal import Decimal

import pytest

from portal.money import format_amount, format_euro, format_rate, parse_euro, parse_rate


@pytest.mark.parametrize(
    "typed, cents",
    [
        ("60,00", 6000),
        ("60", 6000),
        ("1.234,50", 123450),
        ("1234,5", 123450),
        ("0,10", 10),
        ("€ 60,00", 6000),
        (" 60,00 ", 6000),
        ("12.50", 1250),
        ("1.234", 123400),
        ("1.234.567,89", 123456789),
        ("0", 0),
    ],
)
def test_an_amount_in_euro_reads_as_exact_cents(typed, cents):
    assert parse_euro(typed) == cents


@pytest.mark.parametrize(
    "typed", ["abc", "", "-5", "60,001", "1,234.50", "12.3456", "1.23.4", "60,", ",50", "6 0,00x"]
)
def test_what_is_not_an_amount_reads_as_none(typed):
    assert parse_euro(typed) is None


def test_cents_a_float_would_get_wrong_are_exact():
    # float("0.29") * 100 is 28.999999999999996.
    assert parse_euro("0,29") == 29
    assert parse_euro("1.000.000,07") == 100_000_007


@pytest.mark.parametrize(
    "cents, text, typed",
    [
        (6000, "€ 60,00", "60,00"),
        (123450, "€ 1.234,50", "1234,50"),
        (5, "€ 0,05", "0,05"),
        (0, "€ 0,00", "0,00"),
    ],
)
def test_cents_are_written_as_italians_read_them(cents, text, typed):
    assert format_euro(cents) == text
    assert format_amount(cents) == typed
    assert parse_euro(typed) == cents


def test_vat_rates_read_and_write_with_a_decimal_comma():
    assert parse_rate("22") == Decimal("22")
    assert parse_rate("5,5") == Decimal("5.5")
    assert parse_rate("22%") == Decimal("22")
    assert parse_rate("ventidue") is None
    assert format_rate(Decimal("22.00")) == "22"
    assert format_rate("5.50") == "5,5"
    assert format_rate(Decimal("100")) == "100"
