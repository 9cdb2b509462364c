"""The citizens' manual walked on from an active paid subscription, Fase 14, in a real browser
through the real gateway: in "Abbonamenti Associati" the receipt, the ticket ("contrassegno",
its PDF read, and the operator's "Verifica targa" saying it is valid), "Richiedi fattura"
(the form prefilled, the invoice's PDF, its FatturaPA XML checked against the official schema,
the e-mail with the PDF attached) and "Rinnova" (the form already filled with the previous
subscription's data, sent, approved by the operator, paid: the renewal's subscription follows
the first one in "Abbonamenti Associati").

A stack of its own: "Rinnova" is offered from RENEWAL_WINDOW_DAYS before a subscription's last
day (30 by default), so here the window is longer than the six-month type and the renewal is
offered at once; and a renewal needs a certification valid on its first day, which the
default validity (until 31 December) would not reach six months from now.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from lxml import etree
from playwright.async_api import Locator, Page, expect

import billing
from devtools.mailbox import Mailbox
from devtools.teststack import Stack
from tests.e2e.journeys import (
    SECTOR_CODE,
    SECTOR_NAME,
    Person,
    approve_subscription,
    associate_plate,
    certify_residence,
    downloaded,
    last_day_of,
    last_message_id,
    mail,
    new_plate,
    open_checkout,
    pay_on_checkout,
    pdf_text,
    period_text,
    quickly,
    register_and_log_in,
    reload_until,
    request_subscription,
    table,
    today_in_rome,
)

pytestmark = pytest.mark.browser

# The example catalogue's six-month type (subscriptions' subscription_types.example.json).
SEMESTER_TYPE = "Residenti – semestrale: € 35,00 per 6 mesi"
SEMESTER_TYPE_NAME = "Residenti – semestrale"
SEMESTER_PRICE = "35,00"
SEMESTER_MONTHS = 6
INVOICE_NUMBER = re.compile(r"Fattura n\. (FPR \d+/\d{4}) emessa")
FATTURAPA_XSD = (
    Path(billing.__file__).parent / "data" / "fatturapa" / "Schema_del_file_xml_FatturaPA_v1.2.2.xsd"
)
FATTURAPA = "{http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.2}FatturaElettronica"


@pytest.fixture(scope="module")
async def stack(make_stack: Callable[..., AbstractAsyncContextManager[Stack]]) -> AsyncIterator[Stack]:
    """This module's platform (conftest's ``stack`` is the run's shared one)."""
    overrides = {
        # "Rinnova" right after the activation: the window is longer than the type's six months.
        "subscriptions": {"RENEWAL_WINDOW_DAYS": "200"},
        # A certification valid a year: it covers the renewal's first day, six months from now.
        "certification": {"CERTIFICATION_VALID_UNTIL": "365"},
    }
    async with make_stack(overrides) as running:
        yield running


def subscription_rows(page: Page, plate: str) -> Locator:
    return table(page, "Abbonamenti Associati").get_by_role("row").filter(has_text=plate)


async def download_from(page: Page, row: Locator, link: str | re.Pattern[str]) -> tuple[str, bytes]:
    """A link of the row's "Azioni" that downloads a file: its name and its content."""
    async with page.expect_download() as downloading:
        await row.get_by_role("link", name=link).click()
    download = await downloading.value
    return download.suggested_filename, await downloaded(download)


async def subscribed_and_paid(page: Page, operator: Page, mailbox: Mailbox, person: Person, car: str) -> None:
    """Fasi 5–12, as the journey to a paid subscription walks them: certification, plate,
    "Nuova Richiesta" of the six-month type, the operator's approval, "Paga" on the sandbox."""
    await certify_residence(page, operator, mailbox, person)
    await associate_plate(page, operator, mailbox, person, car, "Fiat", "Punto")
    request_row = await request_subscription(page, car, "Fiat Punto", SEMESTER_TYPE)
    await approve_subscription(operator, car, f"€ {SEMESTER_PRICE}")
    await mail(mailbox, person, "Richiesta di abbonamento approvata")
    await page.reload()
    await open_checkout(page, request_row, SEMESTER_PRICE)
    await pay_on_checkout(page, SEMESTER_PRICE)
    await page.get_by_role("link", name="Torna alla dashboard").click()


