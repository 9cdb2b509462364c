"""The e-mails about a citizen's account (Fasi 5–14: certifications, plates, subscription
requests, payments, invoices, the end of a subscription), without database, broker or SMTP."""

from __future__ import annotations

import html
import re
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from markupsafe import escape

from notifications.domain.attachments import PDF
from notifications.domain.emails import Composer, Email, Recipient, day, day_time, euro
from notifications.domain.messages import MessageKind

PORTAL = "https://parkingcaserta.it"
FOOTER = "Comune di Caserta – Piazza Vanvitelli 1, 81100 Caserta"
composer = Composer(PORTAL)
MARIO = Recipient(uuid.uuid4(), " mario.rossi@example.it ", "Mario", "Rossi")
HOSTILE = '<script>alert("x")</script> & <b>Ufficio</b>'
# When the expiry reminder was decided: 24 January 2027, 10:00 in Caserta, 7 days before the
# last day of the subscription of ``account_event("subscription_expiring", …)``.
REMINDED = datetime(2027, 1, 24, 9, tzinfo=UTC)

# Every kind about an account: its subject (after the common prefix) and the dashboard section.
ACCOUNT_EMAILS = {
    MessageKind.CERTIFICATION_APPROVED: ("Certificazione di residenza approvata", "certificazioni"),
    MessageKind.CERTIFICATION_REJECTED: ("Certificazione di residenza non approvata", "certificazioni"),
    MessageKind.CERTIFICATION_EXPIRED: ("Certificazione di residenza scaduta", "certificazioni"),
    MessageKind.PLATE_APPROVED: ("Targa associata", "targhe"),
    MessageKind.PLATE_REJECTED: ("Associazione targa non approvata", "targhe"),
    MessageKind.PLATE_DISSOCIATED: ("Targa rimossa", "targhe"),
    MessageKind.SUBSCRIPTION_APPROVED: (
        "Richiesta di abbonamento approvata: procedi al pagamento",
        "abbonamenti",
    ),
    MessageKind.SUBSCRIPTION_REJECTED: ("Richiesta di abbonamento non approvata", "abbonamenti"),
    MessageKind.PAYMENT_REMINDER: ("Promemoria: pagamento dell'abbonamento in scadenza", "abbonamenti"),
    MessageKind.UNPAID_REQUEST_EXPIRED: (
        "Richiesta di abbonamento scaduta per mancato pagamento",
        "abbonamenti",
    ),
    MessageKind.PAYMENT_COMPLETED: ("Pagamento ricevuto", "abbonamenti"),
    MessageKind.SUBSCRIPTION_ACTIVATED: ("Abbonamento attivo", "abbonamenti"),
    MessageKind.INVOICE_ISSUED: ("Fattura n. 2027/000012 emessa", "abbonamenti"),
    MessageKind.SUBSCRIPTION_EXPIRING: ("Il tuo abbonamento scade il 31/01/2027", "abbonamenti"),
    MessageKind.SUBSCRIPTION_EXPIRED: ("Abbonamento scaduto", "abbonamenti"),
    MessageKind.SUBSCRIPTION_REVOKED: ("Abbonamento revocato", "abbonamenti"),
}


def compose(account_event, kind: str, *, version: int | None = None, **overrides: Any) -> Email:  # noqa: ANN001
    """The e-mail of ``kind`` to Mario; the composer's method is named as the kind (the expiry
    reminder also takes when it was decided: ``REMINDED``)."""
    event = account_event(kind, MARIO.user_id, version=version, **overrides)
    if kind == MessageKind.SUBSCRIPTION_EXPIRING:
        return composer.subscription_expiring(event, MARIO, REMINDED)
    return getattr(composer, kind)(event, MARIO)


def both(email: Email) -> tuple[str, str]:
    """What a reader sees of the text part and of the HTML part (without tags), each on one
    line: templates wrap and emphasise the text differently in the two."""
    seen = html.unescape(re.sub(r"<[^>]+>", " ", email.html))
    return " ".join(email.text.split()), " ".join(seen.split())


