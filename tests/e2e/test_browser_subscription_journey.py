"""The citizens' manual walked in a real browser, through the real gateway, from registration
to an active subscription: Fasi 5–6 (certification, with the self-certification form the
portal fills in), 7–8 (plates: one approved, one rejected with a reason), 10–12 (subscription
request, approval, payment on the sandbox checkout, first cancelled then paid), 14 (the
subscription and its receipt) and 11 (the electric-car path, free).

The operator works in a second browser context, beside the citizen's. What is checked is what
a person sees: pages, statuses, e-mails in the mail catcher, the PDFs downloaded. The effects
that travel as events (read models, e-mails, activation after payment) are waited for within
bounds, reloading the page as a person would.
"""

from __future__ import annotations

import asyncio
import io
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image, ImageDraw
from playwright.async_api import Browser, Locator, Page, expect
from pypdf import PdfReader

from devtools.mailbox import Mailbox
from devtools.teststack import Stack
from kit.testing.browser import DEFAULT_TIMEOUT_MS, artifacts_dir
from tests.e2e.journeys import PASSWORD, Person, create_operator, log_in, new_person, register

pytestmark = pytest.mark.browser

ROME = ZoneInfo("Europe/Rome")
# The example sectors (certification's sectors.example.json): the address that registration
# fills in (journeys.fill_details: Via San Carlo 15) is in S1.
SECTOR_CODE = "S1"
SECTOR_NAME = "Settore 1 – Centro storico"
# The example catalogue (subscriptions' subscription_types.example.json).
RESIDENT_TYPE = "Residenti – annuale: € 60,00 per 12 mesi"
RESIDENT_TYPE_NAME = "Residenti – annuale"
RESIDENT_PRICE = "60,00"
ELECTRIC_TYPE_NAME = "Auto elettrica – annuale"
TEST_CARD = "4242 4242 4242 4242"
EVENT_TIMEOUT_S = 20  # an event through RabbitMQ, a read model, an e-mail
PERIOD = re.compile(r"Dal (\d\d/\d\d/\d{4}) al (\d\d/\d\d/\d{4})")
_PLATE_LETTERS = "ABCDEFGHJKLMNPRSTVWXYZ"  # never I, O, Q, U


@pytest.fixture
def browser_base_url(stack: Stack) -> str:
    return stack.url


@pytest.fixture(scope="module")
async def operator_email(stack: Stack) -> str:
    email = f"operatore.{uuid.uuid4().hex[:8]}@comune.caserta.it"
    await asyncio.to_thread(create_operator, stack, email, PASSWORD)
    return email


@pytest.fixture
async def operator(
    browser: Browser,
    browser_context_options: dict,
    operator_email: str,
    request: pytest.FixtureRequest,
) -> AsyncIterator[Page]:
    """The operator, logged in to the console in a browser context of their own."""
    context = await browser.new_context(**browser_context_options)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    failed_before = request.session.testsfailed
    try:
        page = await context.new_page()
        await log_in(page, operator_email)
        await expect(page).to_have_url(re.compile(r"/operatore$"))
        yield page
        if request.session.testsfailed > failed_before and not page.is_closed():
            directory = artifacts_dir(request.config)
            directory.mkdir(parents=True, exist_ok=True)
            stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-140:] + ".operatore"
            await page.screenshot(path=str(directory / f"{stem}.png"), full_page=True)
            (directory / f"{stem}.html").write_text(await page.content(), encoding="utf-8")
    finally:
        await context.close()


# --- things a person brings ----------------------------------------------------------------


def new_plate() -> str:
    """An Italian car plate (AB123CD) nobody in this run has used."""
    letters = [_PLATE_LETTERS[b % len(_PLATE_LETTERS)] for b in uuid.uuid4().bytes[:4]]
    return f"{letters[0]}{letters[1]}{uuid.uuid4().int % 1000:03d}{letters[2]}{letters[3]}"


