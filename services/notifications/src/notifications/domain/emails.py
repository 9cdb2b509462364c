"""What each event tells a person: subject, plain text and HTML, rendered from the Jinja2
templates of one Comune di Caserta layout. Pure: no database, no network, no clock."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from contracts.events import (
    EmailChangeRequested,
    PasswordResetRequested,
    RegistrationOtpResent,
    RegistrationStarted,
    UserRegistered,
)
from kit.clock import ROME
from notifications.domain.messages import SECRET_KINDS, MessageKind

SUBJECT_PREFIX = "Caserta Sosta – "


def minutes_text(minutes: int) -> str:
    return "1 minuto" if minutes == 1 else f"{minutes} minuti"


_env = Environment(
    loader=PackageLoader("notifications", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_env.filters["minutes_text"] = minutes_text


@dataclass(frozen=True)
class Email:
    kind: MessageKind
    recipient: str
    subject: str
    text: str
    html: str
    user_id: uuid.UUID | None = None
    # When the code or link inside stops working: delivering it later is pointless.
    expires_at: datetime | None = None

    @property
    def is_secret(self) -> bool:
        return self.kind in SECRET_KINDS


def validity_minutes(issued_at: datetime, expires_at: datetime) -> int:
    """Whole minutes a code or link stays valid, rounded up, at least one."""
    return max(1, math.ceil((expires_at - issued_at).total_seconds() / 60))


def render(template: str, **context: Any) -> tuple[str, str]:
    """The plain-text and HTML versions of ``template``."""
    text = _env.get_template(f"{template}.txt").render(**context)
    html = _env.get_template(f"{template}.html").render(**context)
    return _tidy(text), html


def _tidy(text: str) -> str:
    """At most one blank line in a row, no trailing spaces (templates are indented for people)."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    tidy: list[str] = []
    for line in lines:
        if line or (tidy and tidy[-1]):
            tidy.append(line)
    return "\n".join(tidy) + "\n"


def _expiry(issued_at: datetime, expires_at: datetime) -> dict[str, Any]:
    return {
        "minutes": validity_minutes(issued_at, expires_at),
        "expires_time": expires_at.astimezone(ROME).strftime("%H:%M"),
    }


@dataclass(frozen=True)
class Composer:
    """Builds each e-mail from its event; ``portal_url`` is the public address of the portal."""

    portal_url: str

    def registration_otp(
        self, event: RegistrationStarted | RegistrationOtpResent, issued_at: datetime
    ) -> Email:
        resent = isinstance(event, RegistrationOtpResent)
        subject = (
            "Nuovo codice di verifica per la registrazione"
            if resent
            else ("Codice di verifica per la registrazione")
        )
        return self._email(
            MessageKind.OTP,
            "registration_otp",
            event.email,
            subject,
            None,
            otp=event.otp,
            resume_url=event.resume_url,
            email=event.email,
            resent=resent,
            expires_at=event.expires_at,
            **_expiry(issued_at, event.expires_at),
        )

    def welcome(self, event: UserRegistered) -> Email:
        return self._email(
            MessageKind.WELCOME,
            "welcome",
            event.email,
            "Registrazione completata",
            event.user_id,
            first_name=event.first_name,
            last_name=event.last_name,
            login_url=f"{self.portal_url}/login",
        )

    def password_reset(self, event: PasswordResetRequested, issued_at: datetime) -> Email:
        return self._email(
            MessageKind.RESET,
            "password_reset",
            event.email,
            "Recupero della password",
            event.user_id,
            reset_url=event.reset_url,
            expires_at=event.expires_at,
            **_expiry(issued_at, event.expires_at),
        )

    def email_change(self, event: EmailChangeRequested, issued_at: datetime) -> Email:
        return self._email(
            MessageKind.EMAIL_CHANGE,
            "email_change",
            event.new_email,
            "Conferma il nuovo indirizzo email",
            event.user_id,
            otp=event.otp,
            new_email=event.new_email,
            expires_at=event.expires_at,
            **_expiry(issued_at, event.expires_at),
        )

    def _email(
        self,
        kind: MessageKind,
        template: str,
        recipient: str,
        subject: str,
        user_id: uuid.UUID | None,
        *,
        expires_at: datetime | None = None,
        **context: Any,
    ) -> Email:
        full_subject = f"{SUBJECT_PREFIX}{subject}"
        text, html = render(template, subject=full_subject, **context)
        return Email(kind, recipient.strip(), full_subject, text, html, user_id, expires_at)
