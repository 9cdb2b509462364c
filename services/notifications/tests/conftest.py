"""Fixtures shared by the notifications tests. Helpers come as fixtures (tests import nothing
from here)."""

from __future__ import annotations

import base64
import io
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from pypdf import PdfWriter

from contracts import Event
from contracts.events import (
    CertificationExpired,
    CertificationRequestApproved,
    CertificationRequestRejected,
    InvoiceIssued,
    InvoiceIssuedV2,
    PaymentCompleted,
    PaymentReminderDue,
    PlateDissociated,
    PlateRequestApproved,
    PlateRequestRejected,
    SubscriptionActivated,
    SubscriptionExpired,
    SubscriptionExpiring,
    SubscriptionExpiringV2,
    SubscriptionRequestApproved,
    SubscriptionRequestRejected,
    SubscriptionRevoked,
    UnpaidRequestExpired,
)

# 23:30 UTC on New Year's Eve: already 1 January 2027 in Caserta.
DECIDED = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)


def _one_page_pdf() -> bytes:
    """A real (blank, A4) PDF, as billing's invoices are: it opens in any reader."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": "Fattura 2027/000012"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


INVOICE_PDF = _one_page_pdf()

# One event per e-mail about an account, keyed by the kind of the message it gives, with
# ordinary values that a test overrides where it is about one of them.
_ACCOUNT_EVENTS: dict[str, tuple[type[Event], dict[str, Any]]] = {
    "certification_approved": (
        CertificationRequestApproved,
        {
            "sector_code": "S1",
            "sector_name": "Settore 1 – Centro storico",
            "valid_from": date(2026, 12, 1),
            "valid_until": date(2026, 12, 31),
            "decided_at": DECIDED,
        },
    ),
    "certification_rejected": (
        CertificationRequestRejected,
        {
            "sector_code": "S1",
            "reason": "Il modulo di autocertificazione non è firmato.",
            "decided_at": DECIDED,
        },
    ),
    "certification_expired": (CertificationExpired, {"sector_code": "S1", "expired_on": date(2027, 1, 1)}),
    "plate_approved": (
        PlateRequestApproved,
        {"plate": "AB123CD", "make": "Fiat", "model": "Panda", "electric": False, "decided_at": DECIDED},
    ),
    "plate_rejected": (
        PlateRequestRejected,
        {"plate": "AB123CD", "reason": "Il libretto di circolazione non è leggibile.", "decided_at": DECIDED},
    ),
    "plate_dissociated": (PlateDissociated, {"plate": "AB123CD", "dissociated_at": DECIDED}),
    "subscription_approved": (
        SubscriptionRequestApproved,
        {
            "plate": "AB123CD",
            "sector_code": "S1",
            "subscription_type_code": "ANNUALE",
            "description": "Abbonamento annuale residenti",
            "amount_cents": 1234,
            "pay_by": date(2027, 1, 15),
            "decided_at": DECIDED,
        },
    ),
    "subscription_rejected": (
        SubscriptionRequestRejected,
        {"reason": "La targa non è associata a una certificazione valida.", "decided_at": DECIDED},
    ),
    "payment_reminder": (
        PaymentReminderDue,
        {
            "plate": "AB123CD",
            "description": "Abbonamento annuale residenti",
            "amount_cents": 1234,
            "pay_by": date(2027, 1, 15),
        },
    ),
    "unpaid_request_expired": (UnpaidRequestExpired, {"expired_at": DECIDED}),
    "payment_completed": (
        PaymentCompleted,
        {"amount_cents": 1234, "receipt_number": "2026/000123", "paid_at": DECIDED},
    ),
    "subscription_activated": (
        SubscriptionActivated,
        {
            "plate": "AB123CD",
            "sector_code": "S1",
            "valid_from": date(2027, 1, 1),
            "valid_until": date(2027, 12, 31),
        },
    ),
    "invoice_issued": (
        InvoiceIssuedV2,
        {
            "number": "2027/000012",
            "amount_cents": 6000,
            "issued_at": DECIDED,
            "pdf_filename": "fattura-2027-000012.pdf",
            "pdf_base64": base64.b64encode(INVOICE_PDF).decode(),
        },
    ),
    "subscription_expiring": (
        SubscriptionExpiringV2,
        {
            "plate": "AB123CD",
            "valid_until": date(2027, 1, 31),
            "days_left": 7,
            "sector_code": "S1",
            "renewal_opens_on": date(2027, 1, 1),
        },
    ),
    "subscription_expired": (SubscriptionExpired, {"plate": "AB123CD", "expired_on": date(2027, 2, 1)}),
    "subscription_revoked": (
        SubscriptionRevoked,
        {
            "plate": "AB123CD",
            "revoked_on": date(2027, 3, 5),
            "reason_code": "plate_dissociated",
            "reason": "La targa non è più associata al profilo del titolare.",
        },
    ),
}
# Earlier versions of those events, still handled for the ones in flight (their payload is a
# subset of the newest one's: the extra values are ignored).
_EARLIER_VERSIONS: dict[str, tuple[type[Event], ...]] = {
    "invoice_issued": (InvoiceIssued,),
    "subscription_expiring": (SubscriptionExpiring,),
}
# Ids every event of its type carries; fresh ones each time.
_IDS = (
    "request_id",
    "certification_id",
    "plate_id",
    "subscription_id",
    "payment_id",
    "payment_order_id",
    "invoice_id",
)

AccountEvent = Callable[..., Event]


@pytest.fixture(scope="session")
def account_event() -> AccountEvent:
    """``account_event("payment_completed", user_id, amount_cents=5)``: the event that gives
    the message of that kind, about ``user_id``'s account; ``version=1`` for an earlier version
    of it (``account_event("invoice_issued", user_id, version=1)``: no PDF)."""

    def make(kind: str, user_id: uuid.UUID, *, version: int | None = None, **overrides: Any) -> Event:
        event_cls, values = _ACCOUNT_EVENTS[kind]
        if version is not None:
            [event_cls] = [c for c in (event_cls, *_EARLIER_VERSIONS.get(kind, ())) if c.version == version]
        ids = {name: uuid.uuid4() for name in _IDS if name in event_cls.model_fields}
        return event_cls(**{**ids, "user_id": user_id, **values, **overrides})

    return make


@pytest.fixture(scope="session")
def invoice_pdf() -> bytes:
    """The PDF that ``account_event("invoice_issued", …)`` carries by default."""
    return INVOICE_PDF
