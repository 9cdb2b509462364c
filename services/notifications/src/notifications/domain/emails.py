"""What each event tells a person: subject, plain text and HTML, rendered from the Jinja2
templates of one Comune di Caserta layout. Pure: no database, no network, no clock."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

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
)
from kit.clock import ROME
from notifications.domain.attachments import Attachment, pdf_attachment
from notifications.domain.messages import SECRET_KINDS, MessageKind

SUBJECT_PREFIX = "Caserta Sosta – "
# The sector code of a subscription valid in every sector (the electric-car type's, in the
# subscriptions service): a person reads the words, not the sign.
ALL_SECTORS = "*"
ALL_SECTORS_TEXT = "Tutti i settori"


def sector_text(sector_code: str) -> str:
    return ALL_SECTORS_TEXT if sector_code == ALL_SECTORS else sector_code


def minutes_text(minutes: int) -> str:
    return "1 minuto" if minutes == 1 else f"{minutes} minuti"


def in_days_text(days: int) -> str:
    """When something happens, counted in days from today: "oggi", "domani", "tra 7 giorni"."""
    return {0: "oggi", 1: "domani"}.get(days, f"tra {days} giorni")


def days_until(last_day: date, moment: datetime) -> int:
    """Whole days from the day ``moment`` is in Caserta to ``last_day`` (0 on that day itself,
    never negative)."""
    return max(0, (last_day - in_rome(moment).date()).days)


def euro(cents: int) -> str:
    """Italian euro from integer cents, never through floats: 1234 → "€ 12,34",
    100000 → "€ 1.000,00"."""
    units, rest = divmod(abs(cents), 100)
    sign = "-" if cents < 0 else ""
    return f"€ {sign}{units:,}".replace(",", ".") + f",{rest:02d}"


def in_rome(moment: datetime) -> datetime:
    """``moment`` on the clocks of Caserta; events carry aware UTC, a naive time is read as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ROME)


def masked_email(address: str) -> str:
    """An address shown without giving it away: the first letter of the mailbox and the whole
    domain ("mario.rossi@example.it" → "m***@example.it")."""
    local, at, domain = address.strip().rpartition("@")
    if not at:
        return f"{address.strip()[:1]}***"
    return f"{local[:1]}***@{domain}"


def day(value: date | datetime) -> str:
    """dd/mm/yyyy; an instant is shown as the day it was in Caserta (a date is already one)."""
    if isinstance(value, datetime):
        value = in_rome(value).date()
    return value.strftime("%d/%m/%Y")


def day_time(moment: datetime) -> str:
    """dd/mm/yyyy HH:MM in Caserta."""
    return in_rome(moment).strftime("%d/%m/%Y %H:%M")


