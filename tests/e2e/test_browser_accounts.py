"""Fasi 1-4 in a real browser, through the real gateway: registration with the OTP read from the
mail catcher, login, dashboard, logout, the errors a citizen can meet, the resume link, the
expiry of the registration session, password recovery and the operator console.

Fields are found by their labels and buttons by their role and name, as a person finds them.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from devtools.mailbox import Mailbox
from devtools.teststack import Stack
from tests.e2e.journeys import (
    LOGIN_LINK,
    PASSWORD,
    PRIVACY_LABEL,
    Person,
    create_operator,
    fill_details,
    fill_first_step,
    log_in,
    log_out,
    new_person,
    otp_in,
    register,
    registration_email,
    start_registration,
)

pytestmark = pytest.mark.browser

SECTIONS = ["Richieste Certificazioni", "Richieste Associazione Targa", "Richieste Abbonamento"]
RESUME_URL = re.compile(r"https?://\S+/registrazione/[0-9a-f-]{36}\?t=\S+")
RESET_URL = re.compile(r"https?://\S+/password/reimposta\?t=\S+")


@pytest.fixture(scope="module")
async def short_stack(make_stack) -> AsyncIterator[Stack]:
    """A second platform whose registration sessions last seconds, not ten minutes, and where
    a new OTP may be asked for at once."""
    overrides = {"identity": {"REGISTRATION_TTL_S": "6", "OTP_RESEND_INTERVAL_S": "0"}}
    async with make_stack(overrides) as running:
        yield running


async def error_of(page: Page, label: str) -> str:
    """The message tied to the field ``label`` by aria-describedby (the field is invalid)."""
    field = page.get_by_label(label, exact=True)
    await expect(field).to_have_attribute("aria-invalid", "true")
    described = (await field.get_attribute("aria-describedby") or "").split()
    errors = [i for i in described if i.endswith("-error")]
    assert errors, f"{label}: no error message tied to the field"
    return (await page.locator(f"#{errors[0]}").inner_text()).strip()


async def expect_error_summary_focused(page: Page) -> None:
    summary = page.get_by_role("alert").filter(has_text="Controlla i dati inseriti")
    await expect(summary).to_be_visible()
    await expect(summary).to_be_focused()


def csp_violations(console_errors: list[str]) -> list[str]:
    return [e for e in console_errors if "Content Security Policy" in e or e.startswith("JavaScript:")]


# --- the tests --------------------------------------------------------------------------


async def test_citizen_registers_logs_in_sees_the_dashboard_and_logs_out(
    page: Page, mailbox: Mailbox, console_errors: list[str]
) -> None:
    person = new_person()
    await start_registration(page, person)

    # The anagrafica step: advice, resume note, a running countdown.
    await expect(
        page.get_by_text("Non chiudere la pagina fino al completamento della registrazione")
    ).to_be_visible()
    await expect(page.get_by_text(re.compile("riprendere la procedura cliccando sul link"))).to_be_visible()
    timer = page.get_by_role("timer")
    first = await timer.inner_text()
    assert re.fullmatch(r"(09|10):\d\d", first), first
    await expect(timer).not_to_have_text(first, timeout=3000)

    otp = otp_in(await registration_email(mailbox, person))
    await fill_details(page, person, otp)
    await page.get_by_role("button", name="Completa la registrazione").click()

    # Signed in by the registration itself: no password to type again.
    await expect(page).to_have_url(re.compile(r"/dashboard$"))
    await expect(page.get_by_text("Registrazione completata")).to_be_visible()
    await expect(page.get_by_role("banner").get_by_text(person.name)).to_be_visible()
    main = page.get_by_role("main")
    assert await main.get_by_role("heading", level=2).all_inner_texts() == SECTIONS
    quick = page.get_by_role("navigation", name="Collegamenti rapidi")
    for link in ("Certificazione", "Targhe", "Abbonamenti", "Auto Elettriche"):
        await expect(quick.get_by_role("link", name=link, exact=True)).to_be_visible()
    # At the top right: right of the page title, above the first section.
    title, links = (
        await page.get_by_role("main").get_by_role("heading", level=1).bounding_box(),
        await quick.bounding_box(),
    )
    first_section = await main.get_by_role("heading", name=SECTIONS[0]).bounding_box()
    assert links["x"] > title["x"] + title["width"] and links["y"] < first_section["y"]
    for button in ("Nuova Certificazione", "Nuova Targa", "Nuova Richiesta"):
        await expect(main.get_by_role("link", name=button)).to_be_visible()
    await expect(main.get_by_text("Nessuna richiesta presente.")).to_have_count(3)
    await quick.get_by_role("link", name="Targhe", exact=True).click()
    await expect(page).to_have_url(re.compile(r"/dashboard#targhe$"))

    welcome = await mailbox.wait_for_message(to=person.email, subject_contains="Registrazione completata")
    assert person.first_name in welcome["text"]

    await log_out(page)
    await expect(page.get_by_role("link", name=LOGIN_LINK)).to_be_visible()
    await page.goto("/dashboard")
    await expect(page).to_have_url(re.compile(r"/login\?next="))
    await expect(page.get_by_text("Accedi per continuare.")).to_be_visible()
    # The password chosen at the first step logs in.
    await log_in(page, person.email, PASSWORD)
    await expect(page).to_have_url(re.compile(r"/dashboard$"))
    assert csp_violations(console_errors) == []


async def test_wrong_password_gives_the_generic_message(page: Page, mailbox: Mailbox) -> None:
    person = new_person()
    await register(page, mailbox, person)
    await log_out(page)
    await log_in(page, person.email, "Sbagliata123")
    await expect(page.get_by_role("alert")).to_contain_text("Email o password non corretti.")
    await expect(page.get_by_label("Email", exact=True)).to_have_value(person.email)
    await expect(page.get_by_label("Password", exact=True)).to_have_value("")


async def test_an_email_already_registered_is_refused_next_to_the_email_field(
    page: Page, mailbox: Mailbox
) -> None:
    first = new_person()
    await register(page, mailbox, first)
    await log_out(page)
    second = new_person()
    await page.goto("/registrazione")
    await fill_first_step(page, Person(**{**second.__dict__, "email": first.email.upper()}))
    await page.get_by_role("button", name="Registrati").click()

    await expect_error_summary_focused(page)
    assert await error_of(page, "Email") == "L'indirizzo email è già associato a un altro account."
    await expect(page.get_by_label("Codice fiscale", exact=True)).to_have_value(second.tax_code)
    await expect(page.get_by_label("Password", exact=True)).to_have_value("")


async def test_a_codice_fiscale_in_another_registration_is_refused_next_to_its_field(page: Page) -> None:
    first = new_person()
    await start_registration(page, first)  # a live session holds the codice fiscale too
    await page.goto("/registrazione")
    other = new_person()
    await fill_first_step(page, Person(**{**other.__dict__, "tax_code": first.tax_code}))
    await page.get_by_role("button", name="Registrati").click()

    await expect_error_summary_focused(page)
    assert await error_of(page, "Codice fiscale") == "Il codice fiscale è già associato a un altro account."
    await expect(page.get_by_label("Email", exact=True)).to_have_value(other.email)


async def test_a_weak_password_is_explained_next_to_the_password_field(page: Page) -> None:
    person = new_person()
    await page.goto("/registrazione")
    await fill_first_step(page, person, password="soloLettere")
    await page.get_by_role("button", name="Registrati").click()

    await expect_error_summary_focused(page)
    assert "almeno un numero" in await error_of(page, "Password")
    await expect(page.get_by_label("Email", exact=True)).to_have_value(person.email)
    await expect(page.get_by_label("Password", exact=True)).to_have_value("")


async def test_different_confirmation_is_shown_on_conferma_password(page: Page) -> None:
    person = new_person()
    await page.goto("/registrazione")
    await fill_first_step(page, person, confirm=PASSWORD + "x")
    await page.get_by_role("button", name="Registrati").click()
    assert await error_of(page, "Conferma password") == "Le password non coincidono."


async def test_privacy_must_be_accepted(page: Page) -> None:
    person = new_person()
    await page.goto("/registrazione")
    await fill_first_step(page, person, accept_privacy=False)
    await page.get_by_role("button", name="Registrati").click()

    await expect_error_summary_focused(page)
    assert await error_of(page, PRIVACY_LABEL) == "È obbligatorio accettare l'informativa privacy."
    await expect(page.get_by_label("Email", exact=True)).to_have_value(person.email)
    await expect(page.get_by_label("Codice fiscale", exact=True)).to_have_value(person.tax_code)


async def test_privacy_notice_shows_the_version_that_is_accepted(page: Page) -> None:
    await page.goto("/registrazione")
    version = re.search(r"versione ([\w-]+)", await page.get_by_role("main").inner_text()).group(1)
    async with page.expect_popup() as popup_info:
        await page.get_by_role("link", name=re.compile("informativa privacy completa")).click()
    notice = await popup_info.value
    await expect(notice.get_by_role("heading", name="Informativa privacy", level=1)).to_be_visible()
    await expect(notice.get_by_text(f"Versione {version}")).to_be_visible()


async def test_details_that_disagree_with_the_codice_fiscale_are_marked_on_their_field(
    page: Page, mailbox: Mailbox
) -> None:
    person = new_person()
    await start_registration(page, person)
    otp = otp_in(await registration_email(mailbox, person))
    wrong_surname = "Zambrotta" if person.last_name != "Zambrotta" else "Pirlo"
    await fill_details(page, person, otp, Cognome=wrong_surname)
    await page.get_by_role("button", name="Completa la registrazione").click()

    await expect_error_summary_focused(page)
    assert await error_of(page, "Cognome") == "Il cognome non corrisponde al codice fiscale."
    await expect(page.get_by_label("Nome", exact=True)).not_to_have_attribute("aria-invalid", "true")
    # Nothing typed is lost; correcting the field completes the registration.
    await expect(page.get_by_label("Via/Piazza", exact=True)).to_have_value("Via San Carlo")
    await expect(page.get_by_label("Cognome", exact=True)).to_have_value(wrong_surname)
    await page.get_by_label("Cognome", exact=True).fill(person.last_name)
    await page.get_by_role("button", name="Completa la registrazione").click()
    await expect(page.get_by_text("Registrazione completata")).to_be_visible()


async def test_resend_waits_with_a_live_countdown_and_keeps_what_was_typed(page: Page) -> None:
    person = new_person()
    await start_registration(page, person)
    await page.get_by_label("Nome", exact=True).fill(person.first_name)
    await page.get_by_label("Via/Piazza", exact=True).fill("Via Tescione")
    # Identity refuses a new code for a minute: the button waits, the seconds count down.
    resend = page.get_by_role("button", name="Invia di nuovo il codice")
    await expect(resend).to_be_disabled()
    wait = page.get_by_text(re.compile(r"Potrai chiedere un nuovo codice tra \d+ secondi"))
    first = await wait.inner_text()
    await expect(wait).not_to_have_text(first, timeout=3000)
    seconds = [int(re.search(r"(\d+) secondi", t).group(1)) for t in (first, await wait.inner_text())]
    assert 0 < seconds[1] < seconds[0] <= 60, seconds
    await expect(page.get_by_label("Nome", exact=True)).to_have_value(person.first_name)
    await expect(page.get_by_label("Via/Piazza", exact=True)).to_have_value("Via Tescione")


async def test_resend_emails_a_new_code(page: Page, short_stack: Stack, console_errors: list[str]) -> None:
    async with httpx.AsyncClient(timeout=5.0) as client:
        mailbox = Mailbox(client, short_stack.mail_url)
        person = new_person()
        await start_registration(page, person, base=short_stack.url)
        first = await registration_email(mailbox, person)
        await page.get_by_role("button", name="Invia di nuovo il codice").click()
        await expect(page.locator("#otp-status")).to_contain_text(
            f"Ti abbiamo inviato un nuovo codice OTP all'indirizzo {person.email}."
        )
        again = await mailbox.wait_for_message(
            to=person.email, subject_contains="Nuovo codice", newer_than=first["id"]
        )
        assert re.fullmatch(r"\d{6}", otp_in(again))
    assert csp_violations(console_errors) == []  # htmx swapped the status under the strict CSP


async def test_the_link_in_the_email_resumes_the_same_registration_elsewhere(
    page: Page, mailbox: Mailbox, browser: Browser, browser_context_options: dict
) -> None:
    person = new_person()
    await start_registration(page, person)
    registration_path = re.search(r"/registrazione/[0-9a-f-]{36}", page.url).group(0)
    message = await registration_email(mailbox, person)
    link = RESUME_URL.search(message["text"]).group(0)
    assert registration_path in link

    # The page was closed: the link opens the same step in another browser (no cookies).
    await page.close()
    other = await browser.new_context(**browser_context_options)
    try:
        resumed = await other.new_page()
        await resumed.goto(link)
        await expect(resumed.get_by_role("heading", name="Completa la registrazione")).to_be_visible()
        assert registration_path in resumed.url
        await expect(resumed.get_by_role("main")).to_contain_text(person.email)
        await expect(resumed.get_by_role("main")).to_contain_text(person.tax_code)
        assert re.fullmatch(r"\d\d:\d\d", await resumed.get_by_role("timer").inner_text())
        await fill_details(resumed, person, otp_in(message))
        await resumed.get_by_role("button", name="Completa la registrazione").click()
        await expect(resumed.get_by_text("Registrazione completata")).to_be_visible()
        await expect(resumed).to_have_url(re.compile(r"/dashboard$"))
    finally:
        await other.close()


async def test_an_expired_registration_says_so_and_starts_again(page: Page, short_stack: Stack) -> None:
    person = new_person()
    await start_registration(page, person, base=short_stack.url)
    registration_url = page.url

    # The countdown runs out on the page: the message and the way to start again appear.
    expired = page.get_by_role("alert").filter(has_text="La sessione di registrazione è scaduta")
    await expect(expired).to_be_visible(timeout=15_000)
    await expect(page.get_by_role("button", name="Completa la registrazione")).to_be_disabled()

    # Identity says so too: the portal shows its own page (not the form) for that session.
    await page.goto(registration_url)
    await expect(page.get_by_role("heading", name="Sessione di registrazione terminata")).to_be_visible()
    await expect(page.get_by_role("alert")).to_contain_text("La sessione di registrazione è scaduta")
    await page.get_by_role("link", name="Inizia una nuova registrazione").click()
    await expect(page).to_have_url(f"{short_stack.url}/registrazione")

    # The expired session freed the e-mail and the codice fiscale at once.
    await fill_first_step(page, person)
    await page.get_by_role("button", name="Registrati").click()
    await expect(page.get_by_role("heading", name="Completa la registrazione")).to_be_visible()


async def test_password_recovery_through_the_emailed_link(page: Page, mailbox: Mailbox) -> None:
    person = new_person()
    await register(page, mailbox, person)
    await log_out(page)

    await page.goto("/login")
    await page.get_by_role("link", name="Password dimenticata?").click()
    await page.get_by_label("Email", exact=True).fill(person.email)
    await page.get_by_role("button", name="Invia il link").click()
    await expect(
        page.get_by_text("Se l'indirizzo è registrato, riceverai un'email con le istruzioni.")
    ).to_be_visible()

    message = await mailbox.wait_for_message(to=person.email, subject_contains="Recupero della password")
    await page.goto(RESET_URL.search(message["text"]).group(0))
    new_password = "Reggia2026nuova"
    await page.get_by_label("Nuova password", exact=True).fill(new_password)
    await page.get_by_label("Conferma password", exact=True).fill(new_password)
    await page.get_by_role("button", name="Salva la nuova password").click()
    await expect(page.get_by_text("La password è stata aggiornata")).to_be_visible()

    await log_in(page, person.email, new_password)
    await expect(page).to_have_url(re.compile(r"/dashboard$"))
    await log_out(page)
    await log_in(page, person.email, PASSWORD)
    await expect(page.get_by_role("alert")).to_contain_text("Email o password non corretti.")


async def test_unknown_email_gets_the_same_recovery_message(page: Page) -> None:
    await page.goto("/password/dimenticata")
    await page.get_by_label("Email", exact=True).fill(f"nessuno.{uuid.uuid4().hex[:8]}@example.it")
    await page.get_by_role("button", name="Invia il link").click()
    await expect(
        page.get_by_text("Se l'indirizzo è registrato, riceverai un'email con le istruzioni.")
    ).to_be_visible()


async def test_profile_shows_the_registered_details(page: Page, mailbox: Mailbox) -> None:
    person = new_person()
    await register(page, mailbox, person)
    await page.get_by_role("link", name="Profilo").click()
    main = page.get_by_role("main")
    for value in (
        person.first_name,
        person.last_name,
        person.tax_code,
        person.birth_date.strftime("%d/%m/%Y"),
    ):
        await expect(main).to_contain_text(value)
    await page.get_by_label("Telefono", exact=True).fill("3209876543")
    await page.get_by_role("button", name="Salva recapiti").click()
    await expect(page.get_by_text("I tuoi recapiti sono stati aggiornati.")).to_be_visible()
    await expect(page.get_by_label("Telefono", exact=True)).to_have_value("3209876543")


async def test_email_change_with_password_and_the_otp_sent_to_the_new_address(
    page: Page, mailbox: Mailbox
) -> None:
    person = new_person()
    await register(page, mailbox, person)
    await page.get_by_role("link", name="Profilo").click()
    new_email = f"nuovo.{uuid.uuid4().hex[:8]}@example.it"
    await page.get_by_label("Nuova email", exact=True).fill(new_email)
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="Invia codice al nuovo indirizzo").click()
    await expect(
        page.get_by_text(f"Ti abbiamo inviato un codice OTP all'indirizzo {new_email}")
    ).to_be_visible()

    message = await mailbox.wait_for_message(to=new_email, subject_contains="nuovo indirizzo email")
    await page.get_by_label("Codice OTP", exact=True).fill(otp_in(message))
    await page.get_by_role("button", name="Conferma nuova email").click()
    await expect(page.get_by_text("Il tuo indirizzo email è stato aggiornato.")).to_be_visible()
    await expect(page.get_by_role("main")).to_contain_text(new_email)

    await log_out(page)
    await log_in(page, new_email)
    await expect(page).to_have_url(re.compile(r"/dashboard$"))


async def test_operator_finds_a_citizen_and_citizens_cannot_open_the_console(
    page: Page, mailbox: Mailbox, stack: Stack
) -> None:
    citizen = new_person()
    await register(page, mailbox, citizen)
    await page.goto("/operatore")
    await expect(page.get_by_role("heading", name="Accesso non consentito")).to_be_visible()
    await log_out(page)

    operator_email = f"operatore.{uuid.uuid4().hex[:8]}@comune.caserta.it"
    await asyncio.to_thread(create_operator, stack, operator_email, PASSWORD)
    await log_in(page, operator_email)
    await expect(page).to_have_url(re.compile(r"/operatore$"))
    await page.get_by_label("Nome, email o codice fiscale", exact=True).fill(citizen.tax_code)
    await page.get_by_role("button", name="Cerca").click()
    row = page.get_by_role("row").filter(has_text=citizen.tax_code)
    await expect(row).to_contain_text(citizen.email)
    await expect(row).to_contain_text(citizen.last_name)