def message_only(email: Email) -> str:
    """The text part without the layout's header and footer."""
    return email.text.split("=\n", 1)[1].split("\n--\n", 1)[0]


def test_every_kind_of_message_has_a_subject_and_section_here_or_is_an_identity_one() -> None:
    identity = {
        MessageKind.OTP,
        MessageKind.WELCOME,
        MessageKind.RESET,
        MessageKind.EMAIL_CHANGE,
        MessageKind.EMAIL_CHANGED,
        MessageKind.PASSWORD_CHANGED,
    }
    assert set(ACCOUNT_EMAILS) == set(MessageKind) - identity


@pytest.mark.parametrize("kind", list(ACCOUNT_EMAILS))
def test_account_email_greets_the_citizen_in_the_layout_and_links_its_dashboard_section(
    account_event,  # noqa: ANN001
    kind: MessageKind,
) -> None:
    subject, section = ACCOUNT_EMAILS[kind]
    email = compose(account_event, kind.value)
    assert email.kind is kind
    assert email.subject == f"Caserta Sosta – {subject}"
    assert (email.recipient, email.user_id) == ("mario.rossi@example.it", MARIO.user_id)
    assert email.expires_at is None and not email.is_secret  # nothing to blank after sending
    url = f"{PORTAL}/dashboard#{section}"
    for part in (email.text, email.html):
        assert "Comune di Caserta" in part and "Abbonamenti sosta residenti" in part
        assert FOOTER in part and "messaggio automatico" in part
        assert "Gentile Mario Rossi," in part
    assert url in email.text
    assert f'href="{url}"' in email.html
    assert '<html lang="it"' in email.html and f"<title>{escape(email.subject)}</title>" in email.html
    assert "<h1" in email.html
    assert "<" not in email.text


def test_certification_approved_gives_sector_validity_and_the_next_step(account_event) -> None:  # noqa: ANN001
    email = compose(
        account_event, "certification_approved", valid_from=date(2026, 3, 1), valid_until=date(2026, 12, 31)
    )
    for part in both(email):
        assert "Settore 1 – Centro storico" in part
        assert "01/03/2026" in part and "31/12/2026" in part
        assert '"Richieste Certificazioni"' in part
        assert "Prossimo passo: associa una targa" in part
        assert '"Richieste Associazione Targa"' in part and '"Nuova Targa"' in part


def test_certification_rejected_gives_the_reason_and_says_a_new_request_can_be_sent(account_event) -> None:  # noqa: ANN001
    email = compose(account_event, "certification_rejected", reason="Il documento d'identità è scaduto.")
    for part in both(email):
        assert "Il documento d'identità è scaduto." in part
        assert "S1" in part
        assert "puoi presentare una nuova richiesta" in part
        assert '"Richieste Certificazioni"' in part and '"Nuova Certificazione"' in part


def test_certification_expired_says_what_it_means_for_subscriptions_and_how_to_renew(account_event) -> None:  # noqa: ANN001
    email = compose(account_event, "certification_expired", expired_on=date(2027, 1, 1))
    for part in both(email):
        assert "non è più valida dal 01/01/2027" in part
        assert "non potrai richiedere nuovi abbonamenti né rinnovare" in part
        assert "Come rinnovarla" in part and '"Nuova Certificazione"' in part


@pytest.mark.parametrize("electric", [False, True])
def test_plate_approved_gives_plate_make_and_model_and_the_electric_certification(
    account_event,  # noqa: ANN001
    electric: bool,
) -> None:
    email = compose(account_event, "plate_approved", make="Renault", model="Zoe", electric=electric)
    for part in both(email):
        assert "AB123CD" in part and "Renault Zoe" in part
        assert '"Targhe Associate"' in part and '"Nuova Richiesta"' in part
        assert ("certificata come veicolo elettrico" in part) is electric
        assert ('"Auto Elettriche"' in part) is electric


def test_plate_rejected_gives_plate_reason_and_what_to_do(account_event) -> None:  # noqa: ANN001
    email = compose(account_event, "plate_rejected", reason="Manca l'attestazione di disponibilità.")
    for part in both(email):
        assert "Manca l'attestazione di disponibilità." in part
        assert "AB123CD" in part
        assert '"Richieste Associazione Targa"' in part and '"Nuova Targa"' in part


