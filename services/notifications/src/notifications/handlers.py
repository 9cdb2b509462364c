"""The events the notifications service consumes: its queue is bound to exactly these.

A handler runs in the consumer's transaction, next to the inbox row: it renders the e-mail
and queues it in ``messages``. It never talks SMTP; the mail sender does. Each handler's name
(in ``build_handlers``) is its inbox key: keep it when moving or renaming the function, never
reuse it for another handler.

An e-mail about an account goes to the address in the citizens read model. When the event
overtakes the registration that fills it, the handler raises ``CitizenNotKnownYet``: the
consumer retries with back-off and dead-letters after the last attempt; the mail is never
silently dropped.

An invoice whose PDF cannot be attached (``InvalidAttachment``) fails the same way: no retry can
mend it, so after the last one the consumer dead-letters the event, and no e-mail without its
invoice, or with a broken one, ever leaves.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts import Envelope
from contracts.events import (
    CertificationExpired,
    CertificationRequestApproved,
    CertificationRequestRejected,
    EmailChanged,
    EmailChangeRequested,
    InvoiceIssued,
    InvoiceIssuedV2,
    PasswordChanged,
    PasswordResetRequested,
    PaymentCompleted,
    PaymentReminderDue,
    PlateDissociated,
    PlateRequestApproved,
    PlateRequestRejected,
    RegistrationOtpResent,
    RegistrationStarted,
    SubscriptionActivated,
    SubscriptionExpired,
    SubscriptionExpiring,
    SubscriptionExpiringV2,
    SubscriptionRequestApproved,
    SubscriptionRequestRejected,
    SubscriptionRevoked,
    UnpaidRequestExpired,
    UserRegistered,
    UserRegisteredV2,
)
from kit.consumer import EventHandlers, Handler
from kit.readmodel import keep_citizens
from notifications.domain.emails import Composer, Email, Recipient
from notifications.models import citizens
from notifications.repository import add_message, citizen
from notifications.runtime import Runtime

log = structlog.get_logger(__name__)


class CitizenNotKnownYet(LookupError):
    """The event is about an account whose registration has not reached this service yet."""

    def __init__(self, user_id: uuid.UUID) -> None:
        super().__init__(f"citizen {user_id} is not in the read model yet: retry later")
        self.user_id = user_id


class MailHandlers:
    """One method per identity event that a person must hear about; ``to_citizen`` makes the
    handlers of the events about a citizen's account (certifications, plates, subscriptions,
    payments)."""

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

    async def email_changed(self, session: AsyncSession, event: EmailChanged, envelope: Envelope) -> None:
        await _queue(session, self.composer.email_changed(event), envelope)

    async def password_changed(
        self, session: AsyncSession, event: PasswordChanged, envelope: Envelope
    ) -> None:
        await _queue(session, self.composer.password_changed(event), envelope)

    def to_citizen(self, compose: Callable[[Any, Recipient], Email]) -> Handler:
        """A handler that e-mails the citizen the event is about (its ``user_id``), at their
        current address."""
        return self.to_citizen_at(lambda event, to, _occurred_at: compose(event, to))

    def to_citizen_at(self, compose: Callable[[Any, Recipient, datetime], Email]) -> Handler:
        """As ``to_citizen``, for an e-mail that also needs when the event occurred (the days
        left before a subscription ends are counted from then)."""

        async def handle(session: AsyncSession, event: Any, envelope: Envelope) -> None:
            recipient = await citizen(session, event.user_id)
            if recipient is None:
                raise CitizenNotKnownYet(event.user_id)
            await _queue(session, compose(event, recipient, envelope.occurred_at), envelope)

        return handle


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
    handlers.add(EmailChanged, "mail.email_changed", mail.email_changed)
    handlers.add(PasswordChanged, "mail.password_changed", mail.password_changed)
    # Fasi 5–14: every outcome the citizen must hear about, to the citizen's current address.
    c = mail.composer
    for event_cls, name, compose in (
        (CertificationRequestApproved, "mail.certification_approved", c.certification_approved),
        (CertificationRequestRejected, "mail.certification_rejected", c.certification_rejected),
        (CertificationExpired, "mail.certification_expired", c.certification_expired),
        (PlateRequestApproved, "mail.plate_approved", c.plate_approved),
        (PlateRequestRejected, "mail.plate_rejected", c.plate_rejected),
        (PlateDissociated, "mail.plate_dissociated", c.plate_dissociated),
        (SubscriptionRequestApproved, "mail.subscription_approved", c.subscription_approved),
        (SubscriptionRequestRejected, "mail.subscription_rejected", c.subscription_rejected),
        (PaymentReminderDue, "mail.payment_reminder", c.payment_reminder),
        (UnpaidRequestExpired, "mail.unpaid_request_expired", c.unpaid_request_expired),
        (PaymentCompleted, "mail.payment_completed", c.payment_completed),
        (SubscriptionActivated, "mail.subscription_activated", c.subscription_activated),
        # Fase 14. Each version under its own name: v2 of the invoice carries the PDF (attached),
        # v2 of the reminder its threshold and the renewal's opening; v1 stays handled for the
        # events published before their producer moved to v2.
        (InvoiceIssued, "mail.invoice_issued", c.invoice_issued),
        (InvoiceIssuedV2, "mail.invoice_issued.v2", c.invoice_issued),
        (SubscriptionExpired, "mail.subscription_expired", c.subscription_expired),
        (SubscriptionRevoked, "mail.subscription_revoked", c.subscription_revoked),
    ):
        handlers.add(event_cls, name, mail.to_citizen(compose))
    handlers.add(
        SubscriptionExpiring, "mail.subscription_expiring", mail.to_citizen_at(c.subscription_expiring)
    )
    handlers.add(
        SubscriptionExpiringV2, "mail.subscription_expiring.v2", mail.to_citizen_at(c.subscription_expiring)
    )
    return handlers
