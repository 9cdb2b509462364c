"""Operators' decisions and what they tell the citizen and billing: the rejection's reason, the
payment's deadline and the description of what is being paid for."""

from __future__ import annotations

from datetime import date, timedelta

from subscriptions.domain import errors
from subscriptions.domain.catalogue import ALL_SECTORS
from subscriptions.domain.periods import Period
from subscriptions.domain.text import has_control_characters

REASON_MIN = 5
REASON_MAX = 500


def rejection_reason(reason: str | None) -> str:
    """The reason as stored (trimmed), or ``Invalid`` on the ``reason`` field."""
    text = (reason or "").strip()
    if not text:
        raise errors.rejection_reason("required", "Indica il motivo del rifiuto.")
    if len(text) < REASON_MIN:
        raise errors.rejection_reason(
            "too_short", f"Il motivo del rifiuto deve avere almeno {REASON_MIN} caratteri."
        )
    if len(text) > REASON_MAX:
        raise errors.rejection_reason(
            "too_long", f"Il motivo del rifiuto può avere al massimo {REASON_MAX} caratteri."
        )
    if has_control_characters(text, allow_newlines=True):
        raise errors.rejection_reason(
            "invalid_characters", "Il motivo del rifiuto contiene caratteri non ammessi."
        )
    return text


def pay_by(approved_on: date, deadline_days: int) -> date:
    """The last day to pay (included): ``deadline_days`` after the approval's day."""
    return approved_on + timedelta(days=deadline_days)


def description(type_name: str, sector_code: str, plate: str, period: Period) -> str:
    """What the payment is for, as the payment notice and the e-mails print it."""
    where = "valido in tutti i settori" if sector_code == ALL_SECTORS else f"settore {sector_code}"
    return f"Abbonamento {type_name}, {where}, targa {plate}, {period.label}"
