"""Amounts as Italians read and type them, in integer euro cents: never a float on the way
(0,1 + 0,2 is not 0,3 in binary), so "60,00" is 6000 cents exactly, always."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

# "1.234,50", "1234,50", "60", "60,5"; a dot only between groups of three digits.
_ITALIAN = re.compile(r"^(?P<units>\d{1,3}(?:\.\d{3})+|\d+)(?:,(?P<cents>\d{1,2}))?$")
# "60.50" as many keyboards type it: a dot before one or two digits is the decimal point.
_DOT_DECIMAL = re.compile(r"^(?P<units>\d+)\.(?P<cents>\d{1,2})$")
_VAT_RATE = re.compile(r"^\d{1,3}(?:[.,]\d{1,2})?$")


def format_euro(cents: int) -> str:
    """6000 → "€ 60,00"; 123450 → "€ 1.234,50"."""
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(int(cents)), 100)
    return f"{sign}€ {euros:,}".replace(",", ".") + f",{rest:02d}"


def format_amount(cents: int) -> str:
    """The amount as typed in a form: 6000 → "60,00", 123450 → "1234,50"."""
    euros, rest = divmod(int(cents), 100)
    return f"{euros},{rest:02d}"


def parse_euro(text: str) -> int | None:
    """The cents of an amount typed in euro ("60,00", "60", "1.234,50", "€ 60"), or None when
    it is not one (letters, a negative sign, more than two decimals)."""
    value = text.strip().removeprefix("€").strip().replace("\u00a0", "").replace(" ", "")
    match = _ITALIAN.match(value) or _DOT_DECIMAL.match(value)
    if match is None:
        return None
    units = int(match["units"].replace(".", ""))
    cents = int((match["cents"] or "0").ljust(2, "0"))
    return units * 100 + cents


def parse_rate(text: str) -> Decimal | None:
    """A percentage typed as "22", "22,00" or "5,5", or None when it is not one."""
    value = text.strip().removesuffix("%").strip()
    if not _VAT_RATE.match(value):
        return None
    try:
        return Decimal(value.replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        return None


def format_rate(rate: Decimal | str | None) -> str:
    """Decimal("22.00") → "22", Decimal("5.50") → "5,5" (no trailing zeros, a decimal comma)."""
    if rate is None or rate == "":
        return ""
    return format(Decimal(str(rate)).normalize(), "f").replace(".", ",")
