"""What a receipt ("ricevuta") states: its number in the year's gapless sequence, the period
of the subscription when its description names one, dates as a person in Caserta reads them."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from kit.clock import ROME

_NUMBER = re.compile(r"^(\d{4})/(\d{6,})$", re.ASCII)

_DATE = r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})"
# "dal 01/01/2026 al 31/12/2026", "01/01/2026 - 31/12/2026", "valido dal 1.3.2026 al 28.2.2027"
_RANGE = re.compile(rf"(?:dal\s+)?{_DATE}\s*(?:-|–|al|fino al)\s*{_DATE}", re.IGNORECASE | re.ASCII)
_ISO_RANGE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})\s*(?:/|–|al|fino al)\s*(\d{4})-(\d{2})-(\d{2})", re.IGNORECASE | re.ASCII
)
# "anno 2026", "annuale 2026"
_YEAR = re.compile(r"\b(?:anno|annuale|annualità)\s+(\d{4})\b", re.IGNORECASE | re.ASCII)


def receipt_number(year: int, sequence: int) -> str:
    """``2026/000123``: the year of payment and the receipt's place in that year's sequence."""
    if sequence < 1:
        raise ValueError("receipt sequences start at 1")
    return f"{year}/{sequence:06d}"


def parse_receipt_number(value: str) -> tuple[int, int]:
    match = _NUMBER.match(value)
    if match is None:
        raise ValueError(f"not a receipt number: {value!r}")
    return int(match.group(1)), int(match.group(2))


def rome(moment: datetime) -> datetime:
    return moment.astimezone(ROME)


def rome_date(moment: datetime) -> date:
    return rome(moment).date()


def format_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def format_datetime(moment: datetime) -> str:
    """A moment as read in Caserta: ``15/03/2026 10:42``."""
    return rome(moment).strftime("%d/%m/%Y %H:%M")


def _date(day: str, month: str, year: str) -> date | None:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def period_bounds(description: str) -> tuple[date, date] | None:
    """The first and last day of the validity period a subscription description names ("dal
    01/01/2026 al 31/12/2026", "2026-01-01/2026-12-31", "anno 2026"); None when it names none."""
    match = _RANGE.search(description)
    if match:
        start, end = _date(*match.groups()[:3]), _date(*match.groups()[3:])
        if start and end and start <= end:
            return start, end
    match = _ISO_RANGE.search(description)
    if match:
        y1, m1, d1, y2, m2, d2 = match.groups()
        start, end = _date(d1, m1, y1), _date(d2, m2, y2)
        if start and end and start <= end:
            return start, end
    match = _YEAR.search(description)
    if match:
        start, end = _date("1", "1", match.group(1)), _date("31", "12", match.group(1))
        if start and end:
            return start, end
    return None


def period_from_description(description: str) -> str | None:
    """The validity period a subscription description names, written the same way whatever
    form it had ("dal 01/01/2026 al 31/12/2026"); None when it names none."""
    bounds = period_bounds(description)
    if bounds is None:
        return None
    return f"dal {format_date(bounds[0])} al {format_date(bounds[1])}"


def rome_day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The moments that open ``start`` and close ``end`` (inclusive) in Europe/Rome, as the
    half-open interval ``[from, before)``."""
    opening = datetime.combine(start, datetime.min.time(), tzinfo=ROME)
    closing = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=ROME)
    return opening, closing