def test_plate_dissociated_says_only_that_the_association_was_removed(account_event) -> None:  # noqa: ANN001
    email = compose(
        account_event, "plate_dissociated", dissociated_at=datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    )
    for part in both(email):
        assert "l'associazione della targa AB123CD al tuo account è stata rimossa il 01/01/2027" in part
    # What happens to its subscriptions is the subscriptions service's rule: not told here.
    assert "abbonament" not in message_only(email).lower()


def test_subscription_approved_gives_amount_deadline_and_the_payment_button_column(account_event) -> None:  # noqa: ANN001
    email = compose(
        account_event,
        "subscription_approved",
        description="Abbonamento annuale – Settore 1",
        amount_cents=1234,
        pay_by=date(2027, 1, 15),
    )
    for part in both(email):
        assert "Abbonamento annuale – Settore 1" in part and "AB123CD" in part
        assert "€ 12,34" in part
        assert "15/01/2027" in part
        assert '"Richieste Abbonamenti"' in part and 'colonna "Azioni"' in part
        assert "la richiesta scade" in part
        assert "Non è dovuto alcun pagamento" not in part


def test_a_free_subscription_says_no_payment_is_due_and_it_is_activated_directly(account_event) -> None:  # noqa: ANN001
    email = compose(account_event, "subscription_approved", amount_cents=0, pay_by=date(2027, 1, 15))
    assert email.subject == "Caserta Sosta – Richiesta di abbonamento approvata"
    for part in both(email):
        assert "€ 0,00" in part
        assert "Non è dovuto alcun pagamento" in part and "attivato direttamente" in part
        assert "15/01/2027" not in part and "Da pagare" not in part and "Azioni" not in part


def test_subscription_rejected_gives_the_reason_and_what_to_do(account_event) -> None:  # noqa: ANN001
    email = compose(
        account_event, "subscription_rejected", reason="Tipologia non disponibile per il settore."
    )
    for part in both(email):
        assert "Tipologia non disponibile per il settore." in part
        assert '"Richieste Abbonamenti"' in part and '"Nuova Richiesta"' in part


def test_payment_reminder_gives_amount_deadline_and_link(account_event) -> None:  # noqa: ANN001
    email = compose(account_event, "payment_reminder", amount_cents=100000, pay_by=date(2027, 2, 28))
    for part in both(email):
        assert "€ 1.000,00" in part and "28/02/2027" in part
        assert 'colonna "Azioni"' in part
        assert "Se hai già pagato, ignora questo messaggio" in part


def test_unpaid_request_expired_says_a_new_request_is_needed(account_event) -> None:  # noqa: ANN001
    # 23:15 UTC on 28 March 2026, the night summer time starts: 00:15 on the 29th in Caserta.
    email = compose(
        account_event, "unpaid_request_expired", expired_at=datetime(2026, 3, 28, 23, 15, tzinfo=UTC)
    )
    for part in both(email):
        assert "scaduta il 29/03/2026" in part
        assert "presenta una nuova richiesta" in part and '"Nuova Richiesta"' in part


@pytest.mark.parametrize(
    ("paid_at", "shown"),
    [
        (datetime(2026, 12, 31, 23, 30, tzinfo=UTC), "01/01/2027 00:30"),  # UTC+1 in winter
        (datetime(2026, 7, 31, 22, 15, tzinfo=UTC), "01/08/2026 00:15"),  # UTC+2 in summer
        (datetime(2026, 7, 31, 21, 59, tzinfo=UTC), "31/07/2026 23:59"),
    ],
)
def test_payment_completed_gives_amount_receipt_and_time_in_caserta(
    account_event,  # noqa: ANN001
    paid_at: datetime,
    shown: str,
) -> None:
    email = compose(
        account_event, "payment_completed", amount_cents=5, receipt_number="2026/000042", paid_at=paid_at
    )
    for part in both(email):
        assert "€ 0,05" in part and "2026/000042" in part
        assert shown in part
        assert "ricevuta" in part and '"Abbonamenti Associati"' in part and '"Azioni"' in part


