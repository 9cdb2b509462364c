"""`/operatore`: the console of the municipality's operators. For now: looking up citizens;
the review queues of certifications, plates and subscriptions come with their phases."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from portal import auth
from portal.api import ApiProblem, ServiceUnavailable
from portal.deps import StaffUser
from portal.templating import templates

router = APIRouter()

MIN_QUERY = 2
QUEUES = [
    ("Certificazioni da verificare", "Le richieste di certificazione di residenza in attesa di esito."),
    ("Targhe da verificare", "Le richieste di associazione targa in attesa di esito."),
    ("Abbonamenti da verificare", "Le richieste di abbonamento in attesa di esito."),
]


def _accounts(body: Any) -> list[dict[str, Any]]:
    items = body.get("items", body.get("users", [])) if isinstance(body, dict) else body
    return [item for item in items or [] if isinstance(item, dict)]


@router.get("/operatore", response_class=HTMLResponse)
async def console(request: Request, user: StaffUser, q: str = "") -> Response:
    query = q.strip()
    results: list[dict[str, Any]] | None = None
    error = None
    if query and len(query) < MIN_QUERY:
        error = f"Scrivi almeno {MIN_QUERY} caratteri."
    elif query:
        try:
            response = await auth.user_call(request, "GET", "/api/identity/admin/users", params={"q": query})
            results = _accounts(response.json())
        except ServiceUnavailable:
            error = "La ricerca non è al momento disponibile: riprova tra qualche minuto."
        except ApiProblem as problem:
            error = problem.detail
    return templates.TemplateResponse(
        request,
        "operator/console.html",
        {"query": query, "results": results, "error": error, "queues": QUEUES},
        status_code=200,
    )
