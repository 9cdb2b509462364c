"""Development mail catcher: an SMTP server that keeps every message in memory, and a small
web page (in Italian) and JSON API to read them. Never runs in production.

    python -m devtools.devmail

SMTP on DEVMAIL_SMTP_HOST:DEVMAIL_SMTP_PORT (127.0.0.1:1025), HTTP on DEVMAIL_HOST:DEVMAIL_PORT
(127.0.0.1:8025), also reachable through the gateway at /dev/mail in development. SMTP_HOST and
SMTP_PORT are not read here: they tell the services where to send mail (this catcher by default,
or a real relay), so pointing them elsewhere does not move the catcher.

JSON API: GET /api/messages (newest first, optional ?to=address), GET /api/messages/{id},
DELETE /api/messages.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import structlog
import uvicorn
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, Session
from fastapi import FastAPI, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from pydantic_settings import BaseSettings, SettingsConfigDict

from devtools.services import DEVMAIL_PORT, SMTP_PORT
from kit.logging import configure_logging

log = structlog.get_logger("devmail")

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates" / "devmail")

# Messages are shown as their recipients would see them (inline styles), never with scripts:
# the message itself is rendered in a sandboxed frame.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "frame-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
_PREFIX = re.compile(r"^(/[A-Za-z0-9._~-]+)+$")


class DevmailSettings(BaseSettings):
    """Every address is the catcher's own (DEVMAIL_*): SMTP_HOST/SMTP_PORT, shared with the
    services (and .env), may point at a real relay and are ignored here."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    # Where the catcher listens for SMTP; the services' default SMTP_HOST:SMTP_PORT.
    devmail_smtp_host: str = "127.0.0.1"
    devmail_smtp_port: int = SMTP_PORT
    devmail_host: str = "127.0.0.1"
    devmail_port: int = DEVMAIL_PORT
    devmail_max_messages: int = 1000
    log_level: str = "INFO"
    log_json: bool = True


@dataclass
class StoredMessage:
    id: int
    received_at: datetime
    envelope_from: str
    envelope_to: list[str]
    raw: bytes = field(repr=False)

    @cached_property
    def parsed(self) -> EmailMessage:
        return BytesParser(policy=policy.default).parsebytes(self.raw)  # type: ignore[return-value]

    @property
    def subject(self) -> str:
        return str(self.parsed.get("subject", ""))

    @property
    def sender(self) -> str:
        return str(self.parsed.get("from", "")) or self.envelope_from

    @property
    def header_to(self) -> list[str]:
        values = [str(v) for name in ("to", "cc") for v in self.parsed.get_all(name, [])]
        return [address for _, address in getaddresses(values) if address]

    @property
    def recipients(self) -> list[str]:
        """Envelope recipients first (they include Bcc), then any other header address."""
        seen = {a.lower() for a in self.envelope_to}
        return self.envelope_to + [a for a in self.header_to if a.lower() not in seen]

    @property
    def date(self) -> datetime:
        header = self.parsed.get("date")
        if header:
            try:
                return parsedate_to_datetime(str(header))
            except (TypeError, ValueError):
                pass
        return self.received_at

    def _body(self, subtype: str) -> str | None:
        part = self.parsed.get_body(preferencelist=(subtype,))
        if part is None or part.get_content_subtype() != subtype:
            return None
        try:
            return part.get_content()
        except (LookupError, ValueError):  # unknown charset, broken encoding
            return part.get_payload(decode=True).decode("utf-8", errors="replace")

    @property
    def text(self) -> str | None:
        return self._body("plain")

    @property
    def html(self) -> str | None:
        return self._body("html")

    def attachments(self) -> list[EmailMessage]:
        return list(self.parsed.iter_attachments())  # type: ignore[arg-type]

    def is_for(self, address: str) -> bool:
        return address.strip().lower() in {a.lower() for a in self.recipients}

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "received_at": self.received_at.isoformat(),
            "date": self.date.isoformat(),
            "from": self.sender,
            "envelope_from": self.envelope_from,
            "to": self.recipients,
            "subject": self.subject,
            "size": len(self.raw),
        }

    def detail(self) -> dict[str, Any]:
        return {
            **self.summary(),
            "headers": [[name, str(value)] for name, value in self.parsed.items()],
            "text": self.text,
            "html": self.html,
            "attachments": [
                {
                    "index": index,
                    "filename": part.get_filename(),
                    "content_type": part.get_content_type(),
                    "size": len(part.get_payload(decode=True) or b""),
                }
                for index, part in enumerate(self.attachments())
            ],
        }


class Mailbox:
    """The last ``capacity`` messages; written by the SMTP thread, read by the web app."""

    def __init__(self, capacity: int = 1000) -> None:
        self._messages: deque[StoredMessage] = deque(maxlen=capacity)
        self._lock = threading.Lock()
        self._next_id = 1

    def add(self, envelope_from: str, envelope_to: list[str], raw: bytes) -> StoredMessage:
        with self._lock:
            message = StoredMessage(self._next_id, datetime.now(UTC), envelope_from, list(envelope_to), raw)
            self._next_id += 1
            self._messages.append(message)
            return message

    def list(self, to: str | None = None) -> list[StoredMessage]:
        with self._lock:
            messages = list(reversed(self._messages))
        return [m for m in messages if to is None or m.is_for(to)]

    def get(self, message_id: int) -> StoredMessage | None:
        with self._lock:
            return next((m for m in self._messages if m.id == message_id), None)

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()


