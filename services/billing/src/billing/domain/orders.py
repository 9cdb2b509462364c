"""The life of a payment order: its states, the transitions allowed between them, and what a
citizen reads of each.

    created → checkout_started → paid | failed | cancelled | expired

A failed or cancelled checkout can be retried (a new checkout on the same order); ``paid`` is
final; an ``expired`` order accepts no new checkout, but a payment the provider collected
before the position closed is still recorded (the money was taken). Nothing ever goes back to
``created``.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from kit.errors import Conflict


class OrderStatus(StrEnum):
    CREATED = "created"
    CHECKOUT_STARTED = "checkout_started"
    PAID = "paid"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class PaymentStatus(StrEnum):
    """One checkout attempt at the provider."""

    CHECKOUT_STARTED = "checkout_started"
    PAID = "paid"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


_TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.CREATED: frozenset(
        # Paid without our checkout: a pagoPA notice can be paid at any provider's counter.
        {OrderStatus.CHECKOUT_STARTED, OrderStatus.PAID, OrderStatus.EXPIRED}
    ),
    OrderStatus.CHECKOUT_STARTED: frozenset(
        {
            # A new checkout replaces one the citizen left without an outcome.
            OrderStatus.CHECKOUT_STARTED,
            OrderStatus.PAID,
            OrderStatus.FAILED,
            OrderStatus.CANCELLED,
            OrderStatus.EXPIRED,
        }
    ),
    OrderStatus.FAILED: frozenset({OrderStatus.CHECKOUT_STARTED, OrderStatus.PAID, OrderStatus.EXPIRED}),
    OrderStatus.CANCELLED: frozenset({OrderStatus.CHECKOUT_STARTED, OrderStatus.PAID, OrderStatus.EXPIRED}),
    OrderStatus.EXPIRED: frozenset({OrderStatus.PAID}),
    OrderStatus.PAID: frozenset(),
}

STATUS_LABELS: dict[OrderStatus, str] = {
    OrderStatus.CREATED: "Da pagare",
    OrderStatus.CHECKOUT_STARTED: "Pagamento in corso",
    OrderStatus.PAID: "Pagato",
    OrderStatus.FAILED: "Pagamento non riuscito",
    OrderStatus.CANCELLED: "Pagamento annullato",
    OrderStatus.EXPIRED: "Scaduto",
}

# States from which a citizen may open a checkout (before the due date).
PAYABLE = frozenset(
    {OrderStatus.CREATED, OrderStatus.CHECKOUT_STARTED, OrderStatus.FAILED, OrderStatus.CANCELLED}
)
# States that the overdue-orders job closes once the due date has passed (an open checkout is
# left to the reconciliation, which settles it first).
EXPIRABLE = frozenset({OrderStatus.CREATED, OrderStatus.FAILED, OrderStatus.CANCELLED})


class TransitionRefused(ValueError):
    pass


def can_transition(current: str, target: str) -> bool:
    return OrderStatus(target) in _TRANSITIONS[OrderStatus(current)]


def transition(current: str, target: str) -> OrderStatus:
    """``target`` when the order may move there from ``current``; raises otherwise."""
    if not can_transition(current, target):
        raise TransitionRefused(f"payment order cannot go from {current} to {target}")
    return OrderStatus(target)


def status_label(status: str) -> str:
    return STATUS_LABELS[OrderStatus(status)]


def is_overdue(due_date: date, today: date) -> bool:
    """Payable through the whole due date (Europe/Rome), not after it."""
    return today > due_date


def can_pay(status: str, due_date: date, today: date) -> bool:
    return OrderStatus(status) in PAYABLE and not is_overdue(due_date, today)


def order_paid() -> Conflict:
    return Conflict("order_paid", "Questo abbonamento risulta già pagato: non serve pagarlo di nuovo.")


def order_expired(*, keep_changes: bool = False) -> Conflict:
    return Conflict(
        "order_expired",
        "Il termine per il pagamento è scaduto: la richiesta non può più essere pagata. "
        "Presenta una nuova richiesta di abbonamento.",
        keep_changes=keep_changes,
    )


def ensure_payable(status: str, due_date: date, today: date) -> None:
    """Refuse a checkout on a paid or expired order, with the reason a citizen reads."""
    if status == OrderStatus.PAID:
        raise order_paid()
    if status == OrderStatus.EXPIRED or is_overdue(due_date, today):
        raise order_expired()
