"""What the subscriptions service refuses: kit domain errors with the stable codes clients test
and the Italian messages people read (``kit.problems`` gives each kind its HTTP status).

Each refusal is built where it is raised (a function, not a shared instance). The per-field
ones (``FieldError``) are collected, so that a request breaking several rules hears of all."""

from __future__ import annotations

from collections.abc import Sequence

from kit.errors import Conflict, FieldError, Invalid, NotFound

OPEN_REQUEST_INDEX = "uq_subscription_requests_open_plate"
SUBSCRIPTION_OF_REQUEST_INDEX = "uq_subscriptions_request_id"
PLATE_PERIOD_EXCLUSION = "ex_subscriptions_plate_period"
TYPE_CODE_KEY = "subscription_types_pkey"

NOT_YET_AVAILABLE = "non ancora disponibile: riprova tra qualche istante."


def refused(errors: Sequence[FieldError]) -> Invalid:
    """A request that breaks one or more rules: the first says what went wrong, all are listed."""
    first = errors[0]
    return Invalid(errors, code=first.code, message=first.message)


# The citizen's request, field by field.


def certification_not_available() -> FieldError:
    # Also what another citizen's certification gets: its existence is never confirmed.
    return FieldError(
        "certification_id", "certification_not_available", f"Certificazione {NOT_YET_AVAILABLE}"
    )


def certification_expired() -> FieldError:
    return FieldError(
        "certification_id",
        "certification_expired",
        "La certificazione di residenza è scaduta: presenta una nuova richiesta di certificazione.",
    )


def plate_not_available() -> FieldError:
    return FieldError("plate_id", "plate_not_available", f"Targa {NOT_YET_AVAILABLE}")


def plate_dissociated() -> FieldError:
    return FieldError(
        "plate_id", "plate_dissociated", "La targa non è più associata al tuo profilo: scegline un'altra."
    )


def plate_not_electric() -> FieldError:
    return FieldError(
        "plate_id",
        "plate_not_electric",
        "La targa non risulta certificata come veicolo elettrico: scegli un'altra tipologia di abbonamento.",
    )


def type_not_found(field: str = "subscription_type_code") -> FieldError:
    return FieldError(
        field, "subscription_type_not_found", "La tipologia di abbonamento scelta non è disponibile."
    )


def type_not_allowed(sector_code: str) -> FieldError:
    return FieldError(
        "subscription_type_code",
        "subscription_type_not_allowed",
        f"La tipologia di abbonamento scelta non è prevista per il settore {sector_code} "
        "della certificazione.",
    )


def type_not_electric() -> FieldError:
    return FieldError(
        "subscription_type_code",
        "subscription_type_not_electric",
        "Per le auto elettriche scegli la tipologia di abbonamento dedicata.",
    )


def electric_type_unavailable() -> Invalid:
    return refused(
        [
            FieldError(
                "subscription_type_code",
                "electric_type_unavailable",
                "L'abbonamento per auto elettriche non è al momento disponibile.",
            )
        ]
    )


def electric_type_ambiguous() -> Invalid:
    return refused(
        [
            FieldError(
                "subscription_type_code",
                "electric_type_required",
                "Sono disponibili più abbonamenti per auto elettriche: scegli la tipologia.",
            )
        ]
    )


def electric_type_needs_certification(sector_codes: Sequence[str]) -> Invalid:
    return refused(
        [
            FieldError(
                "subscription_type_code",
                "electric_type_needs_certification",
                "Questa tipologia per auto elettriche vale solo nei settori "
                f"{', '.join(sector_codes)}: usa «Nuova Richiesta» indicando la tua certificazione.",
            )
        ]
    )


def plate_has_open_request() -> Conflict:
    message = (
        "Per questa targa c'è già una richiesta di abbonamento in corso (in attesa di esito o di "
        "pagamento): attendi che sia conclusa."
    )
    return Conflict(
        "plate_has_open_request", message, errors=[FieldError("plate_id", "plate_has_open_request", message)]
    )


def plate_has_subscription(period_label: str) -> Conflict:
    message = f"La targa ha già un abbonamento che copre il periodo richiesto ({period_label})."
    return Conflict(
        "plate_has_subscription", message, errors=[FieldError("plate_id", "plate_has_subscription", message)]
    )


# Requests and their review.


def request_not_found() -> NotFound:
    # Also what a citizen gets for another citizen's request: never say it exists.
    return NotFound("subscription_request_not_found", "Richiesta di abbonamento non trovata.")


def subscription_not_found() -> NotFound:
    # Also what a citizen gets for another citizen's subscription: never say it exists.
    return NotFound("subscription_not_found", "Abbonamento non trovato.")


def subscription_already_active() -> Conflict:
    return Conflict("subscription_already_active", "L'abbonamento di questa richiesta è già attivo.")


# The catalogue of subscription types.


def type_code_not_found() -> NotFound:
    return NotFound("subscription_type_not_found", "Tipologia di abbonamento non trovata.")


def type_code_in_use() -> Conflict:
    message = "Esiste già una tipologia di abbonamento con questo codice."
    return Conflict(
        "subscription_type_code_in_use",
        message,
        errors=[FieldError("code", "subscription_type_code_in_use", message)],
    )
