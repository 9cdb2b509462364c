"""Subscription types ("tipologie di abbonamento"): what admins may put in the catalogue, and
which types a certification's sector and a plate allow.

A type's code never changes once created (requests and events carry it); its price is gross
(VAT included) in integer cents; a type valid in every sector says so explicitly
(``all_sectors``), never by an empty list of sectors."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from kit.errors import FieldError
from kit.text import clean_line, has_control_characters
from subscriptions.domain.errors import refused
from subscriptions.domain.money import DEFAULT_VAT_RATE

# The sector of a subscription valid everywhere (the electric type's): no real sector has it.
ALL_SECTORS = "*"
ALL_SECTORS_NAME = "Tutti i settori"

CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,39}$")
SECTOR_CODE = re.compile(r"^[A-Z0-9]{1,20}$")
NAME_MIN, NAME_MAX = 3, 120
DESCRIPTION_MAX = 1000
MAX_SECTORS = 100
DURATION_MIN, DURATION_MAX = 1, 60
PRICE_MAX_CENTS = 10_000_000  # € 100.000,00: far above any real tariff


class SectorRule(Protocol):
    all_sectors: bool
    sector_codes: list[str]


def normalize_code(code: str) -> str:
    return code.strip().upper()


def is_code(code: str) -> bool:
    return bool(CODE.match(code))


def allows_sector(subscription_type: SectorRule, sector_code: str) -> bool:
    return subscription_type.all_sectors or sector_code in subscription_type.sector_codes


@dataclass(frozen=True)
class TypeDraft:
    code: str
    name: str
    description: str
    sector_codes: tuple[str, ...]
    all_sectors: bool
    duration_months: int
    price_cents: int
    vat_rate: Decimal
    renewable: bool
    electric_only: bool
    active: bool


def type_draft(
    *,
    code: str,
    name: str,
    description: str | None = None,
    sector_codes: Sequence[str] = (),
    all_sectors: bool = False,
    duration_months: int,
    price_cents: int,
    vat_rate: Decimal | None = None,
    renewable: bool = True,
    electric_only: bool = False,
    active: bool = True,
) -> TypeDraft:
    """A type as stored, or ``Invalid`` naming every field that breaks a rule."""
    errors: list[FieldError] = []
    code = normalize_code(code)
    if not is_code(code):
        errors.append(
            FieldError(
                "code",
                "code_invalid",
                "Il codice deve avere da 2 a 40 caratteri tra lettere, cifre, trattino e trattino basso.",
            )
        )
    name = clean_line(name)
    if has_control_characters(name) or not NAME_MIN <= len(name) <= NAME_MAX:
        errors.append(
            FieldError("name", "name_invalid", f"Il nome deve avere da {NAME_MIN} a {NAME_MAX} caratteri.")
        )
    description = (description or "").strip()
    if len(description) > DESCRIPTION_MAX or has_control_characters(description, allow_newlines=True):
        errors.append(
            FieldError(
                "description",
                "description_invalid",
                f"La descrizione può avere al massimo {DESCRIPTION_MAX} caratteri, "
                "senza caratteri di controllo.",
            )
        )
    sectors = tuple(dict.fromkeys(normalize_code(s) for s in sector_codes))
    if len(sectors) > MAX_SECTORS or not all(SECTOR_CODE.match(s) for s in sectors):
        errors.append(
            FieldError(
                "sector_codes",
                "sector_code_invalid",
                "Ogni settore è indicato dal suo codice (lettere e cifre, ad esempio S1).",
            )
        )
    elif all_sectors and sectors:
        errors.append(
            FieldError(
                "sector_codes",
                "sectors_with_all_sectors",
                "Una tipologia valida in tutti i settori non elenca settori.",
            )
        )
    elif not all_sectors and not sectors:
        errors.append(
            FieldError(
                "sector_codes",
                "sectors_required",
                "Indica almeno un settore, oppure che la tipologia vale in tutti i settori.",
            )
        )
    if not DURATION_MIN <= duration_months <= DURATION_MAX:
        errors.append(
            FieldError(
                "duration_months",
                "duration_invalid",
                f"La durata è di almeno {DURATION_MIN} e al massimo {DURATION_MAX} mesi.",
            )
        )
    if not 0 <= price_cents <= PRICE_MAX_CENTS:
        errors.append(
            FieldError(
                "price_cents",
                "price_invalid",
                "Il prezzo, IVA inclusa, è in centesimi di euro: da 0 (gratuito) a 10000000.",
            )
        )
    rate = DEFAULT_VAT_RATE if vat_rate is None else vat_rate
    if not rate.is_finite() or not Decimal(0) <= rate <= Decimal(100):
        errors.append(
            FieldError("vat_rate", "vat_rate_invalid", "L'aliquota IVA è una percentuale da 0 a 100.")
        )
    elif rate != rate.quantize(Decimal("0.01")):
        errors.append(
            FieldError("vat_rate", "vat_rate_invalid", "L'aliquota IVA può avere al massimo due decimali.")
        )
    if errors:
        raise refused(errors)
    return TypeDraft(
        code=code,
        name=name,
        description=description,
        sector_codes=sectors,
        all_sectors=all_sectors,
        duration_months=duration_months,
        price_cents=price_cents,
        vat_rate=(rate if rate else Decimal(0)).quantize(Decimal("0.01")),  # never "-0.00"
        renewable=renewable,
        electric_only=electric_only,
        active=active,
    )
