"""HTTP client for the services' public APIs, reached through the gateway.

`call` turns every answer into one of three outcomes the pages handle: the response (2xx/3xx),
an `ApiProblem` (a 4xx, with the service's Italian detail and its per-field errors), or
`ServiceUnavailable` (no answer, a timeout, a 5xx): pages never show a traceback. Requests
carry JSON or a multipart body whose files are streamed (`Multipart`). Paths and shapes of each
service live in `portal.clients`, never here nor in the pages.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import httpx
import pydantic
import structlog
from starlette.datastructures import UploadFile
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
    multipart: Multipart | None = None,
    params: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> httpx.Response:
    """One request to a service; raises ApiProblem (4xx) or ServiceUnavailable."""
    content = None
    if multipart is not None:
        headers = {**(headers or {}), **multipart.headers}
        content = multipart.stream()
    try:
        response = await api.request(method, path, json=json, content=content, params=params, headers=headers)
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


Model = TypeVar("Model", bound=pydantic.BaseModel)


def parse(model: type[Model], response: httpx.Response) -> Model:
    """The answer in the service's shape. An answer in another shape is a defect of the service
    (or a version skew): the page treats it as the service not answering, never as a crash."""
    try:
        return model.model_validate_json(response.content)
    except pydantic.ValidationError as exc:
        path = response.request.url.path
        log.error("portal.api_unexpected_answer", path=path, model=model.__name__, errors=exc.error_count())
        raise ServiceUnavailable(path) from exc


# --- multipart -----------------------------------------------------------------------------

# Files are read this much at a time while the request is sent: an upload of any size costs
# the portal one chunk of memory (Starlette keeps the browser's upload in a spooled file).
CHUNK_SIZE = 64 * 1024


class Readable(Protocol):
    """What a file to forward must offer: Starlette's UploadFile does."""

    async def read(self, size: int = -1) -> bytes: ...

    async def seek(self, offset: int) -> None: ...


@dataclass(frozen=True)
class FileUpload:
    filename: str
    content_type: str
    source: Readable
    # Known for browser uploads: the request then carries a Content-Length.
    size: int | None = None

    @classmethod
    def from_upload(cls, upload: UploadFile) -> FileUpload:
        return cls(
            filename=upload.filename or "",
            content_type=upload.content_type or "application/octet-stream",
            source=upload,
            size=upload.size,
        )


def _quoted(value: str) -> str:
    # As browsers write form-data names and filenames (WHATWG): no way out of the quotes.
    return value.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


class Multipart:
    """A multipart/form-data body streamed from its files. It can be sent more than once (a
    401 refreshes the token and sends it again): every sending starts the files over."""

    def __init__(
        self, fields: Mapping[str, str] | None = None, files: Mapping[str, FileUpload] | None = None
    ) -> None:
        self.boundary = secrets.token_hex(16)
        self.fields = dict(fields or {})
        self.files = dict(files or {})

    def _field_head(self, name: str) -> bytes:
        return (
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="{_quoted(name)}"\r\n\r\n'
        ).encode()

    def _file_head(self, name: str, file: FileUpload) -> bytes:
        content_type = file.content_type.replace("\r", "").replace("\n", "")
        return (
            f"--{self.boundary}\r\n"
            f'Content-Disposition: form-data; name="{_quoted(name)}"; filename="{_quoted(file.filename)}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        ).encode()

    def _end(self) -> bytes:
        return f"--{self.boundary}--\r\n".encode()

    @property
    def headers(self) -> dict[str, str]:
        headers = {"Content-Type": f"multipart/form-data; boundary={self.boundary}"}
        length = self._length()
        if length is not None:
            headers["Content-Length"] = str(length)
        return headers

    def _length(self) -> int | None:
        """The size of the body, or None (then it is sent chunked) if a file's size is unknown."""
        total = len(self._end())
        for name, value in self.fields.items():
            total += len(self._field_head(name)) + len(value.encode()) + 2
        for name, file in self.files.items():
            if file.size is None:
                return None
            total += len(self._file_head(name, file)) + file.size + 2
        return total

    async def stream(self) -> AsyncIterator[bytes]:
        for name, value in self.fields.items():
            yield self._field_head(name) + value.encode() + b"\r\n"
        for name, file in self.files.items():
            yield self._file_head(name, file)
            await file.source.seek(0)
            while chunk := await file.source.read(CHUNK_SIZE):
                yield chunk
            yield b"\r\n"
        yield self._end()
