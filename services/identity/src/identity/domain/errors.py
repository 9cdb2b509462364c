"""What the identity service refuses: kit domain errors with the stable codes clients test and the
Italian messages people read. ``kit.problems`` gives each kind its HTTP status at the edge.

Each refusal is built when raised (a function, not a shared instance). ``keep_changes`` is
always passed by the raise site: only there is it clear what the refused request had written.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from kit.errors import (
    BadRequest,
    Conflict,
    FieldError,
    Gone,
    Invalid,
    Locked,
    NotFound,
    TooMany,
    Unauthenticated,
)

EMAIL_IN_USE = "L'indirizzo email è già associato a un altro account."
TAX_CODE_IN_USE = "Il codice fiscale è già associato a un altro account."
# Told to whoever runs `python -m identity create-user`.
STAFF_EMAIL_IN_USE = "L'indirizzo email è già in uso."


def in_use(fields: Iterable[str], *, email_field: str = "email") -> Conflict:
    """409 naming each field already taken (``email`` and/or ``tax_code``); the code and the
    message are the first one's."""
    wanted = set(fields)
    errors = []
    if "email" in wanted:
        errors.append(FieldError(email_field, "email_in_use", EMAIL_IN_USE))
    if "tax_code" in wanted:
        errors.append(FieldError("tax_code", "tax_code_in_use", TAX_CODE_IN_USE))
    first = errors[0]
    return Conflict(first.code, first.message, errors=errors)


def staff_email_in_use() -> Conflict:
    return Conflict(
        "email_in_use", STAFF_EMAIL_IN_USE, errors=[FieldError("email", "email_in_use", STAFF_EMAIL_IN_USE)]
    )


def role_invalid() -> Invalid:
    return Invalid([FieldError("role", "role_invalid", "Ruolo non ammesso.")])


# Registration (Fase 3).


def registration_not_found() -> NotFound:
    return NotFound("registration_not_found", "Sessione di registrazione non trovata.")


def registration_expired() -> Gone:
    return Gone(
        "registration_expired", "La sessione di registrazione è scaduta: inizia una nuova registrazione."
    )


def registration_locked(*, keep_changes: bool = False) -> Locked:
    return Locked(
        "otp_locked", "Troppi tentativi errati: inizia una nuova registrazione.", keep_changes=keep_changes
    )


def otp_resend_too_soon(wait_s: int, *, resends_used_up: bool) -> TooMany:
    message = (
        "Hai già richiesto il numero massimo di codici per questa registrazione."
        if resends_used_up
        else f"Puoi richiedere un nuovo codice tra {wait_s} secondi."
    )
    return TooMany("otp_resend_too_soon", message, retry_after_s=wait_s)


def otp_invalid(
    attempts_left: int, *, others: Sequence[FieldError] = (), keep_changes: bool = False
) -> Invalid:
    """``others``: the request's other field errors, reported with the OTP's."""
    message = f"Codice OTP non valido. Tentativi rimasti: {attempts_left}."
    return Invalid(
        [*others, FieldError("otp", "otp_invalid", message)],
        code="otp_invalid",
        message=message,
        keep_changes=keep_changes,
    )


def tax_code_mismatch(mismatches: Sequence[FieldError]) -> Invalid:
    return Invalid(
        mismatches, code="tax_code_mismatch", message="I dati anagrafici non corrispondono al codice fiscale."
    )


# Login and refresh tokens (Fase 2).


def invalid_credentials(*, keep_changes: bool = False) -> Unauthenticated:
    return Unauthenticated("invalid_credentials", "Email o password non corretti.", keep_changes=keep_changes)


def refresh_token_invalid() -> Unauthenticated:
    return Unauthenticated(
        "refresh_token_invalid", "Sessione non valida o scaduta: effettua di nuovo l'accesso."
    )


def refresh_token_reused(*, keep_changes: bool = False) -> Unauthenticated:
    return Unauthenticated(
        "refresh_token_reused",
        "Per sicurezza la sessione è stata chiusa su tutti i dispositivi: effettua di nuovo l'accesso.",
        keep_changes=keep_changes,
    )


def too_many_attempts(wait_s: int) -> TooMany:
    minutes = max(1, (wait_s + 59) // 60)
    return TooMany(
        "too_many_attempts",
        f"Troppi tentativi di accesso non riusciti: riprova tra {minutes} minuti.",
        retry_after_s=wait_s,
    )


def too_many_registrations(wait_s: int) -> TooMany:
    minutes = max(1, (wait_s + 59) // 60)
    return TooMany(
        "too_many_registrations",
        f"Troppe richieste di registrazione: riprova tra {minutes} minuti.",
        retry_after_s=wait_s,
    )


# Password recovery.


class ResetLinkInvalid(BadRequest):
    """A reset link unknown, used or expired (400, the contract since the start)."""

    def __init__(self) -> None:
        super().__init__("reset_token_invalid", "Il link non è valido o è scaduto.")


# The citizen's own account.


def account_not_found() -> NotFound:
    return NotFound("account_not_found", "Account non trovato.")


def password_incorrect(
    *, field: str = "password", others: Sequence[FieldError] = (), keep_changes: bool = False
) -> Invalid:
    """``others``: the request's other field errors, reported with this one."""
    message = "La password non è corretta."
    return Invalid(
        [FieldError(field, "password_incorrect", message), *others],
        code="password_incorrect",
        message=message,
        keep_changes=keep_changes,
    )


def email_unchanged() -> Invalid:
    return Invalid(
        [FieldError("new_email", "email_unchanged", "Il nuovo indirizzo è uguale a quello attuale.")]
    )


def email_change_not_found() -> NotFound:
    return NotFound(
        "email_change_not_found", "Non c'è nessuna richiesta di modifica dell'indirizzo email in corso."
    )


def email_change_expired() -> Gone:
    return Gone(
        "email_change_expired",
        "La richiesta di modifica è scaduta: richiedi di nuovo la modifica dell'email.",
    )


def email_change_locked(*, keep_changes: bool = False) -> Locked:
    return Locked(
        "otp_locked",
        "Troppi tentativi errati: richiedi di nuovo la modifica dell'indirizzo email.",
        keep_changes=keep_changes,
    )
