"""What the operators' review pages share, whichever the service: paging through a queue, the
decision another operator took first, a request or document that does not exist."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlencode

from starlette.exceptions import HTTPException

from portal.api import ApiProblem
from portal.forms import FormState

T = TypeVar("T")

QUEUE_PAGE_SIZE = 20
ALREADY_DECIDED = "La richiesta è già stata decisa da un altro operatore: ricarica la pagina."
DECISION_LABELS = {"electric": "Veicolo elettrico", "reason": "Motivo del rifiuto"}
# The decisions of the audit trail in words; an action not listed is shown as the service names it.
AUDIT_ACTIONS = {
    "submitted": "Presentata",
    "approve": "Approvata",
    "approved": "Approvata",
    "reject": "Rifiutata",
    "rejected": "Rifiutata",
    "expire": "Scaduta",
    "expired": "Scaduta",
    "paid": "Pagata",
    "expired_unpaid": "Scaduta per mancato pagamento",
    "refund_due": "Pagata oltre il termine: da rimborsare",
}
ACTOR_ROLES = {
    "citizen": "Cittadino",
    "operator": "Operatore",
    "admin": "Amministratore",
    "system": "Sistema",
}
DOCUMENT_LABELS = {
    "identity_document": "Documento d'identità",
    "self_certification": "Autocertificazione di residenza",
    "registration_document": "Libretto di circolazione",
    "availability_attestation": "Attestazione di disponibilità",
}
# Pages of a document shown one under the other; the rest is in the download.
MAX_PREVIEW_PAGES = 10


@dataclass(frozen=True)
class Pagination:
    """Page ``number`` (from 1) of a queue of ``total`` requests, ``size`` a page; ``query``:
    the filters every page link keeps."""

    number: int
    size: int
    total: int = 0
    query: tuple[tuple[str, str], ...] = ()

    @classmethod
    def asked(cls, number: int, filters: dict[str, str], size: int = QUEUE_PAGE_SIZE) -> Pagination:
        kept = tuple((k, v) for k, v in filters.items() if v)
        return cls(number=max(1, number), size=size, query=kept)

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    def of(self, total: int) -> Pagination:
        return Pagination(self.number, self.size, total, self.query)

    @property
    def count(self) -> int:
        return max(1, -(-self.total // self.size))

    def href(self, number: int) -> str:
        return f"?{urlencode([*self.query, ('pagina', str(number))])}"


def explain_conflict(problem: ApiProblem, form: FormState) -> bool:
    """Another operator decided first: one message, whatever the service's words."""
    if problem.status == 409:
        form.general.append(ALREADY_DECIDED)
        return True
    return False


async def or_404(action: Awaitable[T]) -> T:
    """The service's answer; a request or document it does not know is the portal's "page
    not found" (another refusal, its own error page)."""
    try:
        return await action
    except ApiProblem as problem:
        raise HTTPException(404 if problem.status in (404, 422) else problem.status) from None


def preview_pages(pages: int | None) -> range:
    return range(1, min(pages or 1, MAX_PREVIEW_PAGES) + 1)
