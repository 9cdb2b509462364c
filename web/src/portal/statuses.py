"""A request's status in words, for citizens and operators alike. The services say it
themselves (``status_label``); these words are the fallback when one does not."""

from __future__ import annotations

from typing import Any

# "La richiesta è ..."; a status not listed reads as in progress.
STATUS_LABELS = {
    "submitted": "In attesa di verifica",
    "pending": "In attesa di verifica",
    "approved": "Approvata",
    "rejected": "Respinta",
    "cancelled": "Annullata",
    "expired": "Scaduta",
    # Subscription requests (Fasi 10–12) and subscriptions (Fase 14).
    "paid": "Pagata",
    "expired_unpaid": "Scaduta per mancato pagamento",
    "refund_due": "Pagata oltre il termine: importo da rimborsare",
    "active": "Attivo",
    "revoked": "Revocato",
}
UNKNOWN_STATUS = "In lavorazione"
# Bootstrap Italia's badge colour for each status (the words carry the meaning, not the colour).
_TONES = {
    "approved": "success",
    "rejected": "danger",
    "expired": "secondary",
    "cancelled": "secondary",
    "paid": "success",
    "active": "success",
    "expired_unpaid": "secondary",
    "revoked": "danger",
}


def status_words(item: Any) -> str:
    """``item``: anything with a ``status`` and, maybe, a ``status_label``."""
    label = getattr(item, "status_label", None)
    return label or STATUS_LABELS.get(item.status, UNKNOWN_STATUS)


def status_tone(item: Any) -> str:
    return _TONES.get(item.status, "warning")
