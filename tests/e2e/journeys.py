"""Steps a person takes in the portal, shared by the browser tests: a citizen nobody else in
the run has, registration with the OTP read from the mail catcher, login and logout, the
operator account that `make create-operator` would create, and the manual's walk up to an
active paid subscription (certification, plate, request, the operator's approvals, payment on
the sandbox checkout), with what a citizen brings (documents, plates) and reads (PDFs).

Fields are found by their labels and buttons by their role and name, as a person finds them.
The effects that travel as events are waited for within bounds, reloading as a person would.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import os
import random
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from codicefiscale import codicefiscale
from PIL import Image, ImageDraw
from playwright.async_api import Download, Locator, Page, expect
from pypdf import PdfReader

from devtools.mailbox import Mailbox
from devtools.teststack import Stack

PASSWORD = "Caserta2026sosta"
# The header's way in: the manual calls it "login", the portal's header says "Accedi".
LOGIN_LINK = re.compile(r"^(Login|Accedi)$")
PRIVACY_LABEL = "Ho letto e accetto l'informativa privacy"
OTP_LINE = re.compile(r"^\s*(\d{6})\s*$", re.M)
ROME = ZoneInfo("Europe/Rome")
# The example sectors (certification's sectors.example.json): the address that registration
# fills in (fill_details: Via San Carlo 15) is in S1.
SECTOR_CODE = "S1"
SECTOR_NAME = "Settore 1 – Centro storico"
# The example catalogue (subscriptions' subscription_types.example.json).
RESIDENT_TYPE = "Residenti – annuale: € 60,00 per 12 mesi"
RESIDENT_TYPE_NAME = "Residenti – annuale"
RESIDENT_PRICE = "60,00"
TEST_CARD = "4242 4242 4242 4242"
EVENT_TIMEOUT_S = 20  # an event through RabbitMQ, a read model, an e-mail
_PLATE_LETTERS = "ABCDEFGHJKLMNPRSTVWXYZ"  # never I, O, Q, U

_FIRST_NAMES = {
    "F": ["Anna", "Giulia", "Chiara", "Francesca", "Sara", "Elena"],
    "M": ["Marco", "Luca", "Giuseppe", "Antonio", "Paolo", "Davide"],
}
_LAST_NAMES = [
    "Esposito",
    "Russo",
    "Romano",
    "Colombo",
    "Ricci",
    "Marino",
    "Greco",
    "Bruno",
    "Gallo",
    "Conti",
    "De Luca",
    "Costa",
    "Giordano",
    "Mancini",
    "Rizzo",
    "Lombardi",
]
_BIRTHPLACES = ["Caserta", "Napoli", "Marcianise", "Maddaloni", "Aversa"]
_used_tax_codes: set[str] = set()
_sequence = itertools.count(1)


@dataclass(frozen=True)
class Person:
    first_name: str
    last_name: str
    sex: str
    birth_date: date
    birth_place: str
    email: str
    tax_code: str

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


def new_person() -> Person:
    """A citizen nobody else in this run has: own e-mail, own valid codice fiscale."""
    while True:
        sex = random.choice("MF")
        first, last = random.choice(_FIRST_NAMES[sex]), random.choice(_LAST_NAMES)
        born = date(1950, 1, 1) + timedelta(days=random.randrange(365 * 50))
        place = random.choice(_BIRTHPLACES)
        tax_code = codicefiscale.encode(
            lastname=last, firstname=first, gender=sex, birthdate=born.strftime("%d/%m/%Y"), birthplace=place
        )
        if tax_code not in _used_tax_codes:
            _used_tax_codes.add(tax_code)
            break
    slug = re.sub(r"[^a-z]", "", f"{first}.{last}".lower())
    email = f"{slug}.{next(_sequence)}.{uuid.uuid4().hex[:6]}@example.it"
    return Person(first, last, sex, born, place, email, tax_code)


# --- steps a citizen takes --------------------------------------------------------------


async def fill_first_step(
    page: Page,
    person: Person,
    *,
    password: str = PASSWORD,
    confirm: str | None = None,
    accept_privacy: bool = True,
) -> None:
    await page.get_by_label("Email", exact=True).fill(person.email)
    await page.get_by_label("Codice fiscale", exact=True).fill(person.tax_code)
    await page.get_by_label("Password", exact=True).fill(password)
    await page.get_by_label("Conferma password", exact=True).fill(password if confirm is None else confirm)
    if accept_privacy:
        # Bootstrap Italia draws the box on the label: a person clicks the label.
        await page.get_by_text(PRIVACY_LABEL, exact=True).click()
        await expect(page.get_by_label(PRIVACY_LABEL, exact=True)).to_be_checked()


async def start_registration(page: Page, person: Person, base: str = "") -> None:
    """Home → Login → Registrati → first step → anagrafica."""
    await page.goto(f"{base}/")
    await page.get_by_role("link", name=LOGIN_LINK).click()
    await expect(page).to_have_url(re.compile(r"/login$"))
    await page.get_by_role("link", name="Registrati", exact=True).click()
    await expect(page.get_by_role("heading", name="Registrati", level=1)).to_be_visible()
    await fill_first_step(page, person)
    await page.get_by_role("button", name="Registrati").click()
    await expect(page.get_by_role("heading", name="Completa la registrazione")).to_be_visible()


async def fill_details(page: Page, person: Person, otp: str, **wrong: str) -> None:
    """The anagrafica step: sex and birth data are read from the codice fiscale, not typed."""
    values = {
        "Nome": person.first_name,
        "Cognome": person.last_name,
        "Via/Piazza": "Via San Carlo",
        "Numero civico": "15",
        "CAP": "81100",
        "Comune": "Caserta",
        "Telefono": "3331234567",
        "Codice OTP": otp,
    } | wrong
    for label, value in values.items():
        await page.get_by_label(label, exact=True).fill(value)


async def registration_email(mailbox: Mailbox, person: Person, newer_than: int | None = None) -> dict:
    return await mailbox.wait_for_message(
        to=person.email, subject_contains="codice di verifica", newer_than=newer_than, timeout_s=15
    )


def otp_in(message: dict) -> str:
    match = OTP_LINE.search(message["text"])
    assert match, f"no OTP in the e-mail:\n{message['text']}"
    return match.group(1)


async def register(page: Page, mailbox: Mailbox, person: Person) -> None:
    """The whole registration; the citizen ends signed in, in the personal area."""
    await start_registration(page, person)
    otp = otp_in(await registration_email(mailbox, person))
    await fill_details(page, person, otp)
    await page.get_by_role("button", name="Completa la registrazione").click()
    await expect(page).to_have_url(re.compile(r"/dashboard$"))
    await expect(page.get_by_text("Registrazione completata")).to_be_visible()


async def log_in(page: Page, email: str, password: str = PASSWORD) -> None:
    await page.goto("/login")
    await page.get_by_label("Email", exact=True).fill(email)
    await page.get_by_label("Password", exact=True).fill(password)
    await page.get_by_role("button", name="Accedi").click()


async def log_out(page: Page) -> None:
    await page.get_by_role("button", name="Esci").click()
    await expect(page.get_by_text("Sei uscito dall'area personale.")).to_be_visible()


def create_operator(stack: Stack, email: str, password: str) -> None:
    """What `make create-operator` does, against this stack's identity database."""
    env = {**os.environ, **stack.env, **stack.process_env["identity"]}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "identity",
            "create-user",
            "--role",
            "operator",
            "--email",
            email,
            "--password",
            password,
            "--first-name",
            "Operatore",
            "--last-name",
            "Prova",
        ],
        env=env,
        cwd=stack.work_dir,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


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


