"""How long an approved certification lasts, and when it has expired. Dates are the
municipality's: Europe/Rome, whatever the server's time zone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from kit.clock import ROME

END_OF_YEAR = "end_of_year"
_DAYS = re.compile(r"^\s*(\d{1,5})\s*$")


def local_date(moment: datetime) -> date:
    """The calendar day in Caserta at ``moment`` (an aware datetime)."""
    return moment.astimezone(ROME).date()


@dataclass(frozen=True)
class ValidityRule:
    """Until when a certification approved on a given day is valid (that day included).

    ``days`` None: until 31 December of the approval's year; else for ``days`` days, the day
    of approval being the first.
    """

    days: int | None = None

    @classmethod
    def parse(cls, setting: str | int) -> ValidityRule:
        """``"end_of_year"`` or a positive number of days (``"365"``)."""
        if isinstance(setting, int) and not isinstance(setting, bool):
            text = str(setting)
        elif isinstance(setting, str):
            text = setting
        else:
            raise ValueError("certification_valid_until must be 'end_of_year' or a number of days")
        if text.strip().lower() == END_OF_YEAR:
            return cls(None)
        match = _DAYS.match(text)
        if match is None or int(match.group(1)) < 1:
            raise ValueError("certification_valid_until must be 'end_of_year' or a number of days >= 1")
        return cls(int(match.group(1)))

    def valid_until(self, approved_on: date) -> date:
        if self.days is None:
            return date(approved_on.year, 12, 31)
        return approved_on + timedelta(days=self.days - 1)


def has_expired(valid_until: date, today: date) -> bool:
    """A certification is valid through its last day; it has expired from the day after."""
    return today > valid_until


def expired_on(valid_until: date) -> date:
    """The first day on which a certification is no longer valid."""
    return valid_until + timedelta(days=1)