def test_subscription_activated_gives_plate_sector_and_validity(account_event) -> None:  # noqa: ANN001
    email = compose(
        account_event,
        "subscription_activated",
        plate="XY987ZW",
        sector_code="S3",
        valid_from=date(2027, 1, 1),
        valid_until=date(2027, 12, 31),
    )
    for part in both(email):
        assert "XY987ZW" in part and "S3" in part
        assert "01/01/2027" in part and "31/12/2027" in part
        assert '"Abbonamenti Associati"' in part


def test_a_subscription_valid_in_every_sector_says_so_in_words(account_event) -> None:  # noqa: ANN001
    """The electric-car subscription comes with sector code "*": the e-mail said "Settore: *"."""
    text, seen = both(compose(account_event, "subscription_activated", sector_code="*"))
    assert "Settore: Tutti i settori" in text
    assert "Settore Tutti i settori" in seen
    assert "*" not in text and "*" not in seen


@pytest.mark.parametrize(
    ("cents", "shown"),
    [(0, "€ 0,00"), (5, "€ 0,05"), (1234, "€ 12,34"), (100000, "€ 1.000,00"), (123456789, "€ 1.234.567,89")],
)
def test_amounts_are_italian_euro_from_integer_cents(account_event, cents: int, shown: str) -> None:  # noqa: ANN001
    assert euro(cents) == shown
    for kind in ("subscription_approved", "payment_reminder", "payment_completed", "invoice_issued"):
        for part in both(compose(account_event, kind, amount_cents=cents)):
            assert shown in part, kind


@pytest.mark.parametrize(
    "kind", ["subscription_approved", "payment_reminder", "payment_completed", "invoice_issued"]
)
def test_an_amount_in_another_currency_is_refused_rather_than_shown_as_euro(account_event, kind: str) -> None:  # noqa: ANN001
    with pytest.raises(ValueError):
        compose(account_event, kind, currency="USD")


def test_days_and_times_are_those_of_caserta() -> None:
    assert day(date(2027, 1, 1)) == "01/01/2027"  # a date is already Caserta's: never shifted
    assert day(datetime(2026, 12, 31, 22, 59, tzinfo=UTC)) == "31/12/2026"
    assert day(datetime(2026, 12, 31, 23, 0, tzinfo=UTC)) == "01/01/2027"
    assert day(datetime(2026, 12, 31, 23, 0)) == "01/01/2027"  # naive: read as UTC
    assert day_time(datetime(2026, 10, 25, 0, 30, tzinfo=UTC)) == "25/10/2026 02:30"  # still summer time
    assert day_time(datetime(2026, 10, 25, 1, 30, tzinfo=UTC)) == "25/10/2026 02:30"  # winter time again


REASONED_KINDS = ["certification_rejected", "plate_rejected", "subscription_rejected", "subscription_revoked"]


@pytest.mark.parametrize("kind", REASONED_KINDS)
def test_a_reason_is_escaped_in_html_and_verbatim_in_text(account_event, kind: str) -> None:  # noqa: ANN001
    email = compose(account_event, kind, reason=HOSTILE)
    assert "<script>" not in email.html and "<b>Ufficio" not in email.html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;Ufficio&lt;/b&gt;" in email.html
    assert HOSTILE in email.text


@pytest.mark.parametrize("kind", REASONED_KINDS)
def test_a_reason_on_several_lines_keeps_its_lines(account_event, kind: str) -> None:  # noqa: ANN001
    email = compose(account_event, kind, reason="Primo motivo.\nSecondo motivo.")
    assert "    Primo motivo.\n    Secondo motivo.\n" in email.text
    assert "Primo motivo.\nSecondo motivo." in email.html  # shown on two lines (white-space:pre-line)


def test_what_the_citizen_typed_about_the_vehicle_is_escaped(account_event) -> None:  # noqa: ANN001
    email = compose(account_event, "plate_approved", make="<img src=x onerror=alert(1)>", model="Panda")
    assert "<img" not in email.html
    assert "&lt;img src=x onerror=alert(1)&gt; Panda" in email.html