def _scan(title: str, *lines: str) -> Image.Image:
    image = Image.new("RGB", (640, 400), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((10, 10, 630, 390), outline="navy", width=4)
    draw.text((30, 30), title, fill="navy")
    for n, line in enumerate(lines):
        draw.text((30, 80 + 30 * n), line, fill="black")
    return image


def identity_document(person: Person) -> dict:
    """A photo of an identity card: a small PNG."""
    buffer = io.BytesIO()
    _scan("CARTA D'IDENTITA'", person.last_name.upper(), person.first_name.upper(), person.tax_code).save(
        buffer, "PNG"
    )
    return {"name": "carta-identita.png", "mimeType": "image/png", "buffer": buffer.getvalue()}


def registration_document(plate: str, fuel: str) -> dict:
    """The vehicle's libretto, scanned to a one-page PDF."""
    buffer = io.BytesIO()
    _scan("CARTA DI CIRCOLAZIONE", f"Targa {plate}", f"Alimentazione {fuel}").save(buffer, "PDF")
    return {
        "name": f"libretto-{plate.lower()}.pdf",
        "mimeType": "application/pdf",
        "buffer": buffer.getvalue(),
    }


def pdf_text(content: bytes) -> str:
    """The PDF's text, its whitespace collapsed (lines wrap anywhere)."""
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())


def today_in_rome() -> date:
    return datetime.now(ROME).date()


def year_later_less_a_day(start: date) -> date:
    """The last day of a 12-month period from ``start``."""
    try:
        return start.replace(year=start.year + 1) - timedelta(days=1)
    except ValueError:  # 29 February
        return date(start.year + 1, 2, 28)


# --- waiting as a person does: reloading ---------------------------------------------------


async def reload_until(
    page: Page, check: Callable[[], Awaitable[None]], timeout_s: float = EVENT_TIMEOUT_S
) -> None:
    """Reload the page until ``check`` (expect assertions, short timeouts) passes."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            await check()
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise
        await asyncio.sleep(0.5)
        await page.reload()


def quickly(locator: Locator) -> Callable[[], Awaitable[None]]:
    async def visible() -> None:
        await expect(locator).to_be_visible(timeout=1_000)

    return visible


# --- steps ----------------------------------------------------------------------------------


async def choose(page: Page, question: str, answer: str) -> None:
    """A radio button in the fieldset ``question``: Bootstrap Italia draws it on the label."""
    group = page.get_by_role("group", name=question, exact=True)
    await group.get_by_text(answer, exact=True).click()
    await expect(group.get_by_label(answer, exact=True)).to_be_checked()


async def select_matching(select: Locator, pattern: str) -> str:
    """Choose the option whose text matches ``pattern`` (a person reads the options)."""
    texts = [text.strip() for text in await select.locator("option").all_inner_texts()]
    matching = [text for text in texts if re.search(pattern, text)]
    assert len(matching) == 1, f"options matching {pattern!r}: {matching} (all: {texts})"
    await select.select_option(label=matching[0])
    return matching[0]


def section(page: Page, heading: str) -> Locator:
    """A dashboard's section by its heading."""
    return page.get_by_role("region", name=heading, exact=True)


def table(page: Page, caption: str) -> Locator:
    """A dashboard's table by its caption: a section's requests, or its associated items."""
    return page.get_by_role("table", name=caption, exact=True)


async def request_plate(page: Page, plate: str, make: str, model: str, fuel: str) -> None:
    """Dashboard → "Nuova Targa" → the form → "Invia Richiesta" → dashboard."""
    plates = section(page, "Richieste Associazione Targa")
    await plates.get_by_role("link", name="Nuova Targa").click()
    await expect(page.get_by_role("heading", name="Nuova Targa", level=1)).to_be_visible()
    await choose(page, "Tipo di targa", "Targa italiana")
    await page.get_by_label("Targa", exact=True).fill(plate.lower())
    await page.get_by_label("Conferma targa", exact=True).fill(plate)
    await page.get_by_label("Marca", exact=True).fill(make)
    await page.get_by_label("Modello", exact=True).fill(model)
    await page.get_by_label("Alimentazione", exact=True).select_option(label=fuel)
    await choose(page, "Il veicolo è intestato a me", "Sì")
    await page.get_by_label("Libretto di circolazione", exact=True).set_input_files(
        files=registration_document(plate, fuel)
    )
    await page.get_by_role("button", name="Invia Richiesta").click()
    await expect(page).to_have_url(re.compile(r"/dashboard#targhe$"))
    await expect(plates.get_by_text("La richiesta di associazione targa è stata inviata")).to_be_visible()


