"""The background sender: delivers queued messages over SMTP, retries with exponential
back-off, gives up after a bounded number of attempts.

Rows are claimed with ``FOR UPDATE SKIP LOCKED`` and held until their outcome is written, so
several replicas never send the same message. A crash after the SMTP server accepted a
message and before the commit sends it again on restart (SMTP offers no more than that); the
Message-ID is the same both times, so mail systems can recognise the copy.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

import aiosmtplib
import structlog
from fastapi import FastAPI
from sqlmodel import col, select

from kit.correlation import bind
from kit.db import Database
from kit.wakeup import NotifyWakeup
from notifications.emails import SECRET_KINDS
from notifications.models import MESSAGES_CHANNEL, Message, MessageKind, MessageStatus
from notifications.settings import Settings

log = structlog.get_logger(__name__)


def retry_delay(attempts: int, base_s: float, max_s: float) -> timedelta:
    """Wait before the next attempt, after ``attempts`` failed ones: base, 2×base, 4×base…"""
    return timedelta(seconds=min(max_s, base_s * 2 ** max(attempts - 1, 0)))


def is_permanent(exc: BaseException) -> bool:
    """A 5xx answer about this message (bad recipient, refused content): retrying cannot help."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return bool(exc.recipients) and all(500 <= r.code < 600 for r in exc.recipients)
    if isinstance(exc, aiosmtplib.SMTPResponseException) and not isinstance(
        exc, aiosmtplib.SMTPAuthenticationError | aiosmtplib.SMTPConnectResponseError
    ):
        return 500 <= exc.code < 600
    return False


def message_id(message: Message, domain: str) -> str:
    return f"<{message.id.hex}@{domain}>"


def build_email(message: Message, settings: Settings) -> EmailMessage:
    email = EmailMessage()
    email["From"] = settings.mail_from
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Date"] = format_datetime(datetime.now(UTC))
    email["Message-ID"] = message_id(message, settings.mail_id_domain)
    email["Content-Language"] = "it"
    # RFC 3834: an automatic message; out-of-office replies must not answer it.
    email["Auto-Submitted"] = "auto-generated"
    email["X-Auto-Response-Suppress"] = "All"
    email.set_content(message.text_body or "", charset="utf-8")
    email.add_alternative(message.html_body or "", subtype="html", charset="utf-8")
    return email


class MailSender:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self.wakeup = NotifyWakeup(db.url, MESSAGES_CHANNEL)

    def _smtp(self) -> aiosmtplib.SMTP:
        s = self.settings
        return aiosmtplib.SMTP(
            hostname=s.smtp_host,
            port=s.smtp_port,
            username=s.smtp_username,
            password=s.smtp_password.get_secret_value() if s.smtp_password else None,
            use_tls=s.smtp_use_tls,
            start_tls=s.smtp_starttls,
            timeout=s.smtp_timeout_s,
        )

    async def send_once(self) -> int:
        """Deliver one batch of due messages; returns how many were handled (sent or not)."""
        now = datetime.now(UTC)
        async with self.db.session() as session:
            batch = (
                await session.exec(
                    select(Message)
                    .where(col(Message.status) == MessageStatus.PENDING)
                    .where(col(Message.next_attempt_at) <= now)
                    .order_by(col(Message.next_attempt_at), col(Message.created_at))
                    .limit(self.settings.mail_batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not batch:
                return 0
            due = []
            for message in batch:
                if message.expires_at is not None and message.expires_at <= now:
                    self._expired(message)
                else:
                    due.append(message)
            if due:
                await self._deliver(due)
            await session.commit()
        return len(batch)

    async def _deliver(self, batch: list[Message]) -> None:
        """One SMTP connection for the whole batch; every message gets its outcome."""
        smtp = self._smtp()
        try:
            await smtp.connect()
        except (aiosmtplib.SMTPException, OSError) as exc:
            for message in batch:
                self._failed(message, exc)
        else:
            try:
                for message in batch:
                    try:
                        await smtp.send_message(build_email(message, self.settings))
                    except (aiosmtplib.SMTPException, OSError) as exc:
                        self._failed(message, exc)
                    except Exception as exc:  # unusable address or header: it never will be
                        self._failed(message, exc, permanent=True)
                    else:
                        self._sent(message)
            finally:
                if smtp.is_connected:
                    try:
                        await smtp.quit()
                    except (aiosmtplib.SMTPException, OSError):
                        smtp.close()

    def _sent(self, message: Message) -> None:
        message.status = MessageStatus.SENT
        message.sent_at = datetime.now(UTC)
        message.attempts += 1
        message.last_error = None
        self._forget_secrets(message)
        with_context(message)
        log.info(
            "notifications.message_sent",
            message_id=str(message.id),
            event_id=str(message.event_id),
            kind=message.kind,
            attempts=message.attempts,
        )

    def _failed(self, message: Message, exc: BaseException, *, permanent: bool = False) -> None:
        s = self.settings
        message.attempts += 1
        message.last_error = repr(exc)[:2000]
        with_context(message)
        fields = {
            "message_id": str(message.id),
            "event_id": str(message.event_id),
            "kind": message.kind,
            "attempts": message.attempts,
            "error": repr(exc)[:500],
        }
        if permanent or is_permanent(exc) or message.attempts >= s.mail_max_attempts:
            message.status = MessageStatus.FAILED
            self._forget_secrets(message)
            log.error("notifications.message_failed", **fields)
            return
        delay = retry_delay(message.attempts, s.mail_retry_base_s, s.mail_retry_max_s)
        message.next_attempt_at = datetime.now(UTC) + delay
        log.warning("notifications.message_retry", retry_in_s=delay.total_seconds(), **fields)

    def _expired(self, message: Message) -> None:
        message.status = MessageStatus.FAILED
        message.last_error = "scaduto prima della consegna"
        self._forget_secrets(message)
        with_context(message)
        log.error(
            "notifications.message_expired",
            message_id=str(message.id),
            event_id=str(message.event_id),
            kind=message.kind,
            attempts=message.attempts,
        )

    @staticmethod
    def _forget_secrets(message: Message) -> None:
        """Once a message is settled, its OTP or single-use link has no reason to stay at rest."""
        if MessageKind(message.kind) in SECRET_KINDS:
            message.text_body = None
            message.html_body = None

    async def run(self) -> None:
        """Send forever: wake on NOTIFY when a message is queued, poll as a fallback (the poll
        also picks up the retries whose time has come)."""
        failures = 0
        while True:
            await self.wakeup.arm()
            try:
                handled = await self.send_once()
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # database unavailable: keep the loop alive
                failures += 1
                log.warning("notifications.sender_error", error=repr(exc)[:500])
                await asyncio.sleep(min(self.settings.mail_retry_max_s, 0.5 * 2 ** min(failures, 10)))
                continue
            if handled >= self.settings.mail_batch_size:
                continue
            await self.wakeup.wait(self.settings.mail_poll_interval_s)

    async def close(self) -> None:
        await self.wakeup.close()


def with_context(message: Message) -> None:
    """Log lines about a message carry the correlation id of the event that caused it."""
    if message.correlation_id:
        bind(message.correlation_id, str(message.event_id))


async def run_mail_sender(app: FastAPI) -> None:
    """``background`` job of the app: the sender lives as long as the app."""
    settings: Settings = app.state.settings
    if not settings.run_mail_sender:
        return
    sender = MailSender(app.state.db, settings)
    app.state.mail_sender = sender
    try:
        await sender.run()
    finally:
        await sender.close()
