"""What the vehicles service refuses: kit domain errors with the stable codes clients test and
the Italian messages people read. Each refusal is built when raised."""

from __future__ import annotations

from kit.errors import Conflict, NotFound

CONTACT_OFFICE = "contatta l'Ufficio Sosta del Comune di Caserta con il libretto di circolazione del veicolo."


def request_not_found() -> NotFound:
    return NotFound("request_not_found", "Richiesta di associazione targa non trovata.")


def document_not_found() -> NotFound:
    return NotFound("document_not_found", "Documento non trovato.")


def plate_not_found() -> NotFound:
    return NotFound("plate_not_found", "Targa associata non trovata.")


def plate_already_associated() -> Conflict:
    return Conflict("plate_already_associated", "La targa è già associata al tuo profilo.")


def plate_associated_elsewhere() -> Conflict:
    return Conflict(
        "plate_associated_elsewhere",
        f"La targa è già associata a un altro cittadino. Se il veicolo è tuo, {CONTACT_OFFICE}",
    )


def request_already_pending() -> Conflict:
    return Conflict(
        "request_already_pending",
        "Hai già una richiesta in attesa di esito per questa targa: attendi la decisione dell'operatore.",
    )


def plate_request_pending() -> Conflict:
    """Another citizen's request for the plate waits for a decision (or, in a race, anyone's)."""
    return Conflict(
        "plate_request_pending",
        "Per questa targa c'è già una richiesta di associazione in attesa di esito. "
        f"Se il veicolo è tuo, {CONTACT_OFFICE}",
    )


def plate_taken_meanwhile() -> Conflict:
    """Approving would associate a plate that meanwhile became someone's (or is already this
    citizen's): the request can only be rejected."""
    return Conflict(
        "plate_associated_elsewhere",
        "La targa risulta già associata a un cittadino: la richiesta non può essere approvata, "
        "puoi solo rifiutarla.",
    )
