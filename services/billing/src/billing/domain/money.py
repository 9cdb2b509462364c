"""Money in integer cents, exactly: the VAT included in a gross amount and the Italian way of
writing an amount ("1.234,56")."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

VAT_RATE_PERCENT = 22


@dataclass(frozen=True)
class VatSplit:
    gross_cents: int
    net_cents: int
    vat_cents: int
    rate_percent: int


def vat_split(gross_cents: int, rate_percent: int = VAT_RATE_PERCENT) -> VatSplit:
    """The taxable amount and the VAT included in ``gross_cents`` ("IVA inclusa").

    The net amount is gross / (1 + rate) rounded half up to the cent; the VAT is what remains,
    so that net + VAT is always exactly the gross amount paid."""
    if gross_cents < 0:
        raise ValueError("a gross amount cannot be negative")
    if rate_percent < 0:
        raise ValueError("a VAT rate cannot be negative")
    net = (Decimal(gross_cents) * 100 / Decimal(100 + rate_percent)).quantize(
        Decimal(1), rounding=ROUND_HALF_UP
    )
    net_cents = int(net)
    return VatSplit(gross_cents, net_cents, gross_cents - net_cents, rate_percent)


def format_amount(cents: int, *, thousands: bool = True) -> str:
    """``123456`` → ``1.234,56`` (``1234,56`` without thousands separators, as a spreadsheet
    reads it back as a number)."""
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(cents), 100)
    whole = f"{euros:,}".replace(",", ".") if thousands else str(euros)
    return f"{sign}{whole},{rest:02d}"


def format_euro(cents: int) -> str:
    """``6000`` → ``€ 60,00``."""
    return f"€ {format_amount(cents)}"


def decimal_amount(cents: int) -> Decimal:
    """``4918`` → ``Decimal("49.18")``: exactly two decimals, as FatturaPA writes amounts."""
    return Decimal(cents).scaleb(-2)
