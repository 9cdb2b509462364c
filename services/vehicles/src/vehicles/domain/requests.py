"""A plate association request's life: pending until an operator approves it (recording whether
the vehicle is electric) or rejects it with a reason. Decided once, never again."""

from __future__ import annotations

import unicodedata
from enum import StrEnum

from kit.errors import FieldError, Invalid
from vehicles.domain import errors
from vehicles.domain.vehicles import Fuel

REASON_MIN_LENGTH = 5
REASON_MAX_LENGTH = 500
# Tabs and line breaks are fine in a reason; other control characters, and the lone surrogates
# a JSON string can carry, are not text (and PostgreSQL would refuse them).
_ALLOWED_CONTROLS = frozenset("\t\n\r")


def _is_text(value: str) -> bool:
    return not any(unicodedata.category(ch) in ("Cc", "Cs") and ch not in _ALLOWED_CONTROLS for ch in value)


class RequestStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS: dict[RequestStatus, str] = {
    RequestStatus.PENDING: "In attesa di esito",
    RequestStatus.APPROVED: "Approvata",
    RequestStatus.REJECTED: "Rifiutata",
}


def status_label(status: str) -> str:
    return RequestStatus(status).label


def ensure_pending(status: str) -> None:
    """A decision is taken once: a second one (another operator, a second click) is refused."""
    if status != RequestStatus.PENDING:
        raise errors.request_already_decided()


def electric_on_approval(declared_fuel: str, electric: bool | None) -> bool:
    """What the operator certifies; without an explicit choice, what the citizen declared."""
    if electric is not None:
        return electric
    return Fuel(declared_fuel).is_electric


def rejection_reason(raw: str | None) -> str:
    """The reason an operator gives for a rejection, trimmed: 5 to 500 characters of text."""
    reason = (raw or "").strip()
    if not reason:
        problem = FieldError("reason", "required", "Indica il motivo del rifiuto.")
    elif not _is_text(reason):
        problem = FieldError("reason", "invalid_characters", "Il motivo contiene caratteri non ammessi.")
    elif len(reason) < REASON_MIN_LENGTH:
        problem = FieldError(
            "reason", "too_short", f"Il motivo deve avere almeno {REASON_MIN_LENGTH} caratteri."
        )
    elif len(reason) > REASON_MAX_LENGTH:
        problem = FieldError(
            "reason", "too_long", f"Il motivo può avere al massimo {REASON_MAX_LENGTH} caratteri."
        )
    else:
        return reason
    raise Invalid([problem])
