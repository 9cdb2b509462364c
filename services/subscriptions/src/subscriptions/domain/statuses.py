"""The life of a subscription request and of a subscription, and the labels people read.

A request is pending until an operator decides; approved means waiting for payment; paid
means its subscription exists. Unpaid by its deadline it expires; paid when it could no longer
become a subscription (see ``service.payments``), the payment is due back to the citizen."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from subscriptions.domain.periods import format_date


class RequestStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    PAID = "paid"
    EXPIRED_UNPAID = "expired_unpaid"
    REFUND_DUE = "refund_due"

    @property
    def label(self) -> str:
        return _REQUEST_LABELS[self]

    @property
    def is_open(self) -> bool:
        """Still on its way to a subscription: the plate can have only one such request."""
        return self in OPEN


_REQUEST_LABELS = {
    RequestStatus.PENDING: "In attesa di esito",
    RequestStatus.APPROVED: "Approvata: in attesa di pagamento",
    RequestStatus.REJECTED: "Rifiutata",
    RequestStatus.PAID: "Pagata",
    RequestStatus.EXPIRED_UNPAID: "Scaduta per mancato pagamento",
    RequestStatus.REFUND_DUE: "Pagata oltre il termine: importo da rimborsare",
}

OPEN = frozenset({RequestStatus.PENDING, RequestStatus.APPROVED})


class RequestKind(StrEnum):
    """How a request was sent: "Nuova Richiesta", "Auto Elettriche", or "Rinnova" (a
    subscription's renewal, prefilled from it)."""

    RESIDENT = "resident"
    ELECTRIC = "electric"
    RENEWAL = "renewal"


REQUEST_KINDS = tuple(k.value for k in RequestKind)
REQUEST_STATUSES = tuple(s.value for s in RequestStatus)


# A free request is "paid" once approved (its subscription exists), but nobody paid anything.
FREE_REQUEST_LABEL = "Approvata: abbonamento gratuito"


def request_status_label(status: str, amount_cents: int | None = None) -> str:
    if status == RequestStatus.PAID and amount_cents == 0:
        return FREE_REQUEST_LABEL
    return RequestStatus(status).label


class SubscriptionStatus(StrEnum):
    """What a subscription shows. ``expired`` is stored by the expiry job (``service.lifecycle``)
    the day after the last one; until that job has run, an active subscription whose last day
    has passed (in Caserta) shows as expired all the same. ``revoked``: ended early (its plate
    was dissociated), from ``revoked_at``."""

    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


STORED_SUBSCRIPTION_STATUSES = tuple(s.value for s in SubscriptionStatus)

# Why a subscription was revoked (stable codes, stored) and what its citizen reads.
PLATE_DISSOCIATED = "plate_dissociated"
REVOCATION_REASONS = {PLATE_DISSOCIATED: "La targa non è più associata al profilo del titolare."}


def subscription_status(stored: str, valid_until: date, today: date) -> SubscriptionStatus:
    if stored == SubscriptionStatus.REVOKED:
        return SubscriptionStatus.REVOKED
    if stored == SubscriptionStatus.EXPIRED or today > valid_until:
        return SubscriptionStatus.EXPIRED
    return SubscriptionStatus.ACTIVE


def subscription_status_label(status: SubscriptionStatus, valid_from: date, today: date) -> str:
    if status is SubscriptionStatus.REVOKED:
        return "Revocato"
    if status is SubscriptionStatus.EXPIRED:
        return "Scaduto"
    if valid_from > today:
        return f"Attivo dal {format_date(valid_from)}"
    return "Attivo"