async def open_from_queue(operator: Page, queue: str, row_text: str) -> None:
    """Console → a queue → the request in the row that shows ``row_text``."""
    await operator.goto("/operatore")
    await operator.get_by_role("link", name=queue, exact=True).click()
    await expect(operator.get_by_role("heading", name=queue, level=1)).to_be_visible()
    row = operator.get_by_role("row").filter(has_text=row_text)
    await reload_until(operator, quickly(row))  # the citizen's data arrive by event
    await row.get_by_role("link", name=re.compile(r"^Apri")).click()


async def expect_previews_drawn(operator: Page, count: int) -> None:
    previews = operator.get_by_role("img", name=re.compile(r"^Anteprima di "))
    await expect(previews).to_have_count(count)
    for n in range(count):
        preview = previews.nth(n)
        await preview.scroll_into_view_if_needed()  # loading="lazy"
        await operator.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=await preview.element_handle()
        )


async def approve_plate(operator: Page, plate: str, *, electric: bool) -> None:
    await open_from_queue(operator, "Targhe da verificare", plate)
    await expect(operator.get_by_role("heading", level=1)).to_have_text(
        f"Richiesta di associazione della targa {plate}"
    )
    await expect_previews_drawn(operator, 1)
    # Preset from the fuel declared; the operator confirms it against the libretto.
    answer = "Sì" if electric else "No"
    electric_group = operator.get_by_role("group", name="Veicolo elettrico", exact=True)
    await expect(electric_group.get_by_label(answer, exact=True)).to_be_checked()
    await choose(operator, "Veicolo elettrico", answer)
    await operator.get_by_role("button", name="Approva la richiesta").click()
    await expect(
        operator.get_by_text("La richiesta di associazione targa è stata approvata.")
    ).to_be_visible()


async def approve_subscription(operator: Page, plate: str, amount: str) -> None:
    await open_from_queue(operator, "Abbonamenti da verificare", plate)
    await expect(operator.get_by_role("heading", level=1)).to_have_text(
        f"Richiesta di abbonamento per la targa {plate}"
    )
    await expect(operator.get_by_role("main")).to_contain_text(amount)
    await operator.get_by_role("button", name="Approva la richiesta").click()
    await expect(operator.get_by_text("La richiesta di abbonamento è stata approvata.")).to_be_visible()


async def register_and_log_in(page: Page, mailbox: Mailbox) -> Person:
    person = new_person()
    await register(page, mailbox, person)
    await log_in(page, person.email)
    await expect(page).to_have_url(re.compile(r"/dashboard$"))
    return person


async def mail(mailbox: Mailbox, person: Person, subject: str) -> dict:
    return await mailbox.wait_for_message(
        to=person.email, subject_contains=subject, timeout_s=EVENT_TIMEOUT_S
    )


# --- the journeys ----------------------------------------------------------------------------


