"""Steps a person takes in the portal, shared by the browser tests: a citizen nobody else in
the run has, registration with the OTP read from the mail catcher, login and logout, and the
operator account that `make create-operator` would create.

Fields are found by their labels and buttons by their role and name, as a person finds them.
"""

from __future__ import annotations

import itertools
import os
import random
import re
import subprocess
import sys
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from codicefiscale import codicefiscale
from playwright.async_api import Page, expect

from devtools.mailbox import Mailbox
from devtools.teststack import Stack

PASSWORD = "Caserta2026sosta"
PRIVACY_LABEL = "Ho letto e accetto l'informativa privacy"
OTP_LINE = re.compile(r"^\s*(\d{6})\s*$", re.M)

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
    await page.get_by_role("link", name="Login").click()
    await expect(page).to_have_url(re.compile(r"/login$"))
    await page.get_by_role("link", name="Registrati", exact=True).click()
    await expect(page.get_by_role("heading", name="Registrati", level=1)).to_be_visible()
    await fill_first_step(page, person)
    await page.get_by_role("button", name="Registrati").click()
    await expect(page.get_by_role("heading", name="Completa la registrazione")).to_be_visible()


async def fill_details(page: Page, person: Person, otp: str, **wrong: str) -> None:
    values = {
        "Nome": person.first_name,
        "Cognome": person.last_name,
        "Data di nascita": person.birth_date.isoformat(),
        "Luogo di nascita": person.birth_place,
        "Via/Piazza": "Via San Carlo",
        "Numero civico": "15",
        "CAP": "81100",
        "Comune": "Caserta",
        "Telefono": "3331234567",
        "Codice OTP": otp,
    } | wrong
    for label, value in values.items():
        await page.get_by_label(label, exact=True).fill(value)
    await page.get_by_label("Sesso", exact=True).select_option(person.sex)


async def registration_email(mailbox: Mailbox, person: Person, newer_than: int | None = None) -> dict:
    return await mailbox.wait_for_message(
        to=person.email, subject_contains="codice di verifica", newer_than=newer_than, timeout_s=15
    )


def otp_in(message: dict) -> str:
    match = OTP_LINE.search(message["text"])
    assert match, f"no OTP in the e-mail:\n{message['text']}"
    return match.group(1)


async def register(page: Page, mailbox: Mailbox, person: Person) -> None:
    await start_registration(page, person)
    otp = otp_in(await registration_email(mailbox, person))
    await fill_details(page, person, otp)
    await page.get_by_role("button", name="Completa la registrazione").click()
    await expect(page).to_have_url(re.compile(r"/login$"))
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
