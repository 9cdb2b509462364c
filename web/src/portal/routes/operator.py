"""`/operatore`: the console of the municipality's operators: looking up citizens (and their
payments), the way to the review queues (certifications, plates, subscriptions) and to the
payments and, for admins, to the sectors and subscription types catalogues."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from portal.deps import Identity, StaffUser
from portal.forms import FormState, submit
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
