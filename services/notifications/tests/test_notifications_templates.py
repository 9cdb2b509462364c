"""The e-mails themselves and the sender's rules, without database, broker or SMTP."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser

import aiosmtplib
import pytest
from pydantic import ValidationError

from contracts.events import (
    EmailChanged,
    EmailChangeRequested,
    PasswordResetRequested,
    RegistrationOtpResent,
    RegistrationStarted,
    UserRegistered,
)
from kit.worker import Backoff
from notifications.domain.delivery import RetryPolicy, is_expired, is_permanent
from notifications.domain.emails import (
    DEVELOPMENT_SUPPORT_CONTACT,
    Composer,
    Email,
    masked_email,
    validity_minutes,
)
from notifications.domain.messages import CONFIDENTIAL, MessageKind
from notifications.models import Message
from notifications.repository import message_id_for
from notifications.schemas import MessageAdmin
from notifications.sender import build_email
from notifications.settings import Settings

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)  # 10:30 in Caserta
FOOTER = "Comune di Caserta – Piazza Vanvitelli 1, 81100 Caserta"
composer = Composer("https://parkingcaserta.it")


def started(**overrides) -> RegistrationStarted:  # noqa: ANN003
    fields = {
        "registration_id": uuid.uuid4(),
        "email": "mario.rossi@example.it",
        "otp": "482913",
        "resume_url": "https://parkingcaserta.it/registrazione/abc?t=resume-secret&x=1",
        "expires_at": NOW + timedelta(minutes=10),
    } | overrides
    return RegistrationStarted(**fields)


def registered(**overrides) -> UserRegistered:  # noqa: ANN003
    fields = {
        "user_id": uuid.uuid4(),
        "email": "mario.rossi@example.it",
        "tax_code": "RSSMRA80A01B963X",
        "first_name": "Mario",
        "last_name": "Rossi",
        "registered_at": NOW,
    } | overrides
    return UserRegistered(**fields)


def assert_layout(email: Email) -> None:
    for part in (email.text, email.html):
        assert "Comune di Caserta" in part
        assert "Abbonamenti sosta residenti" in part
        assert FOOTER in part
        assert "messaggio automatico" in part
    assert '<html lang="it"' in email.html
    assert f"<title>{email.subject}</title>" in email.html
    assert "<h1" in email.html  # one heading for screen-reader navigation
    assert 'role="presentation"' in email.html  # layout tables are not data tables
    assert "<" not in email.text  # the text part is not HTML
    assert email.subject.startswith("Caserta Sosta – ")


def test_registration_otp_email_has_code_validity_resume_link_and_advice() -> None:
    email = composer.registration_otp(started(), NOW)
    assert email.kind is MessageKind.OTP
    assert email.recipient == "mario.rossi@example.it"
    assert email.user_id is None
    assert email.subject == "Caserta Sosta – Codice di verifica per la registrazione"
    assert_layout(email)
    for part in (email.text, email.html):
        assert "482913" in part
        assert "Riprendi la registrazione" in part
        assert "10 minuti" in part
        assert "10:40" in part  # expiry shown in Caserta time
        assert "Non comunicare a nessuno questo codice".lower() in part.lower()
    assert "https://parkingcaserta.it/registrazione/abc?t=resume-secret&x=1" in email.text
    assert 'href="https://parkingcaserta.it/registrazione/abc?t=resume-secret&amp;x=1"' in email.html


def test_resent_otp_uses_the_same_template_with_its_own_subject() -> None:
    event = RegistrationOtpResent(**started().model_dump())
    email = composer.registration_otp(event, NOW)
    assert email.kind is MessageKind.OTP
    assert email.subject == "Caserta Sosta – Nuovo codice di verifica per la registrazione"
    assert "482913" in email.text and "Riprendi la registrazione" in email.html
    assert "Il codice precedente non è più valido" in " ".join(email.text.split())


def test_validity_is_computed_from_expiry_and_rounded_up() -> None:
    assert validity_minutes(NOW, NOW + timedelta(minutes=10)) == 10
    assert validity_minutes(NOW, NOW + timedelta(minutes=9, seconds=1)) == 10
    assert validity_minutes(NOW, NOW + timedelta(seconds=20)) == 1
    assert validity_minutes(NOW, NOW - timedelta(minutes=5)) == 1
    email = composer.registration_otp(started(expires_at=NOW + timedelta(seconds=50)), NOW)
    assert "1 minuto " in email.text and "1 minuti" not in email.text


def test_welcome_email_greets_the_citizen_and_lists_the_next_steps() -> None:
    event = registered()
    email = composer.welcome(event)
    assert email.kind is MessageKind.WELCOME
    assert email.user_id == event.user_id
    assert email.subject == "Caserta Sosta – Registrazione completata"
    assert_layout(email)
    for part in (email.text, email.html):
        assert "Mario Rossi" in part
        assert part.index("Certificazione di residenza") < part.index("Associazione targa")
        assert part.index("Associazione targa") < part.index("Richiesta abbonamento")
        assert "Nuova Certificazione" in part and "Nuova Targa" in part and "Nuova Richiesta" in part
        assert "https://parkingcaserta.it/login" in part


def test_names_are_escaped_in_html_and_kept_verbatim_in_text() -> None:
    email = composer.welcome(registered(first_name="Anna", last_name="D'Amico <script>alert(1)</script>"))
    assert "<script>" not in email.html
    assert "D&#39;Amico &lt;script&gt;" in email.html
    assert "D'Amico <script>alert(1)</script>" in email.text


def test_password_reset_email_has_link_thirty_minutes_and_ignore_advice() -> None:
    event = PasswordResetRequested(
        user_id=uuid.uuid4(),
        email="mario.rossi@example.it",
        reset_url="https://parkingcaserta.it/password/reimposta?t=reset-secret",
        expires_at=NOW + timedelta(minutes=30),
    )
    email = composer.password_reset(event, NOW)
    assert email.kind is MessageKind.RESET
    assert email.user_id == event.user_id
    assert email.subject == "Caserta Sosta – Recupero della password"
    assert_layout(email)
    for part in (email.text, email.html):
        assert "https://parkingcaserta.it/password/reimposta?t=reset-secret" in part
        assert "30 minuti" in part
        assert "Se non hai richiesto tu il recupero, ignora questa email" in " ".join(part.split())


def test_email_change_otp_goes_to_the_new_address() -> None:
    event = EmailChangeRequested(
        user_id=uuid.uuid4(),
        new_email="nuovo.indirizzo@example.it",
        otp="771204",
        expires_at=NOW + timedelta(minutes=15),
    )
    email = composer.email_change(event, NOW)
    assert email.kind is MessageKind.EMAIL_CHANGE
    assert email.recipient == "nuovo.indirizzo@example.it"
    assert email.user_id == event.user_id
    assert email.subject == "Caserta Sosta – Conferma il nuovo indirizzo email"
    assert_layout(email)
    for part in (email.text, email.html):
        assert "771204" in part and "15 minuti" in part
        assert "nuovo.indirizzo@example.it" in part


def test_secret_kinds_are_the_ones_with_codes_or_links() -> None:
    assert composer.registration_otp(started(), NOW).is_secret
    assert not composer.welcome(registered()).is_secret


def _message(kind: MessageKind, text: str = "Testo", html: str = "<p>Testo</p>") -> Message:
    return Message(
        id=uuid.uuid4(),
        event_id=uuid.uuid4(),
        kind=kind.value,
        recipient="mario.rossi@example.it",
        subject="Caserta Sosta – Prova",
        text_body=text,
        html_body=html,
        created_at=NOW,
        next_attempt_at=NOW,
    )


def test_built_email_has_both_parts_and_a_message_id_from_the_row_id() -> None:
    settings = Settings(mail_id_domain="parkingcaserta.it")
    message = _message(MessageKind.WELCOME, "Ciao è così", "<p>Ciao è così</p>")
    raw = build_email(message, settings, NOW).as_bytes()
    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    assert parsed["Message-ID"] == f"<{message.id.hex}@parkingcaserta.it>"
    assert parsed["Date"].datetime == NOW
    assert parsed["Subject"] == "Caserta Sosta – Prova"
    assert parsed["To"] == "mario.rossi@example.it"
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed.get_content_type() == "multipart/alternative"
    assert parsed.get_body(("plain",)).get_content().strip() == "Ciao è così"
    assert parsed.get_body(("html",)).get_content().strip() == "<p>Ciao è così</p>"


def test_message_id_is_stable_per_event_and_kind() -> None:
    event_id = uuid.uuid4()
    assert message_id_for(event_id, MessageKind.OTP) == message_id_for(event_id, MessageKind.OTP)
    assert message_id_for(event_id, MessageKind.OTP) != message_id_for(event_id, MessageKind.WELCOME)
    assert message_id_for(event_id, MessageKind.OTP) != message_id_for(uuid.uuid4(), MessageKind.OTP)


def test_retry_delay_doubles_up_to_the_maximum() -> None:
    retries = RetryPolicy(max_attempts=10, backoff=Backoff(5.0, 60.0))
    delays = [(retries.next_attempt(n, NOW, permanent=False) - NOW).total_seconds() for n in range(1, 7)]
    assert delays == [5.0, 10.0, 20.0, 40.0, 60.0, 60.0]


def test_a_message_is_given_up_after_its_last_attempt_or_a_permanent_failure() -> None:
    retries = RetryPolicy(max_attempts=3, backoff=Backoff(5.0, 60.0))
    assert retries.next_attempt(2, NOW, permanent=False) is not None
    assert retries.next_attempt(3, NOW, permanent=False) is None
    assert retries.next_attempt(1, NOW, permanent=True) is None


def test_a_code_is_not_delivered_from_the_moment_it_expires() -> None:
    assert not is_expired(None, NOW)
    assert not is_expired(NOW + timedelta(seconds=1), NOW)
    assert is_expired(NOW, NOW)


def test_only_5xx_answers_about_the_message_are_permanent() -> None:
    refused = aiosmtplib.SMTPRecipientRefused(550, "no such user", "x@example.it")
    busy = aiosmtplib.SMTPRecipientRefused(451, "try later", "x@example.it")
    assert is_permanent(aiosmtplib.SMTPRecipientsRefused([refused]))
    assert not is_permanent(aiosmtplib.SMTPRecipientsRefused([busy]))
    assert is_permanent(aiosmtplib.SMTPDataError(554, "rejected"))
    assert not is_permanent(aiosmtplib.SMTPDataError(452, "full"))
    assert not is_permanent(aiosmtplib.SMTPAuthenticationError(535, "bad credentials"))
    assert not is_permanent(aiosmtplib.SMTPConnectError("refused"))
    assert not is_permanent(ConnectionRefusedError())


@pytest.mark.parametrize("kind", [MessageKind.OTP, MessageKind.RESET, MessageKind.EMAIL_CHANGE])
def test_operators_never_see_secret_bodies(kind: MessageKind) -> None:
    shown = MessageAdmin.of(_message(kind, "codice 482913"))
    assert shown.body == CONFIDENTIAL
    assert "482913" not in shown.model_dump_json()


def test_operators_see_ordinary_bodies() -> None:
    assert MessageAdmin.of(_message(MessageKind.WELCOME, "Benvenuto")).body == "Benvenuto"


REAL_CONTACT = "Ufficio Mobilità, tel. 0823 000000"
# What production needs besides (credentials of its own for the database and the broker).
PRODUCTION = {
    "environment": "production",
    "database_url": "postgresql+asyncpg://notifications:s3cret@db:5432/parking_notifications",
    "amqp_url": "amqp://notifications:s3cret@broker:5672/",
    "smtp_host": "smtp.comune.example",
    "smtp_port": 587,
}


def test_smtp_credentials_must_be_encrypted_in_production() -> None:
    with pytest.raises(ValidationError, match="SMTP_STARTTLS"):
        Settings(**PRODUCTION, support_contact=REAL_CONTACT, smtp_username="u", smtp_password="p")
    with pytest.raises(ValidationError):
        Settings(smtp_username="u")  # a password must come with it
    Settings(
        **PRODUCTION,
        support_contact=REAL_CONTACT,
        smtp_username="u",
        smtp_password="p",
        smtp_starttls=True,
    )


def test_production_refuses_the_development_support_contact() -> None:
    with pytest.raises(ValidationError, match="In produzione imposta SUPPORT_CONTACT"):
        Settings(**PRODUCTION)
    with pytest.raises(ValidationError, match="In produzione imposta SUPPORT_CONTACT"):
        Settings(**PRODUCTION, support_contact=DEVELOPMENT_SUPPORT_CONTACT)


@pytest.mark.parametrize("environment", ["development", "production"])
def test_an_empty_support_contact_is_refused(environment: str) -> None:
    with pytest.raises(ValidationError, match="SUPPORT_CONTACT non può essere vuoto"):
        Settings(**{**PRODUCTION, "environment": environment}, support_contact="  ")


def test_the_support_contact_defaults_to_a_development_value_outside_production() -> None:
    assert Settings(environment="development").support_contact == DEVELOPMENT_SUPPORT_CONTACT
    assert "SUPPORT_CONTACT" in DEVELOPMENT_SUPPORT_CONTACT  # a developer sees what to set
    assert Settings(**PRODUCTION, support_contact=REAL_CONTACT).support_contact == REAL_CONTACT


def _email_changed(**overrides: object) -> EmailChanged:
    values: dict[str, object] = {
        "user_id": uuid.uuid4(),
        "old_email": "mario.rossi@example.it",
        "new_email": "nuovo.indirizzo@example.it",
        # 14:05 UTC is 15:05 in Caserta in November.
        "changed_at": datetime(2026, 11, 30, 14, 5, tzinfo=UTC),
    }
    return EmailChanged(**{**values, **overrides})


def test_email_changed_goes_to_the_old_address_with_the_new_one_masked() -> None:
    event = _email_changed()
    email = composer.email_changed(event)
    assert (email.kind, email.recipient, email.user_id) == (
        MessageKind.EMAIL_CHANGED,
        "mario.rossi@example.it",
        event.user_id,
    )
    assert email.subject == "Caserta Sosta – L'indirizzo email del tuo account è stato cambiato"
    assert not email.is_secret and email.expires_at is None
    for part in (email.text, email.html):
        assert "n***@example.it" in part
        assert "nuovo.indirizzo" not in part
        assert "30/11/2026 15:05" in part
        assert "contatta subito il Comune" in part
        assert DEVELOPMENT_SUPPORT_CONTACT in " ".join(part.split())
        assert "https://parkingcaserta.it/password/dimenticata" in part
    assert "L'indirizzo email del tuo account è stato cambiato" in email.text
    assert 'href="https://parkingcaserta.it/password/dimenticata"' in email.html


def test_email_changed_uses_the_support_contact_of_the_settings() -> None:
    email = Composer("https://parkingcaserta.it", support_contact="tel. 0823 000000").email_changed(
        _email_changed()
    )
    assert "contatta subito il Comune: tel. 0823 000000" in " ".join(email.text.split())
    assert Settings(environment="test", support_contact="x@y.it").support_contact == "x@y.it"


def test_email_changed_escapes_addresses_and_contact_in_html() -> None:
    event = _email_changed(new_email="<b>@example.it", old_email="mario.rossi@example.it")
    email = Composer("https://parkingcaserta.it", support_contact="<script>x</script>").email_changed(event)
    assert "<script>" not in email.html and "&lt;script&gt;x&lt;/script&gt;" in email.html
    assert "&lt;***@example.it" in email.html
    assert "<***@example.it" in email.text  # the text part is verbatim


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("mario.rossi@example.it", "m***@example.it"),
        ("m@example.it", "m***@example.it"),
        ("  Anna@Comune.Caserta.it ", "A***@Comune.Caserta.it"),
    ],
)
def test_masked_email_keeps_the_first_letter_and_the_domain(address: str, masked: str) -> None:
    assert masked_email(address) == masked
