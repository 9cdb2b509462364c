"""Password policy (Fase 3): 8 to 128 characters, at least one letter and one digit, not one
of the most common passwords."""

from __future__ import annotations

import unicodedata
from functools import cache
from importlib.resources import files

from kit.errors import FieldError

MIN_LENGTH = 8
MAX_LENGTH = 128


@cache
def common_passwords() -> frozenset[str]:
    text = files("identity.domain").joinpath("common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def normalize_password(password: str) -> str:
    """The same password typed on two keyboards may reach us composed or decomposed."""
    return unicodedata.normalize("NFKC", password)


def is_common(password: str) -> bool:
    return normalize_password(password).lower() in common_passwords()


def password_errors(password: str, field: str = "password") -> list[FieldError]:
    password = normalize_password(password)
    if not password:
        return [FieldError(field, "required", "Inserisci la password.")]
    errors: list[FieldError] = []
    if len(password) < MIN_LENGTH:
        errors.append(
            FieldError(
                field, "password_too_short", f"La password deve contenere almeno {MIN_LENGTH} caratteri."
            )
        )
    if len(password) > MAX_LENGTH:
        errors.append(
            FieldError(
                field, "password_too_long", f"La password può contenere al massimo {MAX_LENGTH} caratteri."
            )
        )
    if not any(c.isalpha() for c in password):
        errors.append(
            FieldError(field, "password_no_letter", "La password deve contenere almeno una lettera.")
        )
    if not any(c.isdigit() for c in password):
        errors.append(FieldError(field, "password_no_digit", "La password deve contenere almeno un numero."))
    if not errors and is_common(password):
        errors.append(
            FieldError(
                field,
                "password_common",
                "Questa password è tra le più usate e facili da indovinare: scegline un'altra.",
            )
        )
    return errors


def confirmation_errors(
    password: str, confirmation: str, field: str = "password_confirmation"
) -> list[FieldError]:
    if not confirmation:
        return [FieldError(field, "required", "Scrivi di nuovo la password per confermarla.")]
    if normalize_password(password) != normalize_password(confirmation):
        return [FieldError(field, "password_mismatch", "Le password non coincidono.")]
    return []


def new_password_errors(password: str, confirmation: str) -> list[FieldError]:
    return password_errors(password) + confirmation_errors(password, confirmation)
