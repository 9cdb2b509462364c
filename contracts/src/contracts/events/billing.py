"""Events published by the billing service."""

import uuid
from datetime import datetime

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
