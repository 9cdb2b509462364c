"""Error pages: citizens get an Italian HTML page, never a JSON body or a traceback."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import structlog
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from portal.api import ApiProblem, ServiceUnavailable
from portal.auth import Forbidden, LoginRequired
from portal.csrf import CsrfError
from portal.templating import flash, templates

log = structlog.get_logger("portal.errors")

_TITLES = {
    400: "Richiesta non valida",
    401: "Accesso richiesto",
    403: "Accesso non consentito",
    404: "Pagina non trovata",
    405: "Operazione non consentita",
    429: "Troppe richieste",
}


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def safe_next(value: str | None) -> str | None:
    """A local path to go back to after login; anything else (other sites, //host) is ignored."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return None
    return value


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


async def login_required(request: Request, exc: LoginRequired) -> Response:
    flash(request, exc.message, "warning")
    target = "/login"
    if request.method == "GET":
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        target += f"?next={quote(path, safe='/')}"
    if is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


async def forbidden_page(request: Request, exc: Forbidden) -> Response:
    return templates.TemplateResponse(
        request, "errors/forbidden.html", {"message": exc.message}, status_code=403
    )


async def invalid_request_page(request: Request, exc: RequestValidationError) -> Response:
    """A malformed address (an id that is not one, a page number that is not a number): the
    Italian error page, never FastAPI's JSON."""
    in_path = any(error.get("loc", ("",))[0] == "path" for error in exc.errors())
    return await http_error_page(request, HTTPException(404 if in_path else 400))


async def csrf_page(request: Request, exc: CsrfError) -> Response:
    log.info("portal.csrf_refused", path=request.url.path)
    # Back to the page that held the form (only its path: never another site).
    back = safe_next(urlsplit(request.headers.get("referer", "")).path) or "/"
    return templates.TemplateResponse(request, "errors/csrf.html", {"back": back}, status_code=403)


async def api_problem_page(request: Request, exc: ApiProblem) -> Response:
    """A service's refusal that no page expected (pages handle the ones they expect): its
    status, on the portal's own error page."""
    log.info("portal.api_problem_unhandled", path=request.url.path, status=exc.status, code=exc.code)
    if exc.status == 403:
        return await forbidden_page(
            request, Forbidden("Il tuo account non ha i permessi per questa operazione.")
        )
    status = exc.status if 400 <= exc.status < 500 else 400
    return await http_error_page(request, HTTPException(status))


async def unavailable_page(request: Request, exc: ServiceUnavailable) -> Response:
    return templates.TemplateResponse(request, "errors/unavailable.html", status_code=503)


async def server_error_page(request: Request, exc: Exception) -> Response:
    # Starlette logs the traceback too; this line carries the path for searching the logs.
    log.error("portal.unhandled_error", path=request.url.path, error=type(exc).__name__)
    return templates.TemplateResponse(request, "errors/500.html", status_code=500)


def register_error_pages(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, http_error_page)
    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(Forbidden, forbidden_page)
    app.add_exception_handler(RequestValidationError, invalid_request_page)
    app.add_exception_handler(CsrfError, csrf_page)
    app.add_exception_handler(ServiceUnavailable, unavailable_page)
    app.add_exception_handler(ApiProblem, api_problem_page)
    app.add_exception_handler(Exception, server_error_page)
