"""The correlation id: taken from the request (or the event being handled), kept in a context
variable, bound into every log line and copied into every event this work emits."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "X-Correlation-ID"
_VALID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)
# The event being handled, if any: becomes the causation id of the events emitted.
causation_id: ContextVar[str | None] = ContextVar("causation_id", default=None)


def current_correlation_id() -> str:
    """The id of the work in progress; a new one for work that started without one."""
    value = correlation_id.get()
    if value is None:
        value = uuid.uuid4().hex
        correlation_id.set(value)
    return value


def bind(correlation: str, causation: str | None = None) -> None:
    correlation_id.set(correlation)
    causation_id.set(causation)
    structlog.contextvars.bind_contextvars(correlation_id=correlation)


class CorrelationMiddleware:
    """Pure ASGI middleware (no BaseHTTPMiddleware: it breaks context variables)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = None
        for name, value in scope.get("headers", []):
            if name == b"x-correlation-id":
                incoming = value.decode("latin-1")
                break
        value = incoming if incoming and _VALID.match(incoming) else uuid.uuid4().hex
        token_c = correlation_id.set(value)
        token_k = causation_id.set(None)
        structlog.contextvars.bind_contextvars(correlation_id=value)

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"].append((b"x-correlation-id", value.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_header)
        finally:
            structlog.contextvars.unbind_contextvars("correlation_id")
            correlation_id.reset(token_c)
            causation_id.reset(token_k)
