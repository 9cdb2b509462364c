"""Prices: integer euro cents, VAT included, and their exact split into net amount and VAT.

Never a float: the gross amount is what the citizen pays and the municipality publishes; the
net amount is the gross divided by (1 + rate), rounded half up to the cent, and the VAT is what
is left, so net + VAT is always exactly the gross."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext

CURRENCY = "EUR"
DEFAULT_VAT_RATE = Decimal("22")
CENT = Decimal(1)


@dataclass(frozen=True)
class PriceSplit:
    gross_cents: int
    net_cents: int
    vat_cents: int
    vat_rate: Decimal  # percent: Decimal("22") is 22%


def split_gross(gross_cents: int, vat_rate: Decimal) -> PriceSplit:
    if gross_cents < 0:
        raise ValueError("a price is never negative")
    if not Decimal(0) <= vat_rate <= Decimal(100):
        raise ValueError("a VAT rate is a percentage between 0 and 100")
    with localcontext() as context:
        context.prec = 50
        net = (Decimal(gross_cents) * 100 / (100 + vat_rate)).quantize(CENT, rounding=ROUND_HALF_UP)
    net_cents = int(net)
    return PriceSplit(
        gross_cents=gross_cents, net_cents=net_cents, vat_cents=gross_cents - net_cents, vat_rate=vat_rate
    )


def format_euro(cents: int) -> str:
    """As Italians read an amount: € 1.234,56."""
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(cents), 100)
    return f"{sign}€ {euros:,}".replace(",", ".") + f",{rest:02d}"