_env = Environment(
    loader=PackageLoader("notifications", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_env.filters["minutes_text"] = minutes_text
_env.filters["in_days_text"] = in_days_text
_env.filters["euro"] = euro
_env.filters["day"] = day
_env.filters["day_time"] = day_time


@dataclass(frozen=True)
class Recipient:
    """The citizen an e-mail about their account goes to, as the citizens read model knows them."""

    user_id: uuid.UUID
    email: str
    first_name: str
    last_name: str


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
    attachments: tuple[Attachment, ...] = ()

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
        "expires_time": in_rome(expires_at).strftime("%H:%M"),
    }


def _euros(currency: str) -> None:
    """Amounts are shown in euro: an amount in another currency must not go out as one."""
    if currency != "EUR":
        raise ValueError(f"amounts in {currency!r} cannot be shown: only EUR is supported")


# Why a subscription was revoked (the subscriptions service's ``reason_code``): its plate left
# the citizen's profile, so a new association of the plate comes before any new request.
REVOKED_PLATE_DISSOCIATED = "plate_dissociated"

# The dashboard's sections (Fase 4: the quick links at the top right) and the button to each.
CERTIFICATIONS = "certificazioni"
PLATES = "targhe"
SUBSCRIPTIONS = "abbonamenti"
_SECTION_BUTTONS = {
    CERTIFICATIONS: "Vai alle certificazioni",
    PLATES: "Vai alle targhe",
    SUBSCRIPTIONS: "Vai agli abbonamenti",
}


# Neither the citizens' manual nor the project's documents give the Comune's real support
# contact: development mail says so, and production refuses to start with it (settings).
DEVELOPMENT_SUPPORT_CONTACT = (
    "Ufficio Mobilità del Comune di Caserta "
    "(recapito di sviluppo: in produzione va impostato SUPPORT_CONTACT)"
)


@dataclass(frozen=True)
class Composer:
    """Builds each e-mail from its event; ``portal_url`` is the public address of the portal."""

    portal_url: str
    # Whom to contact if the account was changed by someone else (settings.support_contact).
    support_contact: str = DEVELOPMENT_SUPPORT_CONTACT

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

    def email_changed(self, event: EmailChanged) -> Email:
        """To the OLD address (the event's, not the read model's, which already has the new
        one): the account moved, and what to do if it was not the citizen."""
        return self._security_notice(
            MessageKind.EMAIL_CHANGED,
            "email_changed",
            event.old_email,
            "L'indirizzo email del tuo account è stato cambiato",
            event.user_id,
            masked_new_email=masked_email(event.new_email),
            changed_at=event.changed_at,
        )

    def password_changed(self, event: PasswordChanged) -> Email:
        """To the event's address (the account's when it changed): what to do if it was not the
        citizen. Staff accounts get it too: anyone's password may be taken over."""
        return self._security_notice(
            MessageKind.PASSWORD_CHANGED,
            "password_changed",
            event.email,
            "La password del tuo account è stata cambiata",
            event.user_id,
            changed_at=event.changed_at,
        )

    def _security_notice(
        self, kind: MessageKind, template: str, to: str, subject: str, user_id: uuid.UUID, **values: Any
    ) -> Email:
        """A change to the account: whom to contact, and the password recovery, if it was not
        the citizen."""
        return self._email(
            kind,
            template,
            to,
            subject,
            user_id,
            support_contact=self.support_contact,
            recovery_url=f"{self.portal_url}/password/dimenticata",
            **values,
        )

    # The outcomes of Fasi 5–12, to the citizen the event is about.

    def certification_approved(self, event: CertificationRequestApproved, to: Recipient) -> Email:
        return self._to_citizen(
            MessageKind.CERTIFICATION_APPROVED,
            to,
            "Certificazione di residenza approvata",
            CERTIFICATIONS,
            sector_name=event.sector_name,
            valid_from=event.valid_from,
            valid_until=event.valid_until,
        )

    def certification_rejected(self, event: CertificationRequestRejected, to: Recipient) -> Email:
        return self._to_citizen(
            MessageKind.CERTIFICATION_REJECTED,
            to,
            "Certificazione di residenza non approvata",
            CERTIFICATIONS,
            sector_code=event.sector_code,
            reason=event.reason,
        )

    def certification_expired(self, event: CertificationExpired, to: Recipient) -> Email:
        return self._to_citizen(
            MessageKind.CERTIFICATION_EXPIRED,
            to,
            "Certificazione di residenza scaduta",
            CERTIFICATIONS,
            sector_code=event.sector_code,
            expired_on=event.expired_on,
        )

    def plate_approved(self, event: PlateRequestApproved, to: Recipient) -> Email:
        return self._to_citizen(
            MessageKind.PLATE_APPROVED,
            to,
            "Targa associata",
            PLATES,
            plate=event.plate,
            make=event.make,
            model=event.model,
            electric=event.electric,
        )

    def plate_rejected(self, event: PlateRequestRejected, to: Recipient) -> Email:
        return self._to_citizen(
            MessageKind.PLATE_REJECTED,
            to,
            "Associazione targa non approvata",
            PLATES,
            plate=event.plate,
            reason=event.reason,
        )

    def plate_dissociated(self, event: PlateDissociated, to: Recipient) -> Email:
        return self._to_citizen(
            MessageKind.PLATE_DISSOCIATED,
            to,
            "Targa rimossa",
            PLATES,
            plate=event.plate,
            dissociated_at=event.dissociated_at,
        )

    def subscription_approved(self, event: SubscriptionRequestApproved, to: Recipient) -> Email:
        _euros(event.currency)
        free = event.amount_cents == 0
        return self._to_citizen(
            MessageKind.SUBSCRIPTION_APPROVED,
            to,
            # Nothing to pay: "procedi al pagamento" would send the citizen looking for a button.
            "Richiesta di abbonamento approvata"
            if free
            else "Richiesta di abbonamento approvata: procedi al pagamento",
            SUBSCRIPTIONS,
            free=free,
            description=event.description,
            plate=event.plate,
            amount_cents=event.amount_cents,
            pay_by=event.pay_by,
        )

    def subscription_rejected(self, event: SubscriptionRequestRejected, to: Recipient) -> Email:
        return self._to_citizen(
            MessageKind.SUBSCRIPTION_REJECTED,
            to,
            "Richiesta di abbonamento non approvata",
            SUBSCRIPTIONS,
            reason=event.reason,
        )

    def payment_reminder(self, event: PaymentReminderDue, to: Recipient) -> Email:
        _euros(event.currency)
        return self._to_citizen(
            MessageKind.PAYMENT_REMINDER,
            to,
            "Promemoria: pagamento dell'abbonamento in scadenza",
            SUBSCRIPTIONS,
            description=event.description,
            plate=event.plate,
            amount_cents=event.amount_cents,
            pay_by=event.pay_by,
        )

    def unpaid_request_expired(self, event: UnpaidRequestExpired, to: Recipient) -> Email:
        return self._to_citizen(
            MessageKind.UNPAID_REQUEST_EXPIRED,
            to,
            "Richiesta di abbonamento scaduta per mancato pagamento",
            SUBSCRIPTIONS,
            expired_at=event.expired_at,
        )

    def payment_completed(self, event: PaymentCompleted, to: Recipient) -> Email:
        _euros(event.currency)
        return self._to_citizen(
            MessageKind.PAYMENT_COMPLETED,
            to,
            "Pagamento ricevuto",
            SUBSCRIPTIONS,
            amount_cents=event.amount_cents,
            receipt_number=event.receipt_number,
            paid_at=event.paid_at,
        )

    def subscription_activated(self, event: SubscriptionActivated, to: Recipient) -> Email:
        return self._to_citizen(
            MessageKind.SUBSCRIPTION_ACTIVATED,
            to,
            "Abbonamento attivo",
            SUBSCRIPTIONS,
            plate=event.plate,
            sector=sector_text(event.sector_code),
            valid_from=event.valid_from,
            valid_until=event.valid_until,
        )

    # Fase 14: the invoice, and the end of a subscription (reminders, expiry, revocation).

    def invoice_issued(self, event: InvoiceIssued | InvoiceIssuedV2, to: Recipient) -> Email:
        """v2 carries the PDF, attached (``InvalidAttachment`` when it cannot be); v1 only says
        where to download it."""
        _euros(event.currency)
        attachment = (
            pdf_attachment(event.pdf_filename, event.pdf_base64, fallback_name=f"fattura-{event.number}.pdf")
            if isinstance(event, InvoiceIssuedV2)
            else None
        )
        return self._to_citizen(
            MessageKind.INVOICE_ISSUED,
            to,
            f"Fattura n. {event.number} emessa",
            SUBSCRIPTIONS,
            attachments=() if attachment is None else (attachment,),
            number=event.number,
            amount_cents=event.amount_cents,
            issued_at=event.issued_at,
            attachment_name=None if attachment is None else attachment.filename,
        )

    def subscription_expiring(
        self, event: SubscriptionExpiring | SubscriptionExpiringV2, to: Recipient, reminded_at: datetime
    ) -> Email:
        """The days left are counted from ``reminded_at`` (when the reminder was decided), as
        v2's ``days_left`` is only the reminder's threshold: one met late says fewer days."""
        days_left = days_until(event.valid_until, reminded_at)
        v2 = isinstance(event, SubscriptionExpiringV2)
        if v2:
            days_left = min(days_left, event.days_left)
        return self._to_citizen(
            MessageKind.SUBSCRIPTION_EXPIRING,
            to,
            f"Il tuo abbonamento scade il {day(event.valid_until)}",
            SUBSCRIPTIONS,
            plate=event.plate,
            valid_until=event.valid_until,
            days_left=days_left,
            next_period_from=event.valid_until + timedelta(days=1),
            # v1 knows neither the sector nor when "Rinnova" opens.
            sector=sector_text(event.sector_code) if v2 else None,
            all_sectors=v2 and event.sector_code == ALL_SECTORS,
            renewal_opens_on=event.renewal_opens_on if v2 else None,
        )

    def subscription_expired(self, event: SubscriptionExpired, to: Recipient) -> Email:
        return self._to_citizen(
            MessageKind.SUBSCRIPTION_EXPIRED,
            to,
            "Abbonamento scaduto",
            SUBSCRIPTIONS,
            plate=event.plate,
            # ``expired_on`` is the first day the subscription no longer covers.
            last_day=event.expired_on - timedelta(days=1),
            expired_on=event.expired_on,
        )

    def subscription_revoked(self, event: SubscriptionRevoked, to: Recipient) -> Email:
        return self._to_citizen(
            MessageKind.SUBSCRIPTION_REVOKED,
            to,
            "Abbonamento revocato",
            SUBSCRIPTIONS,
            plate=event.plate,
            # The first day the subscription no longer covers.
            revoked_on=event.revoked_on,
            reason=event.reason,
            plate_dissociated=event.reason_code == REVOKED_PLATE_DISSOCIATED,
        )

    def _to_citizen(
        self,
        kind: MessageKind,
        to: Recipient,
        subject: str,
        section: str,
        *,
        attachments: tuple[Attachment, ...] = (),
        **context: Any,
    ) -> Email:
        """An e-mail in the citizen layout (templates named as the kind): greeting, the
        message, and the button to the dashboard ``section`` where the citizen sees the outcome
        and acts on it."""
        return self._email(
            kind,
            kind.value,
            to.email,
            subject,
            to.user_id,
            first_name=to.first_name,
            last_name=to.last_name,
            dashboard_url=f"{self.portal_url}/dashboard#{section}",
            dashboard_label=_SECTION_BUTTONS[section],
            attachments=attachments,
            **context,
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
        attachments: tuple[Attachment, ...] = (),
        **context: Any,
    ) -> Email:
        full_subject = f"{SUBJECT_PREFIX}{subject}"
        text, html = render(template, subject=full_subject, **context)
        return Email(kind, recipient.strip(), full_subject, text, html, user_id, expires_at, attachments)