async def test_a_resident_from_registration_to_a_paid_subscription_and_its_receipt(
    page: Page, operator: Page, mailbox: Mailbox, console_errors: list[str]
) -> None:
    person = await register_and_log_in(page, mailbox)
    certifications = section(page, "Richieste Certificazioni")
    subscriptions = section(page, "Richieste Abbonamento")

    # Fasi 5–6: "Nuova Certificazione", the sector preselected from the address.
    await certifications.get_by_role("link", name="Nuova Certificazione").click()
    await expect(page.get_by_role("heading", name="Nuova Certificazione", level=1)).to_be_visible()
    sector = page.get_by_label("Tipo di Autocertificazione", exact=True)

    async def preselected() -> None:  # once certification heard of the citizen (an event)
        await expect(sector).to_have_value(SECTOR_CODE, timeout=1_000)

    await reload_until(page, preselected)
    await expect(sector.locator("option:checked")).to_have_text(SECTOR_NAME)
    await expect(page.get_by_text(re.compile(r"Abbiamo preselezionato il settore"))).to_contain_text(
        "Via San Carlo 15"
    )

    async with page.expect_download() as downloading:
        await page.get_by_role("link", name="Scarica il modulo qui").click()
    form = await downloading.value
    assert form.suggested_filename == "autocertificazione-residenza-s1.pdf"
    form_path = Path(await form.path())
    text = pdf_text(await asyncio.to_thread(form_path.read_bytes))
    assert "DICHIARAZIONE SOSTITUTIVA DI CERTIFICAZIONE" in text
    for expected in (
        f"{person.first_name} {person.last_name}",
        person.tax_code,
        person.birth_date.strftime("%d/%m/%Y"),
        "Via San Carlo",
        SECTOR_CODE,
        SECTOR_NAME,
    ):
        assert expected in text, f"{expected!r} not in the self-certification form:\n{text}"

    await page.get_by_label("Documento d'identità", exact=True).set_input_files(
        files=identity_document(person)
    )
    await page.get_by_label("Autocertificazione di residenza", exact=True).set_input_files(form_path)
    await page.get_by_role("button", name="Invia Richiesta").click()
    await expect(page).to_have_url(re.compile(r"/dashboard#certificazioni$"))
    await expect(certifications.get_by_text("La richiesta di certificazione è stata inviata")).to_be_visible()
    certification_rows = table(page, "Richieste Certificazioni").get_by_role("row")
    await expect(certification_rows).to_have_count(2)  # the header and the request
    await expect(certification_rows.nth(1)).to_contain_text("In attesa di esito")

    # The operator: the queue, the request with its documents previewed, "Approva".
    await open_from_queue(operator, "Certificazioni da verificare", person.tax_code)
    await expect(operator.get_by_role("heading", level=1)).to_contain_text(person.last_name)
    await expect(operator.get_by_role("main")).to_contain_text("Sì, la via di residenza è nel settore")
    await expect_previews_drawn(operator, 2)  # the identity document, the form's one page
    await operator.get_by_role("button", name="Approva la richiesta").click()
    await expect(operator.get_by_text("La richiesta di certificazione è stata approvata.")).to_be_visible()

    approved = await mail(mailbox, person, "Certificazione di residenza approvata")
    assert person.first_name in approved["text"]
    await page.reload()
    await expect(certification_rows.nth(1)).to_contain_text("Approvata")
    await expect(certification_rows.nth(1)).to_contain_text("Valida fino al")

    # Fasi 7–8: two plates; the operator rejects one with a reason and approves the other.
    car, other = new_plate(), new_plate()
    await request_plate(page, car, "Fiat", "Panda", "Benzina")
    await request_plate(page, other, "Lancia", "Ypsilon", "Diesel")
    plate_rows = table(page, "Richieste Associazione Targa").get_by_role("row")
    for plate in (car, other):
        await expect(plate_rows.filter(has_text=plate)).to_contain_text("In attesa di esito")

    reason = "Il libretto allegato non è leggibile: allegane una scansione completa."
    await open_from_queue(operator, "Targhe da verificare", other)
    await expect_previews_drawn(operator, 1)
    await operator.get_by_label("Motivo del rifiuto", exact=True).fill(reason)
    await operator.get_by_role("button", name="Rifiuta la richiesta").click()
    await expect(
        operator.get_by_text("La richiesta di associazione targa è stata rifiutata.")
    ).to_be_visible()
    await approve_plate(operator, car, electric=False)

    rejected = await mail(mailbox, person, "Associazione targa non approvata")
    assert other in rejected["text"]
    assert reason in rejected["text"]
    await mail(mailbox, person, "Targa associata")
    await page.reload()
    await expect(plate_rows.filter(has_text=other)).to_contain_text("Rifiutata")
    await expect(plate_rows.filter(has_text=other)).to_contain_text(f"Motivo: {reason}")
    await expect(plate_rows.filter(has_text=car)).to_contain_text("Approvata")
    associated = table(page, "Targhe Associate")
    await expect(associated.get_by_role("row").filter(has_text=car)).to_contain_text("Fiat Panda")
    await expect(associated.get_by_role("row")).to_have_count(2)  # the header and the car
    await expect(associated).not_to_contain_text(other)

    # Fase 10: "Nuova Richiesta": the certification, the plate, the type.
    await subscriptions.get_by_role("link", name="Nuova Richiesta").click()
    await expect(page.get_by_role("heading", name="Nuova Richiesta", level=1)).to_be_visible()
    certification_choice = page.get_by_label("Tipologia di certificazione", exact=True)
    await reload_until(page, quickly(certification_choice))  # both approvals reach it by event
    await select_matching(certification_choice, rf"^{SECTOR_NAME} \({SECTOR_CODE}\), valida fino al ")
    await select_matching(page.get_by_label("Targa", exact=True), rf"^{car} – Fiat Panda$")
    await page.get_by_label("Tipologia di abbonamento", exact=True).select_option(label=RESIDENT_TYPE)
    await page.get_by_role("button", name="Invia Richiesta").click()
    await expect(page).to_have_url(re.compile(r"/dashboard#abbonamenti$"))
    await expect(subscriptions.get_by_text("La richiesta di abbonamento è stata inviata")).to_be_visible()
    request_row = table(page, "Richieste Abbonamento").get_by_role("row").filter(has_text=car)
    await expect(request_row).to_contain_text(RESIDENT_TYPE_NAME)
    await expect(request_row).to_contain_text("In attesa di esito")

    await approve_subscription(operator, car, f"€ {RESIDENT_PRICE}")
    await mail(mailbox, person, "Richiesta di abbonamento approvata")

    # Fase 12: "Paga" in "Azioni"; the checkout cancelled, then paid.
    await page.reload()
    await expect(request_row).to_contain_text("Approvata: in attesa di pagamento")
    start = today_in_rome()
    end = year_later_less_a_day(start)
    period = f"Dal {start:%d/%m/%Y} al {end:%d/%m/%Y}"
    await expect(request_row).to_contain_text(period)
    pay = request_row.get_by_role("button", name=re.compile(rf"^Paga € {RESIDENT_PRICE}"))

    checkout_page = page.get_by_role("heading", name="Pagamento avviso pagoPA")

    async def to_checkout() -> None:  # billing opens the order on the approval's event
        if not await checkout_page.is_visible():
            await pay.click()
        await expect(checkout_page).to_be_visible(timeout=3_000)

    await reload_until(page, to_checkout)
    checkout = page.get_by_role("main")
    await expect(checkout).to_contain_text(f"€ {RESIDENT_PRICE}")
    await expect(checkout).to_contain_text(car)
    await expect(checkout).to_contain_text(person.tax_code)
    await page.get_by_role("button", name="Annulla").click()

    await expect(page).to_have_url(re.compile(r"/abbonamenti/[0-9a-f-]{36}/esito\?esito=annullato$"))
    await expect(page.get_by_role("heading", name="Esito del pagamento", level=1)).to_be_visible()
    await expect(page.get_by_role("status").filter(has_text="Pagamento annullato")).to_be_visible()
    # Billing hears of it from the provider's notification: "Stato" follows on a reload.
    await reload_until(page, quickly(page.get_by_role("definition").filter(has_text="Pagamento annullato")))
    again = page.get_by_role("button", name=re.compile(rf"^Paga € {RESIDENT_PRICE}"))
    await again.click()

    await expect(checkout_page).to_be_visible()
    await page.get_by_label("Numero della carta", exact=True).fill(TEST_CARD)
    await page.get_by_role("button", name=f"Paga € {RESIDENT_PRICE}").click()

    await expect(page).to_have_url(re.compile(r"/abbonamenti/[0-9a-f-]{36}/esito\?esito=ok$"))
    await expect(page.get_by_role("status").filter(has_text="Pagamento completato")).to_be_visible()
    await reload_until(page, quickly(page.get_by_role("main").get_by_text("Pagato", exact=True)))
    await expect(page.get_by_role("button", name=re.compile(r"^Paga "))).to_have_count(0)

    paid = await mail(mailbox, person, "Pagamento ricevuto")
    assert RESIDENT_PRICE in paid["text"]
    active = await mail(mailbox, person, "Abbonamento attivo")
    assert car in active["text"]

    # Fase 14: "Abbonamenti Associati", and the receipt.
    await page.get_by_role("link", name="Torna alla dashboard").click()
    owned = table(page, "Abbonamenti Associati")
    subscription_row = owned.get_by_role("row").filter(has_text=car)
    await reload_until(page, quickly(subscription_row))
    await expect(subscription_row).to_contain_text(f"{RESIDENT_TYPE_NAME} – {SECTOR_NAME}")
    await expect(subscription_row).to_contain_text(period)
    await expect(subscription_row).to_contain_text("Attivo")
    await expect(request_row).to_contain_text("Pagata")
    await expect(request_row.get_by_role("button")).to_have_count(0)

    async with page.expect_download() as downloading:
        await subscription_row.get_by_role("link", name=re.compile(r"^Ricevuta")).click()
    receipt = await downloading.value
    assert receipt.suggested_filename.endswith(".pdf")
    text = pdf_text(await asyncio.to_thread(Path(await receipt.path()).read_bytes))
    assert "Ricevuta di pagamento" in text
    for expected in (car, f"dal {start:%d/%m/%Y} al {end:%d/%m/%Y}", f"€ {RESIDENT_PRICE}", person.tax_code):
        assert expected in text, f"{expected!r} not in the receipt:\n{text}"
    assert console_errors == []


