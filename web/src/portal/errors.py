"""Error pages: citizens get an Italian HTML page, never a JSON body or a traceback."""

from __future__ import annotations

import structlog
from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from portal.templating import templates

log = structlog.get_logger("portal.errors")

_TITLES = {
    400: "Richiesta non valida",
    401: "Accesso richiesto",
    403: "Accesso non consentito",
    404: "Pagina non trovata",
    405: "Operazione non consentita",
    429: "Troppe richieste",
}


async def http_error_page(request: Request, exc: HTTPException) -> Response:
    if exc.status_code == 404:
        template = "errors/404.html"
    else:
        template = "errors/error.html"
    title = _TITLES.get(exc.status_code, "Richiesta non completata")
    return templates.TemplateResponse(
        request,
        template,
        {"status_code": exc.status_code, "title": title},
        status_code=exc.status_code,
        headers=exc.headers,
    )


async def server_error_page(request: Request, exc: Exception) -> Response:
    # Starlette logs the traceback too; this line carries the path for searching the logs.
    log.error("portal.unhandled_error", path=request.url.path, error=type(exc).__name__)
    return templates.TemplateResponse(request, "errors/500.html", status_code=500)


def register_error_pages(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, http_error_page)
    app.add_exception_handler(Exception, server_error_page)
