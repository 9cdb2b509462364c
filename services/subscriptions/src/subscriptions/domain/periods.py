"""Validity periods of subscriptions. Dates are the municipality's (Europe/Rome), whatever the
server's time zone; a period runs from its first to its last day, both included."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from kit.clock import ROME


def local_date(moment: datetime) -> date:
    """The calendar day in Caserta at ``moment`` (an aware datetime)."""
    return moment.astimezone(ROME).date()


def first_day_after(start: date, months: int) -> date:
    """The first day a period of ``months`` months beginning on ``start`` no longer covers: the
    same day ``months`` later, or the first of the following month when that day does not
    exist (31 January + 1 month: 1 March), so a period never loses a day to a short month."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    if start.day <= calendar.monthrange(year, month)[1]:
        return date(year, month, start.day)
    return date(year + month // 12, month % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    valid_from: date
    valid_until: date  # the last day, included

    @classmethod
    def of_months(cls, valid_from: date, months: int) -> Period:
        if months < 1:
            raise ValueError("a period lasts at least one month")
        return cls(valid_from, first_day_after(valid_from, months) - timedelta(days=1))

    def overlaps(self, other: Period) -> bool:
        return self.valid_from <= other.valid_until and other.valid_from <= self.valid_until

    def covers(self, day: date) -> bool:
        return self.valid_from <= day <= self.valid_until

    @property
    def label(self) -> str:
        return f"dal {format_date(self.valid_from)} al {format_date(self.valid_until)}"


def requested_period(today: date, months: int, current_until: date | None = None) -> Period:
    """The period a request asks for: from the day it is sent, or from the day after the plate's
    current subscription ends (a renewal continues it without a gap or an overlap)."""
    start = today if current_until is None or current_until < today else current_until + timedelta(days=1)
    return Period.of_months(start, months)


def format_date(day: date) -> str:
    """As Italians write it: 01/02/2027."""
    return day.strftime("%d/%m/%Y")