# --- Fase 14: the invoice and the end of a subscription ------------------------------------


def test_invoice_email_gives_number_amount_and_day_and_attaches_the_pdf(
    account_event,  # noqa: ANN001
    invoice_pdf: bytes,
) -> None:
    email = compose(
        account_event, "invoice_issued", amount_cents=123456, pdf_filename="fattura-2027-000012.pdf"
    )
    [attachment] = email.attachments
    assert (attachment.filename, attachment.content_type) == ("fattura-2027-000012.pdf", PDF)
    assert attachment.content == invoice_pdf
    for part in both(email):
        assert "2027/000012" in part and "€ 1.234,56" in part
        assert "01/01/2027" in part  # issued at 23:30 UTC on 31 December: New Year's Day in Caserta
        assert "allegata a questa email in formato PDF" in part and "fattura-2027-000012.pdf" in part
        assert '"Abbonamenti Associati"' in part and '"Azioni"' in part


def test_invoice_of_the_first_version_has_no_attachment_and_says_where_to_download_it(account_event) -> None:  # noqa: ANN001
    email = compose(account_event, "invoice_issued", version=1)
    assert email.attachments == ()
    assert email.subject == "Caserta Sosta – Fattura n. 2027/000012 emessa"
    for part in both(email):
        assert "2027/000012" in part and "€ 60,00" in part
        assert "Puoi scaricare la fattura" in part and '"Abbonamenti Associati"' in part
        assert "allegat" not in part


def test_an_invoice_number_is_escaped_in_html(account_event) -> None:  # noqa: ANN001
    email = compose(account_event, "invoice_issued", number="2027/<b>12</b>")
    assert "<b>12" not in email.html
    assert "2027/&lt;b&gt;12&lt;/b&gt;" in email.html
    assert "Numero fattura: 2027/<b>12</b>" in email.text


def test_expiry_reminder_gives_the_days_left_the_last_day_and_how_to_renew(account_event) -> None:  # noqa: ANN001
    email = compose(account_event, "subscription_expiring")
    text, seen = both(email)
    assert "Rinnovo disponibile dal: 01/01/2027" in text and "Settore: S1" in text
    assert "Rinnovo disponibile dal 01/01/2027" in seen and "Settore S1" in seen
    for part in (text, seen):
        assert "la targa AB123CD scade tra 7 giorni" in part
        assert "l'ultimo giorno di validità è il 31/01/2027" in part
        assert '"Abbonamenti Associati"' in part
        assert (
            'premi "Rinnova" nella colonna "Azioni" dell\'abbonamento (dal 01/01/2027 al 31/01/2027)' in part
        )
        assert "Il nuovo abbonamento vale dal 01/02/2027" in part
        # Renewing a sector's subscription needs a certification valid on the new first day.
        assert "certificazione di residenza valida il 01/02/2027" in part
        assert "Se hai già chiesto il rinnovo, ignora questo messaggio." in part


@pytest.mark.parametrize(
    ("reminded_at", "days_left", "shown"),
    [
        (datetime(2027, 1, 1, 9, tzinfo=UTC), 30, "tra 30 giorni"),
        (datetime(2027, 1, 24, 9, tzinfo=UTC), 7, "tra 7 giorni"),
        # Met late (activated within its last week, or the job was down): the days really left.
        (datetime(2027, 1, 27, 9, tzinfo=UTC), 7, "tra 4 giorni"),
        (datetime(2027, 1, 30, 9, tzinfo=UTC), 7, "domani"),
        (datetime(2027, 1, 30, 23, 30, tzinfo=UTC), 7, "oggi"),  # already 31 January in Caserta
        # A reminder decided well before its threshold never says more than the threshold.
        (datetime(2026, 11, 1, 9, tzinfo=UTC), 30, "tra 30 giorni"),
    ],
)
def test_expiry_reminder_counts_the_days_left_in_caserta_from_when_it_was_decided(
    account_event,  # noqa: ANN001
    reminded_at: datetime,
    days_left: int,
    shown: str,
) -> None:
    event = account_event("subscription_expiring", MARIO.user_id, days_left=days_left)
    email = composer.subscription_expiring(event, MARIO, reminded_at)
    assert email.subject == "Caserta Sosta – Il tuo abbonamento scade il 31/01/2027"
    for part in both(email):
        assert f"AB123CD scade {shown}" in part
        assert "l'ultimo giorno di validità è il 31/01/2027" in part


