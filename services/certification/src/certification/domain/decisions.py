"""Operators' decisions on a request: only a pending request can be decided, and a rejection
says why, in words the citizen will read."""

from __future__ import annotations

from certification.domain.text import has_control_characters
from kit.errors import FieldError, Invalid

REASON_MIN = 5
REASON_MAX = 500


def rejection_reason(reason: str | None) -> str:
    """The reason as stored (trimmed), or ``Invalid`` on the ``reason`` field."""
    text = (reason or "").strip()
    if not text:
        raise Invalid([FieldError("reason", "required", "Indica il motivo del rifiuto.")])
    if len(text) < REASON_MIN:
        raise Invalid(
            [
                FieldError(
                    "reason",
                    "too_short",
                    f"Il motivo del rifiuto deve avere almeno {REASON_MIN} caratteri.",
                )
            ]
        )
    if len(text) > REASON_MAX:
        raise Invalid(
            [
                FieldError(
                    "reason",
                    "too_long",
                    f"Il motivo del rifiuto può avere al massimo {REASON_MAX} caratteri.",
                )
            ]
        )
    if has_control_characters(text, allow_newlines=True):
        raise Invalid(
            [
                FieldError(
                    "reason", "invalid_characters", "Il motivo del rifiuto contiene caratteri non ammessi."
                )
            ]
        )
    return text
