"""Invoices ("fatture") of paid subscriptions: when one may be asked for, how they are numbered,
how their FatturaPA files are named.

**The window.** A citizen may ask for the invoice of a paid subscription from the day of
payment through the 10th day after it, in Europe/Rome: paid on 3 March at any hour, the
invoice can be asked until 13 March at 23:59:59 (Rome time). The day of payment is the
subscription date ("data di sottoscrizione"); the 10 days are calendar days, so a change of
daylight-saving time in between changes nothing. The invoice is dated the day it is issued,
which stays within the 12 days art. 21 of DPR 633/1972 allows after the payment.

**Numbers.** ``FPR 1/2026``, ``FPR 2/2026``, …: this portal's own series ("sezionale") of the
Comune's invoices, counted from 1 each calendar year of the invoice date, without gaps or
repeats. The prefix keeps them apart from receipt numbers (``2026/000123``) and from invoices
the Comune issues elsewhere.

**Files.** Each XML file gets a progressive ("progressivo invio") unique among all the files
the Comune sends: five characters in base 36 (``0000A``), as the SDI file name allows
(``IT80002410610_0000A.xml``).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from billing.domain.orders import OrderStatus
from billing.domain.receipts import rome_date
from kit.errors import Conflict, DomainError, NotFound

INVOICE_WINDOW_DAYS = 10
SERIES = "FPR"
PROGRESSIVE_LENGTH = 5
_BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_NUMBER = re.compile(rf"^{SERIES} ([1-9][0-9]*)/([0-9]{{4}})$", re.ASCII)


# --- The window ------------------------------------------------------------------------------


def invoice_deadline(paid_at: datetime, window_days: int = INVOICE_WINDOW_DAYS) -> date:
    """The last day (Europe/Rome, included) on which the invoice of a payment can be asked."""
    return rome_date(paid_at) + timedelta(days=window_days)


def invoice_window_open(paid_at: datetime, now: datetime, window_days: int = INVOICE_WINDOW_DAYS) -> bool:
    return rome_date(now) <= invoice_deadline(paid_at, window_days)


def invoice_not_available() -> Conflict:
    return Conflict(
        "invoice_not_available",
        "La fattura può essere richiesta solo dopo il pagamento dell'abbonamento.",
    )


def invoice_window_closed() -> Conflict:
    return Conflict(
        "invoice_window_closed",
        "La fattura può essere richiesta entro 10 giorni dalla data di sottoscrizione dell'abbonamento.",
    )


def invoice_already_issued() -> Conflict:
    return Conflict("invoice_already_issued", "La fattura di questo abbonamento è già stata emessa.")


def invoice_not_found() -> NotFound:
    return NotFound("invoice_not_found", "Fattura non trovata.")


def invoice_refusal(
    status: str,
    paid_at: datetime | None,
    *,
    invoiced: bool,
    now: datetime,
    window_days: int = INVOICE_WINDOW_DAYS,
) -> DomainError | None:
    """Why the invoice of an order cannot be asked for now, or None when it can: not paid yet,
    already issued, or past the window."""
    if status != OrderStatus.PAID or paid_at is None:
        return invoice_not_available()
    if invoiced:
        return invoice_already_issued()
    if not invoice_window_open(paid_at, now, window_days):
        return invoice_window_closed()
    return None


def ensure_invoice_requestable(
    status: str,
    paid_at: datetime | None,
    *,
    invoiced: bool,
    now: datetime,
    window_days: int = INVOICE_WINDOW_DAYS,
) -> None:
    refusal = invoice_refusal(status, paid_at, invoiced=invoiced, now=now, window_days=window_days)
    if refusal is not None:
        raise refusal


# --- Numbers and files -----------------------------------------------------------------------


def invoice_number(year: int, sequence: int) -> str:
    """``FPR 12/2026``: the invoice's place in its year's series."""
    if sequence < 1:
        raise ValueError("invoice sequences start at 1")
    return f"{SERIES} {sequence}/{year:04d}"


def parse_invoice_number(value: str) -> tuple[int, int]:
    """``FPR 12/2026`` → ``(2026, 12)``."""
    match = _NUMBER.match(value)
    if match is None:
        raise ValueError(f"not an invoice number: {value!r}")
    return int(match.group(2)), int(match.group(1))


def transmission_progressive(file_number: int) -> str:
    """The file's "progressivo invio": ``file_number`` in base 36 on five characters."""
    if not 1 <= file_number < len(_BASE36) ** PROGRESSIVE_LENGTH:
        raise ValueError(f"file number out of range: {file_number}")
    digits = []
    while file_number:
        file_number, rest = divmod(file_number, len(_BASE36))
        digits.append(_BASE36[rest])
    return "".join(reversed(digits)).rjust(PROGRESSIVE_LENGTH, "0")


def xml_filename(country: str, transmitter_code: str, progressive: str) -> str:
    """The name SDI expects: ``IT80002410610_0000A.xml`` (the transmitter's country and tax
    code, the file's progressive)."""
    return f"{country}{transmitter_code}_{progressive}.xml"
