"""The life of a certification request: pending until an operator decides, then approved or
rejected; an approved certification expires when its validity ends."""

from __future__ import annotations

from enum import StrEnum


class RequestStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"

    @property
    def label(self) -> str:
        """What citizens and operators read."""
        return _LABELS[self]

    @property
    def is_decided(self) -> bool:
        return self is not RequestStatus.PENDING


_LABELS = {
    RequestStatus.PENDING: "In attesa di esito",
    RequestStatus.APPROVED: "Approvata",
    RequestStatus.REJECTED: "Rifiutata",
    RequestStatus.EXPIRED: "Scaduta",
}

STATUSES = tuple(status.value for status in RequestStatus)


def status_label(status: str) -> str:
    return RequestStatus(status).label
