"""`/operatore`: the console of the municipality's operators: looking up citizens (and their
payments), the way to the review queues (certifications, plates, subscriptions) and to the
payments and, for admins, to the sectors and subscription types catalogues."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from portal.api import ApiProblem, ServiceUnavailable
from portal.deps import AdminUser, Identity, StaffUser
from portal.forms import FormState, submit
from portal.review import Pagination
from portal.templating import templates

router = APIRouter()

MIN_QUERY = 2
SEARCH_UNAVAILABLE = "La ricerca non è al momento disponibile: riprova tra qualche minuto."
# Title, description, page.
QUEUES = [
    (
        "Certificazioni da verificare",
        "Le richieste di certificazione di residenza in attesa di esito.",
        "/operatore/certificazioni",
    ),
    (
        "Targhe da verificare",
        "Le richieste di associazione targa in attesa di esito.",
        "/operatore/targhe",
    ),
    (
        "Abbonamenti da verificare",
        "Le richieste di abbonamento in attesa di esito.",
        "/operatore/abbonamenti",
    ),
]


@router.get("/operatore", response_class=HTMLResponse)
async def console(request: Request, user: StaffUser, identity: Identity, q: str = "") -> Response:
    query = q.strip()
    form = FormState(values={"q": query})
    found = None
    if query and len(query) < MIN_QUERY:
        form.add("q", f"Scrivi almeno {MIN_QUERY} caratteri.")
    elif query:
        searched = await submit(
            form, identity.search_accounts(query), ["q"], unavailable_message=SEARCH_UNAVAILABLE
        )
        found = searched.result if searched.ok else None
    # One message under the search box, whatever it is about.
    error = next(iter(form.errors.values()), None) or next(iter(form.general), None)
    return templates.TemplateResponse(
        request,
        "operator/console.html",
        {"query": query, "found": found, "error": error, "queues": QUEUES},
    )


RATINGS_PAGE_SIZE = 20


@router.get("/operatore/valutazioni", response_class=HTMLResponse)
async def ratings(request: Request, user: AdminUser, identity: Identity, pagina: int = 1) -> Response:
    """Admins: the "Valuta questo servizio" answers, newest first, a page at a time."""
    pagination = Pagination.asked(pagina, {}, size=RATINGS_PAGE_SIZE)
    try:
        listing = await identity.ratings(pagination.size, pagination.offset)
    except (ApiProblem, ServiceUnavailable):
        listing = None
    return templates.TemplateResponse(
        request,
        "operator/ratings.html",
        {
            "listing": listing,
            "pagination": pagination.of(listing.total if listing else 0),
            "average": _average(listing.items) if listing and listing.items else None,
        },
    )


def _average(items: list) -> str:
    """Of the page shown, with an Italian decimal comma: "4,3"."""
    return f"{sum(item.stars for item in items) / len(items):.1f}".replace(".", ",")
