"""What a message is: its kind, its delivery status, and which kinds carry a secret."""

from __future__ import annotations

from enum import StrEnum


class MessageKind(StrEnum):
    OTP = "otp"  # registration OTP and resume link (started and otp_resent)
    WELCOME = "welcome"
    RESET = "reset"  # password-reset link
    EMAIL_CHANGE = "email_change"  # OTP to the new address
    EMAIL_CHANGED = "email_changed"  # to the old address, once the change is confirmed
    PASSWORD_CHANGED = "password_changed"  # to the account's address, from the profile or a reset
    # The outcomes a citizen hears about (Fasi 5–12), one kind per event
    # (every version of it).
    CERTIFICATION_APPROVED = "certification_approved"
    CERTIFICATION_REJECTED = "certification_rejected"
    CERTIFICATION_EXPIRED = "certification_expired"
    PLATE_APPROVED = "plate_approved"
    PLATE_REJECTED = "plate_rejected"
    PLATE_DISSOCIATED = "plate_dissociated"
    SUBSCRIPTION_APPROVED = "subscription_approved"  # with the amount to pay, or none due
    SUBSCRIPTION_REJECTED = "subscription_rejected"
    PAYMENT_REMINDER = "payment_reminder"
    UNPAID_REQUEST_EXPIRED = "unpaid_request_expired"
    PAYMENT_COMPLETED = "payment_completed"
    SUBSCRIPTION_ACTIVATED = "subscription_activated"
    # Fase 14: the invoice (its PDF attached from v2 of the event) and a subscription's life cycle.
    INVOICE_ISSUED = "invoice_issued"
    SUBSCRIPTION_EXPIRING = "subscription_expiring"  # the 30- and 7-day reminders, with renewal
    SUBSCRIPTION_EXPIRED = "subscription_expired"
    SUBSCRIPTION_REVOKED = "subscription_revoked"


class MessageStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


# Kinds whose bodies carry a secret (OTP, single-use link): never shown to operators, and
# blanked once delivered or given up.
SECRET_KINDS = frozenset({MessageKind.OTP, MessageKind.RESET, MessageKind.EMAIL_CHANGE})
CONFIDENTIAL = "[contenuto riservato]"


def is_secret(kind: str) -> bool:
    return MessageKind(kind) in SECRET_KINDS


def visible_body(kind: str, text: str | None) -> str | None:
    """What anyone reading the log sees of a body: the text of ordinary messages, a placeholder
    for OTP and link messages whether or not their body is still stored."""
    return CONFIDENTIAL if is_secret(kind) else text
