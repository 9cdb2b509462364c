"""A plate association request's life: pending until an operator approves it (recording whether
the vehicle is electric) or rejects it with a reason. Decided once, never again."""

from __future__ import annotations

from enum import StrEnum

from kit.review import request_already_decided
from vehicles.domain.vehicles import Fuel


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
        raise request_already_decided()


def electric_on_approval(declared_fuel: str, electric: bool | None) -> bool:
    """What the operator certifies; without an explicit choice, what the citizen declared."""
    if electric is not None:
        return electric
    return Fuel(declared_fuel).is_electric