async def test_a_resident_downloads_receipt_ticket_and_invoice_then_renews(
    page: Page,
    operator: Page,
    mailbox: Mailbox,
    stack: Stack,
    console_errors: list[str],
) -> None:
    person = await register_and_log_in(page, mailbox)
    car = new_plate()
    await subscribed_and_paid(page, operator, mailbox, person, car)

    start = today_in_rome()
    end = last_day_of(start, SEMESTER_MONTHS)
    period = period_text(start, end)
    row = subscription_rows(page, car)
    await reload_until(page, quickly(row))  # activated by the payment's event
    await expect(row).to_contain_text(f"{SEMESTER_TYPE_NAME} – {SECTOR_NAME}")
    await expect(row).to_contain_text(period)
    await expect(row).to_contain_text("Attivo")
    serial_text = await row.get_by_text(re.compile(r"^Contrassegno n\. CE-\d{4}-\d{6}$")).inner_text()
    serial = serial_text.removeprefix("Contrassegno n. ")
    assert serial.startswith(f"CE-{start.year}-"), serial

    # 1. "Ricevuta": the payment's receipt.
    name, content = await download_from(page, row, re.compile(r"^Ricevuta"))
    assert re.fullmatch(r"ricevuta-\d{4}-\d{6}\.pdf", name), name
    text = pdf_text(content)
    assert "Ricevuta di pagamento" in text
    for expected in (car, f"dal {start:%d/%m/%Y} al {end:%d/%m/%Y}", f"€ {SEMESTER_PRICE}", person.tax_code):
        assert expected in text, f"{expected!r} not in the receipt:\n{text}"

    # 2. "Ticket": the contrassegno to display in the car.
    name, content = await download_from(page, row, re.compile(r"^Ticket"))
    assert name == f"contrassegno-{serial}.pdf"
    text = pdf_text(content)
    for expected in (
        "Comune di Caserta",
        "Contrassegno sosta residenti",
        car,
        f"{SECTOR_CODE} – {SECTOR_NAME}",
        SEMESTER_TYPE_NAME,
        f"Valido dal {start:%d/%m/%Y} al {end:%d/%m/%Y}",
        serial,
        "Esporre il contrassegno in modo ben visibile sul cruscotto del veicolo",
    ):
        assert expected in text, f"{expected!r} not in the ticket:\n{text}"

    # ... and what enforcement sees of that plate: "Valido", with the ticket's serial.
    await operator.goto("/operatore")
    await operator.get_by_role("link", name="Verifica targa", exact=True).click()
    await expect(operator.get_by_role("heading", name="Verifica targa", level=1)).to_be_visible()
    await operator.get_by_label("Targa", exact=True).fill(car.lower())
    await operator.get_by_role("button", name="Verifica targa").click()
    verdict = operator.get_by_role("status").filter(has=operator.get_by_text("Valido", exact=True))
    await expect(verdict).to_contain_text(f"{SECTOR_NAME} ({SECTOR_CODE}) – fino al {end:%d/%m/%Y}")
    checked = operator.get_by_role("main")
    await expect(checked).to_contain_text(f"n. {serial}")
    await expect(checked).to_contain_text(period)

    # 3. "Richiedi fattura", within 10 days of the payment: the form knows the citizen.
    invoice_deadline = start + timedelta(days=10)
    await expect(row).to_contain_text(f"entro il {invoice_deadline:%d/%m/%Y}")
    await row.get_by_role("link", name=re.compile(r"^Richiedi fattura")).click()
    await expect(page.get_by_role("heading", name="Dati per la fattura", level=1)).to_be_visible()
    await expect(page.get_by_role("main")).to_contain_text(f"€ {SEMESTER_PRICE}")
    buyer = page.get_by_role("group", name="Intestatario", exact=True)
    await expect(buyer.get_by_label("Persona fisica", exact=True)).to_be_checked()
    for label, value in (
        ("Nome", person.first_name),
        ("Cognome", person.last_name),
        ("Codice fiscale", person.tax_code),
        ("Indirizzo", "Via San Carlo"),
        ("CAP", "81100"),
        ("Comune", "Caserta"),
        ("Provincia", "CE"),
    ):
        await expect(page.get_by_label(label, exact=True)).to_have_value(value)
    before_invoice = await last_message_id(mailbox, person)
    await page.get_by_role("button", name="Richiedi fattura").click()
    await expect(page).to_have_url(re.compile(r"/dashboard#abbonamenti-associati$"))
    issued = page.get_by_role("status").filter(has_text=INVOICE_NUMBER)
    await expect(issued).to_be_visible()
    number = INVOICE_NUMBER.search(await issued.inner_text()).group(1)

    await expect(row.get_by_role("link", name=re.compile(r"^Richiedi fattura"))).to_have_count(0)
    name, content = await download_from(page, row, re.compile(r"^Fattura"))
    assert name == "fattura-" + number.replace(" ", "-").replace("/", "-") + ".pdf"
    text = pdf_text(content)
    for expected in (
        f"Numero {number}",
        f"Totale documento € {SEMESTER_PRICE}",
        car,
        person.tax_code,
        person.name,
    ):
        assert expected in text, f"{expected!r} not in the invoice:\n{text}"

    name, content = await download_from(page, row, re.compile(r"^XML"))
    assert re.fullmatch(r"IT\d{11}_[0-9A-Z]{5}\.xml", name), name
    document = etree.fromstring(content)
    schema = etree.XMLSchema(etree.parse(str(FATTURAPA_XSD)))
    assert schema.validate(document), schema.error_log
    assert (document.tag, document.get("versione")) == (FATTURAPA, "FPR12")
    assert document.findtext(".//DatiGeneraliDocumento/Numero") == number
    assert document.findtext(".//DatiGeneraliDocumento/ImportoTotaleDocumento") == "35.00"
    assert document.findtext(".//CessionarioCommittente/DatiAnagrafici/CodiceFiscale") == person.tax_code

    invoice_mail = await mail(mailbox, person, f"Fattura n. {number} emessa", newer_than=before_invoice)
    pdfs = [a for a in invoice_mail["attachments"] if a["content_type"] == "application/pdf"]
    assert len(pdfs) == 1, invoice_mail["attachments"]
    async with httpx.AsyncClient(timeout=5.0) as client:
        attached = await client.get(
            f"{stack.mail_url}/messages/{invoice_mail['id']}/attachments/{pdfs[0]['index']}"
        )
    assert attached.status_code == 200
    assert number in pdf_text(attached.content)

    # 4. "Rinnova": the form already filled with the previous subscription's data.
    renewal_start = end + timedelta(days=1)
    renewal_end = last_day_of(renewal_start, SEMESTER_MONTHS)
    renewal_period = period_text(renewal_start, renewal_end)
    await row.get_by_role("link", name=re.compile(r"^Rinnova")).click()
    await expect(page.get_by_role("heading", name="Rinnovo abbonamento", level=1)).to_be_visible()
    facts = page.get_by_role("definition")
    for term, value in (
        ("Certificazione di residenza", re.compile(rf"^{SECTOR_NAME} \({SECTOR_CODE}\), valida fino al ")),
        ("Targa", f"{car} – Fiat Punto"),
        ("Tipologia di abbonamento", SEMESTER_TYPE_NAME),
        ("Abbonamento attuale", f"{period} (n. {serial})"),
        ("Nuovo periodo", renewal_period),
        ("Importo", f"€ {SEMESTER_PRICE} (IVA inclusa)"),
    ):
        term_row = page.locator("[data-renewal] > div").filter(
            has=page.get_by_role("term").filter(has_text=term)
        )
        await expect(term_row.get_by_role("definition")).to_have_text(value)
    await expect(facts).to_have_count(6)
    before_renewal = await last_message_id(mailbox, person)
    await page.get_by_role("button", name="Rinnova", exact=True).click()
    await expect(page).to_have_url(re.compile(r"/dashboard#abbonamenti$"))
    await expect(page.get_by_text("Richiesta di rinnovo inviata")).to_be_visible()
    requests = table(page, "Richieste Abbonamento").get_by_role("row").filter(has_text=car)
    await expect(requests).to_have_count(2)  # the first one, paid, and the renewal
    renewal_row = requests.filter(has_text="In attesa di esito")
    await expect(renewal_row).to_contain_text(SEMESTER_TYPE_NAME)
    await expect(row.get_by_role("link", name=re.compile(r"^Rinnova"))).to_have_count(0)

    # The operator approves it like any request; the citizen pays it from "Richieste Abbonamento".
    await approve_subscription(operator, car, f"€ {SEMESTER_PRICE}")
    await mail(mailbox, person, "Richiesta di abbonamento approvata", newer_than=before_renewal)
    await page.reload()
    renewal_row = requests.filter(has_text=renewal_period)
    await expect(renewal_row).to_contain_text("Approvata: in attesa di pagamento")
    await open_checkout(page, renewal_row, SEMESTER_PRICE)
    await expect(page.get_by_role("main")).to_contain_text(car)
    await pay_on_checkout(page, SEMESTER_PRICE)
    active = await mail(mailbox, person, "Abbonamento attivo", newer_than=before_renewal)
    assert car in active["text"]
    assert f"Valido dal: {renewal_start:%d/%m/%Y}" in active["text"]

    # The renewal's subscription follows the first in "Abbonamenti Associati".
    await page.get_by_role("link", name="Torna alla dashboard").click()
    rows = subscription_rows(page, car)

    async def both_listed() -> None:
        await expect(rows).to_have_count(2, timeout=1_000)

    await reload_until(page, both_listed)
    renewed = rows.filter(has_text=renewal_period)
    await expect(renewed).to_contain_text(f"{SEMESTER_TYPE_NAME} – {SECTOR_NAME}")
    await expect(renewed).to_contain_text(f"Attivo dal {renewal_start:%d/%m/%Y}")
    name, content = await download_from(page, renewed, re.compile(r"^Ticket"))
    text = pdf_text(content)
    assert re.fullmatch(r"contrassegno-CE-\d{4}-\d{6}\.pdf", name) and name != f"contrassegno-{serial}.pdf"
    for expected in (car, f"Valido dal {renewal_start:%d/%m/%Y} al {renewal_end:%d/%m/%Y}"):
        assert expected in text, f"{expected!r} not in the renewal's ticket:\n{text}"
    current = rows.filter(has_text=period)
    await expect(current).to_contain_text("Attivo")
    await expect(current.get_by_role("link", name=re.compile(r"^Fattura"))).to_be_visible()
    await expect(current.get_by_role("link", name=re.compile(r"^Rinnov"))).to_have_count(0)
    await expect(requests.filter(has_text=renewal_period)).to_contain_text("Pagata")
    assert console_errors == []
