"""HTTP client for the services' public APIs, reached through the gateway.

`call` turns every answer into one of three outcomes the pages handle: the response (2xx/3xx),
an `ApiProblem` (a 4xx, with the service's Italian detail and its per-field errors), or
`ServiceUnavailable` (no answer, a timeout, a 5xx): pages never show a traceback. Requests
carry JSON or a multipart body whose files are streamed (`Multipart`); files a service sends
back reach the browser streamed too (`Download`). Paths and shapes of each service live in
`portal.clients`, never here nor in the pages.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import httpx
import pydantic
import structlog
from starlette.background import BackgroundTask
from starlette.datastructures import UploadFile
from starlette.responses import StreamingResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from kit.client_address import signed_headers
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
# gateway's X-Forwarded-For). Identity throttles logins per client address and the gateway
# rate-limits per client address: without this every citizen would look like the portal. It
# travels signed (kit.client_address), so that no other client can choose an address.
browser_address: ContextVar[str | None] = ContextVar("browser_address", default=None)


def _forward_context(secret: bytes) -> Callable[[httpx.Request], Awaitable[None]]:
    async def hook(request: httpx.Request) -> None:
        # The services log under the same id as the page that called them.
        request.headers[HEADER] = current_correlation_id()
        address = browser_address.get()
        if address:
            request.headers.update(signed_headers(address, secret))

    return hook


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
        event_hooks={
            "request": [_forward_context(settings.client_address_secret.get_secret_value().encode())]
        },
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
    stream: bool = False,
) -> httpx.Response:
    """One request to a service; raises ApiProblem (4xx) or ServiceUnavailable. With
    ``stream`` a successful answer comes back unread: its body is the caller's to read and
    close (see `Download`); an unsuccessful one is read (a problem is small) and closed here."""
    content = None
    if multipart is not None:
        headers = {**(headers or {}), **multipart.headers}
        content = multipart.stream()
    try:
        request = api.build_request(method, path, json=json, content=content, params=params, headers=headers)
        response = await api.send(request, stream=stream)
        if stream and response.status_code >= 400:
            try:
                await response.aread()
            finally:
                await response.aclose()
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


# --- files the services send ---------------------------------------------------------------


class Download:
    """A file a service is sending (a document, its preview, a PDF form), not read yet: the
    page hands it to the browser chunk by chunk, so a file of any size costs the portal one
    chunk of memory. Its type and name are the service's."""

    def __init__(self, response: httpx.Response) -> None:
        self._response = response

    @property
    def content_type(self) -> str:
        return self._response.headers.get("content-type", "application/octet-stream")

    @property
    def content_disposition(self) -> str | None:
        return self._response.headers.get("content-disposition")

    async def chunks(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.aiter_bytes(CHUNK_SIZE):
                yield chunk
        finally:
            await self._response.aclose()

    async def aclose(self) -> None:
        await self._response.aclose()

    def as_response(self, *, disposition: str = "attachment") -> StreamingResponse:
        """The browser's answer. ``disposition`` applies when the service named none: a
        document is downloaded rather than shown unless the service says otherwise."""
        headers = {
            "Content-Disposition": self.content_disposition or disposition,
            # The browser must not guess another type than the service's (an HTML "image"),
            # and a file a citizen uploaded, opened on its own, runs nothing in the portal.
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox; default-src 'none'",
        }
        # The chunks are decoded: a length measured before a content encoding would be wrong.
        length = self._response.headers.get("content-length")
        if length and not self._response.headers.get("content-encoding"):
            headers["Content-Length"] = length
        return StreamingResponse(
            self.chunks(),
            media_type=self.content_type,
            headers=headers,
            # Also when the browser goes away before the end: the service's answer is closed.
            background=BackgroundTask(self.aclose),
        )
