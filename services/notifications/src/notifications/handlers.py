"""The events the notifications service consumes: its queue is bound to exactly these.

A handler runs in the consumer's transaction, next to the inbox row: it renders the e-mail
and queues it in ``messages``. It never talks SMTP; the mail sender does. Each handler's name
(in ``build_handlers``) is its inbox key: keep it when moving or renaming the function, never
reuse it for another handler.
"""

from __future__ import annotations

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts import Envelope
from contracts.events import (
    EmailChangeRequested,
    PasswordResetRequested,
    RegistrationOtpResent,
    RegistrationStarted,
    UserRegistered,
    UserRegisteredV2,
)
from kit.consumer import EventHandlers
from kit.readmodel import keep_citizens
from notifications.domain.emails import Composer, Email
from notifications.models import citizens
from notifications.repository import add_message
from notifications.runtime import Runtime

log = structlog.get_logger(__name__)


class MailHandlers:
    """One method per event that a person must hear about."""

    def __init__(self, composer: Composer) -> None:
        self.composer = composer

    async def registration_started(
        self, session: AsyncSession, event: RegistrationStarted, envelope: Envelope
    ) -> None:
        await _queue(session, self.composer.registration_otp(event, envelope.occurred_at), envelope)

    async def registration_otp_resent(
        self, session: AsyncSession, event: RegistrationOtpResent, envelope: Envelope
    ) -> None:
        await _queue(session, self.composer.registration_otp(event, envelope.occurred_at), envelope)

    async def user_registered(self, session: AsyncSession, event: UserRegistered, envelope: Envelope) -> None:
        if event.role != "citizen":  # operators and admins are created by hand, not welcomed
            return
        await _queue(session, self.composer.welcome(event), envelope)

    async def password_reset_requested(
        self, session: AsyncSession, event: PasswordResetRequested, envelope: Envelope
    ) -> None:
        await _queue(session, self.composer.password_reset(event, envelope.occurred_at), envelope)

    async def email_change_requested(
        self, session: AsyncSession, event: EmailChangeRequested, envelope: Envelope
    ) -> None:
        await _queue(session, self.composer.email_change(event, envelope.occurred_at), envelope)


async def _queue(session: AsyncSession, email: Email, envelope: Envelope) -> None:
    message_id = await add_message(session, email, envelope)
    # Never the bodies, the OTP or the links: ids and the kind are enough to follow a message.
    if message_id is None:
        log.info("notifications.message_duplicate", event_id=str(envelope.event_id), kind=email.kind.value)
    else:
        log.info(
            "notifications.message_queued",
            message_id=str(message_id),
            event_id=str(envelope.event_id),
            kind=email.kind.value,
        )


def build_handlers(rt: Runtime) -> EventHandlers:
    handlers = EventHandlers()
    keep_citizens(handlers, citizens)  # citizens.user_registered, citizens.profile_changed
    mail = MailHandlers(rt.composer)
    handlers.add(RegistrationStarted, "mail.registration_started", mail.registration_started)
    handlers.add(RegistrationOtpResent, "mail.registration_otp_resent", mail.registration_otp_resent)
    handlers.add(UserRegistered, "mail.user_registered", mail.user_registered)
    # Identity publishes v2 now; v1 stays handled for events still in flight during an upgrade.
    handlers.add(UserRegisteredV2, "mail.user_registered.v2", mail.user_registered)
    handlers.add(PasswordResetRequested, "mail.password_reset_requested", mail.password_reset_requested)
    handlers.add(EmailChangeRequested, "mail.email_change_requested", mail.email_change_requested)
    return handlers
