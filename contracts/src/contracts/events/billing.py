"""Events published by the billing service."""

import uuid
from datetime import datetime

from pydantic import Field

from contracts.envelope import Event


class _Billing(Event):
    producer = "billing"


class PaymentCompleted(_Billing):
    type = "billing.payment.completed"
    payment_id: uuid.UUID
    payment_order_id: uuid.UUID
    request_id: uuid.UUID
    user_id: uuid.UUID
    amount_cents: int
    currency: str = "EUR"
    receipt_number: str
    paid_at: datetime


class PaymentFailed(_Billing):
    type = "billing.payment.failed"
    payment_order_id: uuid.UUID
    request_id: uuid.UUID
    user_id: uuid.UUID
    reason: str
    failed_at: datetime


class InvoiceIssued(_Billing):
    type = "billing.invoice.issued"
    invoice_id: uuid.UUID
    number: str
    user_id: uuid.UUID
    request_id: uuid.UUID
    amount_cents: int
    currency: str = "EUR"
    issued_at: datetime


class InvoiceIssuedV2(InvoiceIssued):
    """v2 carries the invoice itself, so that the citizen's e-mail attaches it."""

    type = "billing.invoice.issued"
    version = 2
    pdf_filename: str
    pdf_base64: str = Field(description="The invoice as PDF, base64 (a few tens of kB)")