class CatchAllHandler:
    """aiosmtpd handler: accept every recipient and keep the message."""

    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        message = self.mailbox.add(envelope.mail_from or "", list(envelope.rcpt_tos), raw)
        log.info("devmail.received", id=message.id, to=message.recipients, subject=message.subject)
        return "250 Message accepted for delivery"


def _accept_any_login(*_: Any) -> AuthResult:
    # Clients configured with SMTP credentials work unchanged against the catcher.
    return AuthResult(success=True)


def refuse_production(settings: DevmailSettings) -> None:
    if settings.environment == "production":
        raise SystemExit(
            "devmail: the mail catcher is a development tool and does not start with ENVIRONMENT=production."
        )


def _prefix(request: Request) -> str:
    """Where the browser sees this app: /dev/mail through the gateway, / when reached directly."""
    prefix = request.headers.get("x-forwarded-prefix", "").rstrip("/")
    return prefix if _PREFIX.match(prefix) else ""


def create_app(settings: DevmailSettings, mailbox: Mailbox | None = None) -> FastAPI:
    refuse_production(settings)
    mailbox = mailbox or Mailbox(settings.devmail_max_messages)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        controller = Controller(
            CatchAllHandler(mailbox),
            hostname=settings.devmail_smtp_host,
            port=settings.devmail_smtp_port,
            enable_SMTPUTF8=True,
            auth_require_tls=False,
            authenticator=_accept_any_login,
        )
        controller.start()
        log.info(
            "devmail.started",
            smtp=f"{settings.devmail_smtp_host}:{settings.devmail_smtp_port}",
            http=f"http://{settings.devmail_host}:{settings.devmail_port}/",
        )
        try:
            yield
        finally:
            controller.stop()

    app = FastAPI(
        title="Posta di sviluppo", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan
    )
    app.state.mailbox = mailbox

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    def found(message_id: int) -> StoredMessage:
        message = mailbox.get(message_id)
        if message is None:
            raise HTTPException(404, "Messaggio non trovato.")
        return message

    @app.get("/health/live", include_in_schema=False)
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/api/messages")
    async def list_messages(to: str | None = Query(default=None)) -> list[dict[str, Any]]:
        return [m.summary() for m in mailbox.list(to)]

    @app.get("/api/messages/{message_id}")
    async def get_message(message_id: int) -> dict[str, Any]:
        return found(message_id).detail()

    @app.delete("/api/messages", status_code=204)
    async def delete_messages() -> Response:
        mailbox.clear()
        return Response(status_code=204)

    @app.get("/", response_class=HTMLResponse)
    async def inbox(request: Request, to: str | None = None) -> HTMLResponse:
        return TEMPLATES.TemplateResponse(
            request,
            "inbox.html",
            {"prefix": _prefix(request), "messages": mailbox.list(to or None), "to": to or ""},
        )

    @app.get("/messages/{message_id}", response_class=HTMLResponse)
    async def message_page(request: Request, message_id: int) -> HTMLResponse:
        message = found(message_id)
        return TEMPLATES.TemplateResponse(
            request,
            "message.html",
            {"prefix": _prefix(request), "message": message, "attachments": message.attachments()},
        )

    @app.get("/messages/{message_id}/raw", response_class=PlainTextResponse)
    async def message_source(message_id: int) -> PlainTextResponse:
        return PlainTextResponse(found(message_id).raw.decode("utf-8", errors="replace"))

    @app.get("/messages/{message_id}/attachments/{index}")
    async def attachment(message_id: int, index: int) -> Response:
        attachments = found(message_id).attachments()
        if not 0 <= index < len(attachments):
            raise HTTPException(404, "Allegato non trovato.")
        part = attachments[index]
        filename = re.sub(r"[^A-Za-z0-9._-]", "_", part.get_filename() or f"allegato-{index}")
        return Response(
            part.get_payload(decode=True) or b"",
            media_type=part.get_content_type(),
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )

    @app.post("/clear")
    async def clear(request: Request) -> RedirectResponse:
        mailbox.clear()
        return RedirectResponse(f"{_prefix(request)}/", status_code=303)

    @app.get("/style.css", include_in_schema=False)
    async def stylesheet() -> Response:
        css = (Path(__file__).parent / "templates" / "devmail" / "style.css").read_text()
        return Response(css, media_type="text/css")

    return app


def main() -> None:
    settings = DevmailSettings()
    configure_logging("devmail", settings.log_level, settings.log_json)
    # aiosmtpd logs every SMTP command at INFO.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    try:
        app = create_app(settings)
    except SystemExit as exc:
        log.error("devmail.refused", reason=str(exc))
        print(exc, file=sys.stderr)
        raise SystemExit(2) from None
    uvicorn.run(
        app,
        host=settings.devmail_host,
        port=settings.devmail_port,
        log_config=None,
        access_log=False,
        server_header=False,
    )


if __name__ == "__main__":
    main()
