"""What the certification service refuses: kit domain errors with the stable codes clients test
and the Italian messages people read (``kit.problems`` gives each its HTTP status)."""

from __future__ import annotations

from kit.errors import Conflict, FieldError, Invalid, NotFound

PENDING_INDEX = "uq_certification_requests_pending"
SECTOR_CODE_KEY = "sectors_pkey"


def request_not_found() -> NotFound:
    # Also what a citizen gets for another citizen's request: never say it exists.
    return NotFound("certification_request_not_found", "Richiesta di certificazione non trovata.")


def document_not_found() -> NotFound:
    return NotFound("document_not_found", "Documento non trovato.")


def sector_not_found() -> NotFound:
    return NotFound("sector_not_found", "Settore non trovato.")


def request_pending() -> Conflict:
    return Conflict(
        "certification_request_pending",
        "Hai già una richiesta di certificazione in attesa di esito: attendi la risposta dell'operatore.",
    )


def sector_code_in_use() -> Conflict:
    message = "Esiste già un settore con questo codice."
    return Conflict("sector_code_in_use", message, errors=[FieldError("code", "sector_code_in_use", message)])


def sector_required() -> Invalid:
    return Invalid(
        [FieldError("sector_code", "required", "Seleziona il settore (Tipo di Autocertificazione).")]
    )


def sector_unavailable() -> Invalid:
    return Invalid(
        [
            FieldError(
                "sector_code",
                "sector_unavailable",
                "Il settore scelto non esiste o non è più disponibile: selezionane un altro.",
            )
        ]
    )