# --- what a person reads: documents, dates ----------------------------------------------------


def pdf_text(content: bytes) -> str:
    """The PDF's text, its whitespace collapsed (lines wrap anywhere)."""
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())


async def downloaded(download: Download) -> bytes:
    return await asyncio.to_thread(Path(await download.path()).read_bytes)


def today_in_rome() -> date:
    return datetime.now(ROME).date()


def last_day_of(start: date, months: int) -> date:
    """The last day of a period of ``months`` months from ``start``: the day before the same day
    ``months`` later (when that day does not exist, the month's last day)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    try:
        return date(year, month, start.day) - timedelta(days=1)
    except ValueError:  # 31 January + 1 month: until the last day of February
        return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


def year_later_less_a_day(start: date) -> date:
    """The last day of a 12-month period from ``start``."""
    return last_day_of(start, 12)


def period_text(start: date, end: date) -> str:
    """As the dashboard writes a validity: "Dal 01/02/2027 al 31/01/2028"."""
    return f"Dal {start:%d/%m/%Y} al {end:%d/%m/%Y}"


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


async def last_message_id(mailbox: Mailbox, person: Person) -> int:
    """The newest message to ``person`` so far (0: none): what ``mail(newer_than=)`` waits past."""
    messages = await mailbox.messages(to=person.email)
    return messages[0]["id"] if messages else 0


async def mail(mailbox: Mailbox, person: Person, subject: str, newer_than: int | None = None) -> dict:
    return await mailbox.wait_for_message(
        to=person.email, subject_contains=subject, newer_than=newer_than, timeout_s=EVENT_TIMEOUT_S
    )


# --- the page's parts, as a person finds them ---------------------------------------------------


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


# --- the walk to an active subscription: the citizen's steps and the operator's ----------------


async def register_and_log_in(page: Page, mailbox: Mailbox) -> Person:
    """A new citizen, signed in by the registration itself."""
    person = new_person()
    await register(page, mailbox, person)
    return person


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


async def certify_residence(page: Page, operator: Page, mailbox: Mailbox, person: Person) -> str:
    """Fasi 5–6 from the dashboard: "Nuova Certificazione" with the sector preselected from the
    address, the self-certification form the portal fills in (downloaded, then attached), the
    operator's approval, its e-mail, "Approvata" on the dashboard. The form's text is returned."""
    certifications = section(page, "Richieste Certificazioni")
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
    return text


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


async def associate_plate(
    page: Page, operator: Page, mailbox: Mailbox, person: Person, plate: str, make: str, model: str
) -> None:
    """Fasi 7–8: a petrol car's plate requested, approved, in "Targhe Associate"."""
    await request_plate(page, plate, make, model, "Benzina")
    await approve_plate(operator, plate, electric=False)
    await mail(mailbox, person, "Targa associata")
    await page.reload()
    associated = table(page, "Targhe Associate").get_by_role("row").filter(has_text=plate)
    await expect(associated).to_contain_text(f"{make} {model}")