def test_expiry_reminder_of_an_all_sectors_subscription_needs_no_certification(account_event) -> None:  # noqa: ANN001
    email = compose(account_event, "subscription_expiring", sector_code="*")
    text, seen = both(email)
    assert "Settore: Tutti i settori" in text and "Settore Tutti i settori" in seen
    for part in (text, seen):
        assert "*" not in part
        assert "certificazione" not in part


def test_expiry_reminder_of_the_first_version_says_when_to_renew_without_sector_or_opening(
    account_event,  # noqa: ANN001
) -> None:
    email = compose(account_event, "subscription_expiring", version=1)
    assert email.subject == "Caserta Sosta – Il tuo abbonamento scade il 31/01/2027"
    for part in both(email):
        assert "la targa AB123CD scade tra 7 giorni" in part
        assert 'premi "Rinnova" nella colonna "Azioni" dell\'abbonamento (entro il 31/01/2027)' in part
        assert "Settore" not in part and "Rinnovo disponibile dal" not in part


@pytest.mark.parametrize(
    ("expired_on", "last_day"),
    [
        (date(2027, 2, 1), "31/01/2027"),
        (date(2028, 3, 1), "29/02/2028"),  # a leap year's February
        (date(2027, 1, 1), "31/12/2026"),
    ],
)
def test_subscription_expired_names_its_last_day_the_day_before_expired_on(
    account_event,  # noqa: ANN001
    expired_on: date,
    last_day: str,
) -> None:
    """``expired_on`` is the first day the subscription no longer covers (subscriptions'
    README): the citizen reads the last day it was valid, then the day it stopped."""
    email = compose(account_event, "subscription_expired", expired_on=expired_on)
    for part in both(email):
        assert f"AB123CD è scaduto il {last_day}" in part and "il suo ultimo giorno di validità" in part
        assert f"dal {day(expired_on)} non è più valido" in part


def test_subscription_expired_says_the_ticket_is_void_and_a_new_request_is_needed(account_event) -> None:  # noqa: ANN001
    email = compose(account_event, "subscription_expired")
    for part in both(email):
        assert "Il ticket (contrassegno) di questo abbonamento non vale più" in part
        assert "non si può più rinnovare" in part
        assert (
            '"Richieste Abbonamenti"' in part and '"Nuova Richiesta"' in part and '"Auto Elettriche"' in part
        )


def test_subscription_revoked_for_a_dissociated_plate_says_what_it_means_and_what_to_do(
    account_event,  # noqa: ANN001
) -> None:
    email = compose(account_event, "subscription_revoked", revoked_on=date(2027, 3, 5))
    for part in both(email):
        assert "la targa AB123CD è stato revocato: non è più valido dal 05/03/2027" in part
        assert "La targa non è più associata al profilo del titolare." in part
        assert "il ticket (contrassegno) di questo abbonamento non vale più" in part
        assert "non si può rinnovare" in part
        # A new association of the plate first, then a new request.
        assert "associare di nuovo la targa AB123CD" in part
        assert '"Richieste Associazione Targa"' in part and '"Nuova Targa"' in part
        assert '"Richieste Abbonamenti"' in part and '"Nuova Richiesta"' in part


def test_subscription_revoked_for_another_reason_asks_only_for_a_new_request(account_event) -> None:  # noqa: ANN001
    email = compose(
        account_event, "subscription_revoked", reason_code="operator_revoked", reason="Revoca d'ufficio."
    )
    for part in both(email):
        assert "Revoca d'ufficio." in part
        assert '"Nuova Richiesta"' in part
        assert '"Nuova Targa"' not in part
