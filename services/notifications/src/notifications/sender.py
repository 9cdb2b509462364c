"""The mail sender: a worker on every replica that delivers queued messages over SMTP, retries
with exponential back-off, gives up after a bounded number of attempts.

Rows are claimed with ``FOR UPDATE SKIP LOCKED`` and held until their outcome is written, so
several replicas never send the same message. A crash after the SMTP server accepted a
message and before the commit sends it again on restart (SMTP offers no more than that); the
Message-ID is the same both times, so mail systems can recognise the copy.

A message's attachments are read with the batch and deleted in the transaction that settles it
(sent or given up): a file stays at rest only while it may still have to be sent.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

import aiosmtplib
import structlog
from sqlmodel import col, select

from kit.correlation import bind
from kit.uow import unit_of_work
from kit.wakeup import NotifyWakeup
from kit.worker import Backoff, run_worker
from notifications.domain.attachments import Attachment
from notifications.domain.delivery import RetryPolicy, is_expired, is_permanent
from notifications.domain.messages import MessageStatus, is_secret
from notifications.models import MESSAGES_CHANNEL, Message
from notifications.repository import attachments_of, forget_attachments
from notifications.runtime import Runtime
from notifications.settings import Settings

log = structlog.get_logger(__name__)


def message_id(message: Message, domain: str) -> str:
    return f"<{message.id.hex}@{domain}>"


def build_email(
    message: Message, settings: Settings, date: datetime, attachments: Sequence[Attachment] = ()
) -> EmailMessage:
    """The text and HTML alternatives, then (making it multipart/mixed) each attachment."""
    email = EmailMessage()
    email["From"] = settings.mail_from
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Date"] = format_datetime(date)
    email["Message-ID"] = message_id(message, settings.mail_id_domain)
    email["Content-Language"] = "it"
    # RFC 3834: an automatic message; out-of-office replies must not answer it.
    email["Auto-Submitted"] = "auto-generated"
    email["X-Auto-Response-Suppress"] = "All"
    email.set_content(message.text_body or "", charset="utf-8")
    email.add_alternative(message.html_body or "", subtype="html", charset="utf-8")
    for attachment in attachments:
        maintype, subtype = attachment.content_type.split("/", 1)
        email.add_attachment(
            attachment.content, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    return email


class MailSender:
    def __init__(self, rt: Runtime) -> None:
        s = rt.settings
        self.db = rt.db
        self.clock = rt.clock
        self.settings = s
        self.retries = RetryPolicy(s.mail_max_attempts, Backoff(s.mail_retry_base_s, s.mail_retry_max_s))
        self.wakeup = NotifyWakeup(rt.db.url, MESSAGES_CHANNEL)

    async def run(self) -> None:
        """Send for the app's lifetime: wake on NOTIFY when a message is queued, poll as a
        fallback (the poll also picks up the retries whose time has come)."""
        try:
            await run_worker(
                "mail_sender",
                self.send_full_batch,
                poll_interval_s=self.settings.mail_poll_interval_s,
                wakeup=self.wakeup,
            )
        finally:
            await self.wakeup.close()

    async def send_full_batch(self) -> bool:
        """The worker's step: True when the batch was full, so more may be due at once."""
        return await self.send_batch() >= self.settings.mail_batch_size

    async def send_batch(self) -> int:
        """Deliver one batch of due messages; returns how many were handled (sent or not)."""
        now = self.clock.now()
        async with unit_of_work(self.db) as session:
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
            due = []
            for message in batch:
                if is_expired(message.expires_at, now):
                    self._expired(message)
                else:
                    due.append(message)
            if due:
                files = await attachments_of(session, [m.id for m in due])
                await self._deliver(due, files)
            settled = [m.id for m in batch if m.status != MessageStatus.PENDING]
            await forget_attachments(session, settled)
        return len(batch)

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

    async def _deliver(self, batch: list[Message], files: Mapping[uuid.UUID, Sequence[Attachment]]) -> None:
        """One SMTP connection for the whole batch; every message gets its outcome."""
        smtp = self._smtp()
        try:
            await smtp.connect()
        except (aiosmtplib.SMTPException, OSError) as exc:
            for message in batch:
                self._failed(message, exc)
            return
        try:
            for message in batch:
                try:
                    email = build_email(message, self.settings, self.clock.now(), files.get(message.id, ()))
                    await smtp.send_message(email)
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
        message.sent_at = self.clock.now()
        message.attempts += 1
        message.last_error = None
        _forget_secrets(message)
        with_context(message)
        log.info(
            "notifications.message_sent",
            message_id=str(message.id),
            event_id=str(message.event_id),
            kind=message.kind,
            attempts=message.attempts,
        )

    def _failed(self, message: Message, exc: BaseException, *, permanent: bool = False) -> None:
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
        now = self.clock.now()
        retry_at = self.retries.next_attempt(message.attempts, now, permanent=permanent or is_permanent(exc))
        if retry_at is None:
            message.status = MessageStatus.FAILED
            _forget_secrets(message)
            log.error("notifications.message_failed", **fields)
            return
        message.next_attempt_at = retry_at
        log.warning("notifications.message_retry", retry_in_s=(retry_at - now).total_seconds(), **fields)

    def _expired(self, message: Message) -> None:
        message.status = MessageStatus.FAILED
        message.last_error = "scaduto prima della consegna"
        _forget_secrets(message)
        with_context(message)
        log.error(
            "notifications.message_expired",
            message_id=str(message.id),
            event_id=str(message.event_id),
            kind=message.kind,
            attempts=message.attempts,
        )


def _forget_secrets(message: Message) -> None:
    """Once a message is settled, its OTP or single-use link has no reason to stay at rest."""
    if is_secret(message.kind):
        message.text_body = None
        message.html_body = None


def with_context(message: Message) -> None:
    """Log lines about a message carry the correlation id of the event that caused it."""
    if message.correlation_id:
        bind(message.correlation_id, str(message.event_id))
