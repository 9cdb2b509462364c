"""pagoPA notice numbers ("numero avviso") and IUVs, built as an entity with a segregation code
builds them (auxiliary digit 3).

    numero avviso (18) = 3 + IUV (17)
    IUV (17)           = segregation code (2) + IUV base (13) + check digits (2)
    check digits       = int("3" + segregation code + IUV base) mod 93, on two digits
"""

from __future__ import annotations

import re
from dataclasses import dataclass

AUX_DIGIT = "3"
IUV_BASE_DIGITS = 13
MAX_IUV_BASE = 10**IUV_BASE_DIGITS - 1
_NOTICE = re.compile(r"^3\d{17}$", re.ASCII)


def check_digits(segregation_code: int, iuv_base: int) -> str:
    """The two check digits of an IUV: the remainder modulo 93 of the number written by the
    auxiliary digit, the segregation code and the IUV base, one after the other."""
    _check_parts(segregation_code, iuv_base)
    return f"{int(f'{AUX_DIGIT}{segregation_code:02d}{iuv_base:013d}') % 93:02d}"


def _check_parts(segregation_code: int, iuv_base: int) -> None:
    if not 0 <= segregation_code <= 99:
        raise ValueError(f"segregation code out of range: {segregation_code}")
    if not 0 <= iuv_base <= MAX_IUV_BASE:
        raise ValueError(f"IUV base out of range: {iuv_base}")


@dataclass(frozen=True)
class Notice:
    iuv: str
    notice_number: str


def build_notice(segregation_code: int, iuv_base: int) -> Notice:
    """The IUV and the notice number of the ``iuv_base``-th position of this segregation code."""
    iuv = f"{segregation_code:02d}{iuv_base:013d}{check_digits(segregation_code, iuv_base)}"
    return Notice(iuv=iuv, notice_number=AUX_DIGIT + iuv)


def is_valid_notice_number(value: str) -> bool:
    """An 18-digit notice number with auxiliary digit 3 whose check digits match."""
    if not _NOTICE.match(value):
        return False
    segregation_code, iuv_base, digits = int(value[1:3]), int(value[3:16]), value[16:]
    return check_digits(segregation_code, iuv_base) == digits


def format_notice_number(value: str) -> str:
    """Grouped by four as printed on pagoPA notices: ``3012 3456 7890 1234 56``."""
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4))
