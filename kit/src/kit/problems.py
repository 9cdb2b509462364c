"""RFC 9457 problem+json responses with a stable ``code`` and an Italian ``detail``."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kit.errors import (
    BadRequest,
    Conflict,
    DomainError,
    Forbidden,
    Gone,
    Invalid,
    Locked,
    NotFound,
    TooMany,
    Unauthenticated,
    Unavailable,
)

log = structlog.get_logger(__name__)

MEDIA_TYPE = "application/problem+json"

_STATUS_TEXT: dict[int, tuple[str, str, str]] = {
    400: ("bad_request", "Richiesta non valida", "La richiesta non è valida."),
    401: ("unauthenticated", "Accesso richiesto", "È necessario effettuare l'accesso."),
    403: ("forbidden", "Accesso negato", "Non hai i permessi per questa operazione."),
    404: ("not_found", "Non trovato", "La risorsa richiesta non esiste."),
    405: ("method_not_allowed", "Metodo non consentito", "Metodo HTTP non consentito."),
    406: ("not_acceptable", "Formato non disponibile", "Formato di risposta non disponibile."),
    409: ("conflict", "Conflitto", "La richiesta è in conflitto con lo stato attuale."),
    410: ("gone", "Non più disponibile", "La risorsa non è più disponibile."),
    413: (
        "payload_too_large",
        "Richiesta troppo grande",
        "La richiesta supera la dimensione massima consentita.",
    ),
    415: (
        "unsupported_media_type",
        "Formato non supportato",
        "Il formato dei dati inviati non è supportato.",
    ),
    423: ("locked", "Bloccato", "La risorsa è bloccata."),
    422: ("validation_error", "Dati non validi", "I dati inviati non sono validi."),
    429: ("too_many_requests", "Troppe richieste", "Troppi tentativi: riprova più tardi."),
    500: (
        "internal_error",
        "Errore interno",
        "Si è verificato un errore interno. Riprova più tardi.",
    ),
    502: (
        "bad_gateway",
        "Servizio non raggiungibile",
        "Il servizio non è al momento raggiungibile. Riprova tra qualche minuto.",
    ),
    503: ("unavailable", "Servizio non disponibile", "Il servizio non è al momento disponibile."),
    504: (
        "gateway_timeout",
        "Servizio non disponibile",
        "Il servizio non ha risposto in tempo. Riprova tra qualche minuto.",
    ),
}

# Italian messages for the validation errors that bad input can produce.
_VALIDATION_MESSAGES: dict[str, str] = {
    "missing": "Campo obbligatorio.",
    "json_invalid": "Il corpo della richiesta non è un JSON valido.",
    "json_type": "Il corpo della richiesta deve essere un oggetto JSON.",
    "model_attributes_type": "Il corpo della richiesta deve essere un oggetto JSON.",
    "dict_type": "Deve essere un oggetto.",
    "list_type": "Deve essere un elenco.",
    "string_type": "Deve essere un testo.",
    "string_too_short": "Il testo è troppo corto.",
    "string_too_long": "Il testo è troppo lungo.",
    "string_pattern_mismatch": "Il formato non è valido.",
    "int_type": "Deve essere un numero intero.",
    "int_parsing": "Deve essere un numero intero.",
    "float_parsing": "Deve essere un numero.",
    "bool_type": "Deve essere vero o falso.",
    "bool_parsing": "Deve essere vero o falso.",
    "date_type": "Deve essere una data (AAAA-MM-GG).",
    "date_parsing": "Deve essere una data (AAAA-MM-GG).",
    "date_from_datetime_parsing": "Deve essere una data (AAAA-MM-GG).",
    "datetime_parsing": "Deve essere una data e ora valida.",
    "uuid_parsing": "Identificativo non valido.",
    "uuid_type": "Identificativo non valido.",
    "literal_error": "Valore non ammesso.",
    "enum": "Valore non ammesso.",
    "greater_than": "Valore troppo piccolo.",
    "greater_than_equal": "Valore troppo piccolo.",
    "less_than": "Valore troppo grande.",
    "less_than_equal": "Valore troppo grande.",
    "value_error": "Valore non valido.",
    "extra_forbidden": "Campo non previsto.",
    "too_long": "Troppi elementi.",
    "too_short": "Troppo pochi elementi.",
}


# The one place where a domain refusal gets its HTTP status (most specific class first).
DOMAIN_STATUS: list[tuple[type[DomainError], int]] = [
    (Invalid, 422),
    (NotFound, 404),
    (Conflict, 409),
    (Forbidden, 403),
    (Unauthenticated, 401),
    (Gone, 410),
    (Locked, 423),
    (TooMany, 429),
    (BadRequest, 400),
    (Unavailable, 503),
]


def domain_status(exc: DomainError) -> int:
    for kind, status in DOMAIN_STATUS:
        if isinstance(exc, kind):
            return status
    return 422


class Problem(Exception):
    """Raised by the HTTP edge itself (authentication, framework checks); use cases raise
    ``kit.errors`` instead."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        title: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.title = title or _STATUS_TEXT.get(status, ("", "Errore", ""))[1]
        self.errors = errors
        self.headers = headers