async def request_subscription(page: Page, plate: str, vehicle: str, type_label: str) -> Locator:
    """Fase 10: "Nuova Richiesta" with the certification, the plate and the type; the request's
    row in "Richieste Abbonamento" is returned."""
    subscriptions = section(page, "Richieste Abbonamento")
    await subscriptions.get_by_role("link", name="Nuova Richiesta").click()
    await expect(page.get_by_role("heading", name="Nuova Richiesta", level=1)).to_be_visible()
    certification_choice = page.get_by_label("Tipologia di certificazione", exact=True)
    await reload_until(page, quickly(certification_choice))  # both approvals reach it by event
    await select_matching(certification_choice, rf"^{SECTOR_NAME} \({SECTOR_CODE}\), valida fino al ")
    await select_matching(page.get_by_label("Targa", exact=True), rf"^{plate} – {vehicle}$")
    await page.get_by_label("Tipologia di abbonamento", exact=True).select_option(label=type_label)
    await page.get_by_role("button", name="Invia Richiesta").click()
    await expect(page).to_have_url(re.compile(r"/dashboard#abbonamenti$"))
    await expect(subscriptions.get_by_text("La richiesta di abbonamento è stata inviata")).to_be_visible()
    request_row = table(page, "Richieste Abbonamento").get_by_role("row").filter(has_text=plate)
    await expect(request_row).to_contain_text("In attesa di esito")
    return request_row


async def approve_subscription(operator: Page, plate: str, amount: str) -> None:
    await open_from_queue(operator, "Abbonamenti da verificare", plate)
    await expect(operator.get_by_role("heading", level=1)).to_have_text(
        f"Richiesta di abbonamento per la targa {plate}"
    )
    await expect(operator.get_by_role("main")).to_contain_text(amount)
    await operator.get_by_role("button", name="Approva la richiesta").click()
    await expect(operator.get_by_text("La richiesta di abbonamento è stata approvata.")).to_be_visible()


async def open_checkout(page: Page, request_row: Locator, price: str) -> None:
    """Fase 12: "Paga" in the request's "Azioni", to the sandbox's checkout page."""
    pay = request_row.get_by_role("button", name=re.compile(rf"^Paga € {price}"))
    checkout_page = page.get_by_role("heading", name="Pagamento avviso pagoPA")

    async def to_checkout() -> None:  # billing opens the order on the approval's event
        if not await checkout_page.is_visible():
            await pay.click()
        await expect(checkout_page).to_be_visible(timeout=3_000)

    await reload_until(page, to_checkout)


async def pay_on_checkout(page: Page, price: str) -> None:
    """The test card on the checkout page, back to "Esito del pagamento", until billing says
    "Pagato" (the provider's notification)."""
    await page.get_by_label("Numero della carta", exact=True).fill(TEST_CARD)
    await page.get_by_role("button", name=f"Paga € {price}").click()
    await expect(page).to_have_url(re.compile(r"/abbonamenti/[0-9a-f-]{36}/esito\?esito=ok$"))
    await expect(page.get_by_role("status").filter(has_text="Pagamento completato")).to_be_visible()
    await reload_until(page, quickly(page.get_by_role("main").get_by_text("Pagato", exact=True)))
    await expect(page.get_by_role("button", name=re.compile(r"^Paga "))).to_have_count(0)
