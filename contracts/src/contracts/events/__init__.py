"""Every event of the platform, by producer."""

from contracts.events.billing import InvoiceIssued, InvoiceIssuedV2, PaymentCompleted, PaymentFailed
from contracts.events.certification import (
    CertificationExpired,
    CertificationRequestApproved,
    CertificationRequestRejected,
    CertificationRequestSubmitted,
)
from contracts.events.identity import (
    EmailChanged,
    EmailChangeRequested,
    PasswordChanged,
    PasswordResetRequested,
    ProfileChanged,
    ProfileChangedV2,
    RegistrationOtpResent,
    RegistrationStarted,
    UserRegistered,
    UserRegisteredV2,
)
from contracts.events.subscriptions import (
    PaymentReminderDue,
    SubscriptionActivated,
    SubscriptionExpired,
    SubscriptionExpiring,
    SubscriptionExpiringV2,
    SubscriptionRequestApproved,
    SubscriptionRequestRejected,
    SubscriptionRequestSubmitted,
    SubscriptionRevoked,
    UnpaidRequestExpired,
)
from contracts.events.vehicles import (
    PlateDissociated,
    PlateRequestApproved,
    PlateRequestRejected,
    PlateRequestSubmitted,
)

__all__ = [name for name in dir() if name[0].isupper()]
