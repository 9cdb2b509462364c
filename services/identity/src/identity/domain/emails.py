"""E-mail addresses: syntax checked and normalised, never looked up (no DNS in a request)."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from kit.errors import FieldError

MAX_LENGTH = 254


class InvalidEmail(ValueError):
    pass


def normalize_email(value: str) -> str:
    """The address as stored: domain in lower case, local part as typed (uniqueness and
    look-ups compare ``lower(email)``)."""
    candidate = value.strip()
    if not candidate or len(candidate) > MAX_LENGTH:
        raise InvalidEmail(value)
    try:
        return validate_email(candidate, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise InvalidEmail(value) from exc


def email_errors(value: str, field: str = "email") -> list[FieldError]:
    if not value.strip():
        return [FieldError(field, "required", "Inserisci l'indirizzo email.")]
    try:
        normalize_email(value)
    except InvalidEmail:
        return [FieldError(field, "email_invalid", "L'indirizzo email non è valido.")]
    return []
