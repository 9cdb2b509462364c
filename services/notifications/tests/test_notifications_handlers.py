"""The handler registry of the service, without database or broker: each handler's name is its
inbox key, so the names are fixed and unique."""

from __future__ import annotations

import pytest
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
    ProfileChanged,
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
from kit.consumer import DuplicateHandlerName, EventHandlers
from notifications.handlers import build_handlers
from notifications.main import build_runtime
from notifications.settings import Settings


def handlers() -> EventHandlers:
    return build_handlers(build_runtime(Settings(environment="test")))


def test_every_handler_keeps_the_inbox_key_it_was_released_with() -> None:
    """Changing one of these names makes every redelivered event apply a second time."""
    names = {(key, name) for key, registered in handlers().handlers.items() for name, _ in registered}
    mail = {(key, name) for key, name in names if name.startswith("mail.")}
    assert mail == {
        (RegistrationStarted.routing_key(), "mail.registration_started"),
        (RegistrationOtpResent.routing_key(), "mail.registration_otp_resent"),
        (UserRegistered.routing_key(), "mail.user_registered"),
        (UserRegisteredV2.routing_key(), "mail.user_registered.v2"),
        (PasswordResetRequested.routing_key(), "mail.password_reset_requested"),
        (EmailChangeRequested.routing_key(), "mail.email_change_requested"),
        (EmailChanged.routing_key(), "mail.email_changed"),
        (PasswordChanged.routing_key(), "mail.password_changed"),
        (CertificationRequestApproved.routing_key(), "mail.certification_approved"),
        (CertificationRequestRejected.routing_key(), "mail.certification_rejected"),
        (CertificationExpired.routing_key(), "mail.certification_expired"),
        (PlateRequestApproved.routing_key(), "mail.plate_approved"),
        (PlateRequestRejected.routing_key(), "mail.plate_rejected"),
        (PlateDissociated.routing_key(), "mail.plate_dissociated"),
        (SubscriptionRequestApproved.routing_key(), "mail.subscription_approved"),
        (SubscriptionRequestRejected.routing_key(), "mail.subscription_rejected"),
        (PaymentReminderDue.routing_key(), "mail.payment_reminder"),
        (UnpaidRequestExpired.routing_key(), "mail.unpaid_request_expired"),
        (PaymentCompleted.routing_key(), "mail.payment_completed"),
        (SubscriptionActivated.routing_key(), "mail.subscription_activated"),
        (InvoiceIssued.routing_key(), "mail.invoice_issued"),
        (InvoiceIssuedV2.routing_key(), "mail.invoice_issued.v2"),
        (SubscriptionExpiring.routing_key(), "mail.subscription_expiring"),
        (SubscriptionExpiringV2.routing_key(), "mail.subscription_expiring.v2"),
        (SubscriptionExpired.routing_key(), "mail.subscription_expired"),
        (SubscriptionRevoked.routing_key(), "mail.subscription_revoked"),
    }
    # The citizens read model's names come from the kit; the released ones must stay.
    assert {
        (UserRegistered.routing_key(), "citizens.user_registered"),
        (ProfileChanged.routing_key(), "citizens.profile_changed"),
    } <= names


async def another_otp_mail(session: AsyncSession, event: RegistrationStarted, envelope: Envelope) -> None:
    raise AssertionError("never called: registration fails first")


def test_a_second_handler_under_a_name_already_in_use_fails_at_build_time() -> None:
    built = handlers()
    with pytest.raises(DuplicateHandlerName):
        built.add(RegistrationStarted, "mail.registration_started", another_otp_mail)
    with pytest.raises(DuplicateHandlerName):  # also across event types
        built.add(ProfileChanged, "mail.user_registered", another_otp_mail)
    assert [name for name, _ in built.handlers[RegistrationStarted.routing_key()]] == [
        "mail.registration_started"
    ]
