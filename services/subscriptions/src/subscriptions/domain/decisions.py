"""Operators' decisions and what they tell the citizen and billing: the rejection's reason, the
payment's deadline and the description of what is being paid for."""

from __future__ import annotations

from datetime import date, timedelta

from subscriptions.domain.catalogue import ALL_SECTORS
from subscriptions.domain.periods import Period


def pay_by(approved_on: date, deadline_days: int) -> date:
    """The last day to pay (included): ``deadline_days`` after the approval's day."""
    return approved_on + timedelta(days=deadline_days)


def description(type_name: str, sector_code: str, plate: str, period: Period) -> str:
    """What the payment is for, as the payment notice and the e-mails print it."""
    where = "valido in tutti i settori" if sector_code == ALL_SECTORS else f"settore {sector_code}"
    return f"Abbonamento {type_name}, {where}, targa {plate}, {period.label}"
