"""HTTP client for the services' public APIs, reached through the gateway.

`call` turns every answer into one of three outcomes the pages handle: the response (2xx/3xx),
an `ApiProblem` (a 4xx, with the service's Italian detail and its per-field errors), or
`ServiceUnavailable` (no answer, a timeout, a 5xx): pages never show a traceback.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import httpx
import structlog
from starlette.types import ASGIApp, Receive, Scope, Send

from kit.correlation import HEADER, current_correlation_id
from portal.settings import PortalSettings

log = structlog.get_logger("portal.api")

# Shown when a service does not answer; the page keeps what the citizen typed.
UNAVAILABLE_MESSAGE = (
    "Il servizio non è al momento disponibile. Riprova tra qualche minuto: i dati inseriti "
    "non sono andati persi."
)
_GENERIC_DETAILS = {
    400: "La richiesta non è valida.",
    401: "È necessario effettuare l'accesso.",
    403: "Non hai i permessi per questa operazione.",
    404: "La risorsa richiesta non esiste.",
    409: "La richiesta è in conflitto con lo stato attuale.",
    413: "I dati inviati superano la dimensione massima consentita.",
    422: "I dati inviati non sono validi.",
    429: "Troppi tentativi in poco tempo: attendi qualche istante e riprova.",
}


# The address of the browser behind the page being served (uvicorn derives it from the
# gateway's X-Forwarded-For). Identity throttles logins per client address: without this every
# citizen would look like the portal. The gateway keeps it only from proxies it trusts.
browser_address: ContextVar[str | None] = ContextVar("browser_address", default=None)


async def _forward_context(request: httpx.Request) -> None:
    # The services log under the same id as the page that called them.
    request.headers[HEADER] = current_correlation_id()
    address = browser_address.get()
    if address:
        request.headers["X-Forwarded-For"] = address


class BrowserAddressMiddleware:
    """Pure ASGI (context variables survive): binds the browser's address for the API client."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client") if scope["type"] == "http" else None
        token = browser_address.set(client[0] if client else None)
        try:
            await self.app(scope, receive, send)
        finally:
            browser_address.reset(token)


def create_api_client(
    settings: PortalSettings, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=settings.api_base_url,
        timeout=settings.api_timeout_s,
        transport=transport,
        event_hooks={"request": [_forward_context]},
    )


@dataclass
class FieldError:
    field: str
    code: str
    message: str


@dataclass
class ApiProblem(Exception):
    """A 4xx answer of a service (RFC 9457 problem+json, or a gateway's plain answer)."""

    status: int
    code: str
    detail: str
    errors: list[FieldError] = field(default_factory=list)
    retry_after_s: int | None = None

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.detail}"

    @classmethod
    def from_response(cls, response: httpx.Response) -> ApiProblem:
        status = response.status_code
        body: Any = None
        if "json" in response.headers.get("content-type", ""):
            try:
                body = response.json()
            except ValueError:
                body = None
        if not isinstance(body, dict):
            body = {}
        errors = []
        for item in body.get("errors") or []:
            if isinstance(item, dict) and isinstance(item.get("message"), str):
                errors.append(
                    FieldError(str(item.get("field", "")), str(item.get("code", "")), item["message"])
                )
        detail = body.get("detail")
        if not isinstance(detail, str) or not detail:
            detail = _GENERIC_DETAILS.get(status, "Non è stato possibile completare la richiesta.")
        code = body.get("code")
        if not isinstance(code, str) or not code:
            code = f"http_{status}"
        return cls(status, code, detail, errors, _retry_after(response))


class ServiceUnavailable(Exception):
    """The service did not answer (connection refused, timeout) or answered with a 5xx."""


def _retry_after(response: httpx.Response) -> int | None:
    value = response.headers.get("retry-after", "")
    return int(value) if value.isdigit() else None


async def call(
    api: httpx.AsyncClient,
    method: str,
    path: str,
    *,
    json: Any = None,
    params: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """One request to a service; raises ApiProblem (4xx) or ServiceUnavailable."""
    try:
        response = await api.request(method, path, json=json, params=params, headers=headers)
    except httpx.HTTPError as exc:
        log.warning("portal.api_unreachable", method=method, path=path, error=type(exc).__name__)
        raise ServiceUnavailable(path) from exc
    if response.status_code >= 500:
        log.warning("portal.api_error", method=method, path=path, status=response.status_code)
        raise ServiceUnavailable(path)
    if response.status_code >= 400:
        problem = ApiProblem.from_response(response)
        log.info("portal.api_problem", method=method, path=path, status=problem.status, code=problem.code)
        raise problem
    return response
