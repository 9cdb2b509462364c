"""Rules every operators' review shares (certifications, plates, subscriptions): a request is
decided once, and a rejection says why in words the citizen will read."""

from __future__ import annotations

from kit.errors import Conflict, FieldError, Invalid
from kit.text import has_control_characters

REASON_MIN = 5
REASON_MAX = 500


def request_already_decided() -> Conflict:
    return Conflict(
        "request_already_decided",
        "La richiesta è già stata decisa da un altro operatore: ricarica la pagina.",
    )


def rejection_reason(reason: str | None, *, field: str = "reason") -> str:
    """The reason as stored (trimmed), or ``Invalid`` on its field."""
    text = (reason or "").strip()
    if not text:
        problem = FieldError(field, "required", "Indica il motivo del rifiuto.")
    elif has_control_characters(text, allow_newlines=True):
        problem = FieldError(
            field, "invalid_characters", "Il motivo del rifiuto contiene caratteri non ammessi."
        )
    elif len(text) < REASON_MIN:
        problem = FieldError(
            field, "too_short", f"Il motivo del rifiuto deve avere almeno {REASON_MIN} caratteri."
        )
    elif len(text) > REASON_MAX:
        problem = FieldError(
            field, "too_long", f"Il motivo del rifiuto può avere al massimo {REASON_MAX} caratteri."
        )
    else:
        return text
    raise Invalid([problem])
