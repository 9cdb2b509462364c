"""Events published by the subscriptions service."""

import uuid
from datetime import date, datetime

from contracts.envelope import Event


class _Subscriptions(Event):
    producer = "subscriptions"


class SubscriptionRequestSubmitted(_Subscriptions):
    type = "subscriptions.request.submitted"
    request_id: uuid.UUID
    user_id: uuid.UUID
    plate: str
    sector_code: str
    subscription_type_code: str
    submitted_at: datetime


class SubscriptionRequestApproved(_Subscriptions):
    """Approved and waiting for payment: billing opens a payment order for the amount."""

    type = "subscriptions.request.approved"
    request_id: uuid.UUID
    user_id: uuid.UUID
    plate: str
    sector_code: str
    subscription_type_code: str
    description: str
    amount_cents: int
    currency: str = "EUR"
    pay_by: date
    decided_at: datetime


class SubscriptionRequestRejected(_Subscriptions):
    type = "subscriptions.request.rejected"
    request_id: uuid.UUID
    user_id: uuid.UUID
    reason: str
    decided_at: datetime


class SubscriptionActivated(_Subscriptions):
    type = "subscriptions.subscription.activated"
    subscription_id: uuid.UUID
    request_id: uuid.UUID
    user_id: uuid.UUID
    plate: str
    sector_code: str
    valid_from: date
    valid_until: date


class SubscriptionExpiring(_Subscriptions):
    type = "subscriptions.subscription.expiring"
    subscription_id: uuid.UUID
    user_id: uuid.UUID
    plate: str
    valid_until: date


class SubscriptionExpired(_Subscriptions):
    type = "subscriptions.subscription.expired"
    subscription_id: uuid.UUID
    user_id: uuid.UUID
    plate: str
    expired_on: date


class UnpaidRequestExpired(_Subscriptions):
    type = "subscriptions.request.unpaid_expired"
    request_id: uuid.UUID
    user_id: uuid.UUID
    expired_at: datetime


class PaymentReminderDue(_Subscriptions):
    """An approved request is still unpaid a few days before its payment deadline."""

    type = "subscriptions.request.payment_reminder"
    request_id: uuid.UUID
    user_id: uuid.UUID
    plate: str
    description: str
    amount_cents: int
    currency: str = "EUR"
    pay_by: date


class SubscriptionExpiringV2(SubscriptionExpiring):
    """v2 says which reminder this is (30 or 7 days before the end) and the renewal's opening."""

    type = "subscriptions.subscription.expiring"
    version = 2
    days_left: int
    sector_code: str
    renewal_opens_on: date


class SubscriptionRevoked(_Subscriptions):
    """A subscription ended before its term (its plate was dissociated, an operator revoked it)."""

    type = "subscriptions.subscription.revoked"
    subscription_id: uuid.UUID
    user_id: uuid.UUID
    plate: str
    revoked_on: date
    reason_code: str
    reason: str