async def test_an_electric_car_from_registration_to_a_free_subscription(
    page: Page, operator: Page, mailbox: Mailbox, console_errors: list[str]
) -> None:
    person = await register_and_log_in(page, mailbox)

    # Fase 8: the plate, declared electric; the operator certifies it electric.
    car = new_plate()
    await request_plate(page, car, "Nissan", "Leaf", "Elettrica")
    await approve_plate(operator, car, electric=True)
    await mail(mailbox, person, "Targa associata")
    await page.reload()
    associated = table(page, "Targhe Associate")
    plate_row = associated.get_by_role("row").filter(has_text=car)
    await expect(plate_row).to_contain_text("Nissan Leaf")
    await expect(plate_row.get_by_role("cell").nth(1)).to_have_text("Sì")  # "Elettrico"

    # Fase 11: "Auto Elettriche", no certification needed.
    quick = page.get_by_role("navigation", name="Collegamenti rapidi")
    await quick.get_by_role("link", name="Auto Elettriche").click()
    await expect(page.get_by_role("heading", name="Auto Elettriche", level=1)).to_be_visible()
    plate_choice = page.get_by_label("Targa", exact=True)
    await reload_until(page, quickly(plate_choice))  # the approval reaches it by event
    await select_matching(plate_choice, rf"^{car} – Nissan Leaf \(elettrico\)$")
    await expect(page.get_by_role("main")).to_contain_text(ELECTRIC_TYPE_NAME)
    await page.get_by_role("button", name="Invia Richiesta").click()
    await expect(page).to_have_url(re.compile(r"/dashboard#abbonamenti$"))
    request_row = table(page, "Richieste Abbonamento").get_by_role("row").filter(has_text=car)
    await expect(request_row).to_contain_text(ELECTRIC_TYPE_NAME)
    await expect(request_row).to_contain_text("In attesa di esito")

    # The seeded electric type is free: approved, it is active at once, with nothing to pay.
    await approve_subscription(operator, car, "Gratuito")
    active = await mail(mailbox, person, "Abbonamento attivo")
    assert car in active["text"]
    assert "Settore: Tutti i settori" in active["text"]
    await page.reload()
    start = today_in_rome()
    period = f"Dal {start:%d/%m/%Y} al {year_later_less_a_day(start):%d/%m/%Y}"
    owned = table(page, "Abbonamenti Associati")
    subscription_row = owned.get_by_role("row").filter(has_text=car)
    await reload_until(page, quickly(subscription_row))
    await expect(subscription_row).to_contain_text(f"{ELECTRIC_TYPE_NAME} – Tutti i settori")
    await expect(subscription_row).to_contain_text(period)
    await expect(subscription_row).to_contain_text("Attivo")
    # Nothing was paid: no "Paga", no receipt, and the request is not said to be paid.
    await expect(request_row).to_contain_text("Approvata: abbonamento gratuito")
    await expect(request_row.get_by_role("button")).to_have_count(0)
    await expect(subscription_row).to_contain_text("Gratuito: nessuna ricevuta")
    await expect(subscription_row.get_by_role("link", name=re.compile(r"^Ricevuta"))).to_have_count(0)
    assert console_errors == []