class FieldProblem(BaseModel):
    """One field a refusal names (``errors`` of a problem)."""

    field: str
    code: str
    message: str


class ProblemDetails(BaseModel):
    """The body of every refusal and failure (RFC 9457), as the OpenAPI documents show it."""

    type: str
    title: str
    status: int
    code: str
    detail: str
    instance: str | None = None
    errors: list[FieldProblem] | None = None


# Where the app factory (kit.app) puts ProblemDetails in every service's OpenAPI document.
PROBLEM_SCHEMA = {"$ref": "#/components/schemas/ProblemDetails"}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=problem_responses(404, 409)`` on a route: the refusals of its own, besides
    the ones the app factory documents on every route (kit.app). Their content, a problem
    document, is filled in by the app factory."""
    return {status: {"description": _STATUS_TEXT[status][1]} for status in statuses}


def problem_document(
    status: int,
    code: str | None = None,
    detail: str | None = None,
    *,
    title: str | None = None,
    instance: str | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The problem+json body; what is not given is the generic Italian text of ``status``
    (the gateway serves these for its own refusals too)."""
    default_code, default_title, default_detail = _STATUS_TEXT.get(
        status, (f"http_{status}", "Errore", "Richiesta non riuscita.")
    )
    code = code or default_code
    body: dict[str, Any] = {
        "type": f"https://parkingcaserta.it/problemi/{code}",
        "title": title or default_title,
        "status": status,
        "code": code,
        "detail": detail or default_detail,
    }
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = errors
    return body


def problem_response(
    status: int,
    code: str,
    detail: str,
    *,
    title: str | None = None,
    instance: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = problem_document(status, code, detail, title=title, instance=instance, errors=errors)
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _validation_message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    if kind == "value_error":
        # Our own validators raise ValueError with an Italian message.
        message = str(error.get("msg", ""))
        return message.removeprefix("Value error, ") or _VALIDATION_MESSAGES[kind]
    return _VALIDATION_MESSAGES.get(kind, "Valore non valido.")


def _field(error: dict[str, Any]) -> str:
    if error.get("type") == "json_invalid":  # its loc holds a character offset, not a field
        return "body"
    loc = error.get("loc", ())
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or "body"


def install_problem_handlers(app: FastAPI) -> None:
    """Every refusal and every failure answers problem+json. Adds ``UnhandledErrorMiddleware``:
    call it before adding the middleware that must wrap it (correlation)."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(
            exc.status,
            exc.code,
            exc.detail,
            title=exc.title,
            instance=request.url.path,
            errors=exc.errors,
            headers=exc.headers,
        )

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        headers = {"Retry-After": str(exc.retry_after_s)} if isinstance(exc, TooMany) else None
        return problem_response(
            domain_status(exc),
            exc.code,
            exc.message,
            instance=request.url.path,
            errors=[e.as_dict() for e in exc.errors] or None,
            headers=headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "field": _field(e),
                "code": e.get("type", ""),
                "message": _validation_message(e),
            }
            for e in exc.errors()
        ]
        only_json = all(e["code"] in ("json_invalid", "model_attributes_type") for e in errors)
        detail = errors[0]["message"] if only_json else _STATUS_TEXT[422][2]
        return problem_response(422, "validation_error", detail, instance=request.url.path, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, title, default_detail = _STATUS_TEXT.get(
            exc.status_code, (f"http_{exc.status_code}", "Errore", "Richiesta non riuscita.")
        )
        # Framework messages are English: our own code raises Problem with an Italian detail.
        return problem_response(
            exc.status_code,
            code,
            default_detail,
            title=title,
            instance=request.url.path,
            headers=getattr(exc, "headers", None),
        )

    app.add_middleware(UnhandledErrorMiddleware)


class UnhandledErrorMiddleware:
    """An exception no handler took becomes a 500 problem, logged once, and goes no further.

    Starlette's ServerErrorMiddleware answers and then re-raises; uvicorn then logs the
    exception a second time and closes the connection, which the gateway may already be
    reusing for another client's request (that one gets a 502). Installed inside the
    correlation middleware, so the log line and the answer carry the request's id.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("request.unhandled_error", method=scope.get("method"), path=scope.get("path"))
            if started:
                # Half an answer is out: the server ends it by closing the connection.
                return
            code, title, detail = _STATUS_TEXT[500]
            response = problem_response(500, code, detail, title=title, instance=scope.get("path"))
            await response(scope, receive, send)
