"""Registration as issue 13 asks for it, in a real browser through the real gateway: done with
the keyboard alone, sex and birth data filled in from the codice fiscale, every error at once,
the first field near the top of a phone's screen."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from codicefiscale import codicefiscale
from playwright.async_api import Browser, Page, expect

from devtools.mailbox import Mailbox
from tests.e2e.journeys import (
    PASSWORD,
    PRIVACY_LABEL,
    fill_details,
    log_in,
    new_person,
    otp_in,
    register,
    registration_email,
    start_registration,
)

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
MAX_TABS = 80


async def tab_to(page: Page, label: str) -> None:
    """Press Tab until the field labelled ``label`` has the focus, as a keyboard user does."""
    field = page.get_by_label(label, exact=True)
    for _ in range(MAX_TABS):
        await page.keyboard.press("Tab")
        if await field.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{label}: not reached with Tab")


async def tab_to_button(page: Page, name: str) -> None:
    button = page.get_by_role("button", name=name, exact=True)
    for _ in range(MAX_TABS):
        await page.keyboard.press("Tab")
        if await button.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{name}: not reached with Tab")


async def type_into(page: Page, label: str, text: str) -> None:
    await tab_to(page, label)
    await page.keyboard.type(text)


async def test_the_whole_registration_with_the_keyboard_alone(
    page: Page, mailbox: Mailbox, console_errors: list[str]
) -> None:
    person = new_person()
    await page.goto("/registrazione")
    await type_into(page, "Email", person.email)
    await type_into(page, "Codice fiscale", person.tax_code)
    await type_into(page, "Password", PASSWORD)
    await type_into(page, "Conferma password", PASSWORD)
    await tab_to(page, PRIVACY_LABEL)
    await page.keyboard.press("Space")
    await expect(page.get_by_label(PRIVACY_LABEL, exact=True)).to_be_checked()
    await tab_to_button(page, "Registrati")
    await page.keyboard.press("Enter")

    await expect(page.get_by_role("heading", name="Completa la registrazione")).to_be_visible()
    otp = otp_in(await registration_email(mailbox, person))
    await type_into(page, "Nome", person.first_name)
    await type_into(page, "Cognome", person.last_name)
    await type_into(page, "Via/Piazza", "Via San Carlo")
    await type_into(page, "Numero civico", "15")
    await type_into(page, "CAP", "81100")
    await type_into(page, "Codice OTP", otp)
    await page.keyboard.press("Enter")

    await expect(page).to_have_url(re.compile(r"/dashboard$"), timeout=20_000)
    await expect(page.get_by_text("Registrazione completata")).to_be_visible()
    await expect(page.get_by_role("banner").get_by_text(person.name)).to_be_visible()
    assert console_errors == []


async def test_the_codice_fiscale_fills_sex_birth_date_and_place(page: Page, mailbox: Mailbox) -> None:
    base = new_person()
    born_abroad = replace(
        base,
        sex="F",
        first_name="Giulia",
        birth_place="Germania",
        tax_code=codicefiscale.encode(
            lastname=base.last_name,
            firstname="Giulia",
            gender="F",
            birthdate=base.birth_date.isoformat(),
            birthplace="Germania",
        ),
    )
    await start_registration(page, born_abroad)

    derived = page.get_by_role("group", name=re.compile("Dati ricavati dal codice fiscale"))
    await expect(derived).to_contain_text(born_abroad.tax_code)
    shown = dict(
        zip(
            await derived.locator("dt").all_inner_texts(),
            await derived.locator("dd").all_inner_texts(),
            strict=True,
        )
    )
    assert shown == {
        "Sesso": "Femminile",
        "Data di nascita": born_abroad.birth_date.strftime("%d/%m/%Y"),
        "Luogo di nascita": "Germania (Stato estero)",
    }
    for label in ("Sesso", "Data di nascita", "Luogo di nascita"):
        await expect(page.get_by_label(label, exact=True)).to_have_count(0)

    await fill_details(page, born_abroad, otp_in(await registration_email(mailbox, born_abroad)))
    await page.get_by_role("button", name="Completa la registrazione").click()
    await expect(page).to_have_url(re.compile(r"/dashboard$"))
    await page.get_by_role("link", name="Profilo").click()
    main = page.get_by_role("main")
    for value in ("Femminile", born_abroad.birth_date.strftime("%d/%m/%Y"), "Germania"):
        await expect(main).to_contain_text(value)


async def test_every_error_of_each_step_is_shown_at_once(page: Page, mailbox: Mailbox) -> None:
    await page.goto("/registrazione")
    await page.get_by_role("button", name="Registrati").click()
    summary = page.locator("[data-error-summary]")
    await expect(summary).to_be_focused()
    for label in ("Email", "Codice fiscale", "Password", "Conferma password", PRIVACY_LABEL):
        await expect(page.get_by_label(label, exact=True)).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#password-help")).to_contain_text("inseriscila di nuovo")

    person = new_person()
    await start_registration(page, person)
    otp = otp_in(await registration_email(mailbox, person))
    wrong = f"{(int(otp) + 1) % 1_000_000:06d}"
    await fill_details(page, person, wrong, Nome="", CAP="811")
    await page.get_by_role("button", name="Completa la registrazione").click()
    await expect(summary).to_be_focused()
    for label in ("Nome", "CAP", "Codice OTP"):
        await expect(page.get_by_label(label, exact=True)).to_have_attribute("aria-invalid", "true")
    items = await summary.get_by_role("listitem").all_inner_texts()
    assert "Codice OTP non valido. Tentativi rimasti: 4." in items, items
    assert not any(item.startswith("Codice OTP:") for item in items), items


async def test_on_a_phone_the_first_field_is_near_the_top(
    browser: Browser, browser_context_options: dict, mailbox: Mailbox
) -> None:
    context = await browser.new_context(**{**browser_context_options, "viewport": PHONE, "is_mobile": True})
    try:
        page = await context.new_page()
        person = new_person()
        await page.goto("/registrazione")
        email_top = (await page.get_by_label("Email", exact=True).bounding_box())["y"]
        await start_registration(page, person)
        name_top = (await page.get_by_label("Nome", exact=True).bounding_box())["y"]
        print(
            f"\nfirst field at {email_top:.0f} px (step 1) and {name_top:.0f} px (step 2) on a 390 px phone"
        )
        # In the first screen with room for the field itself, below the site's header, the
        # title, the countdown and the advice (it was about 1,100 px down).
        assert name_top < 680, name_top
        assert email_top < PHONE["height"], email_top
    finally:
        await context.close()


async def test_cambia_password_in_the_profile_ends_the_other_logins(
    page: Page, mailbox: Mailbox, browser: Browser, browser_context_options: dict
) -> None:
    person = new_person()
    await register(page, mailbox, person)
    # The same citizen signed in on another device.
    other = await browser.new_context(**browser_context_options)
    try:
        elsewhere = await other.new_page()
        await log_in(elsewhere, person.email)
        await expect(elsewhere).to_have_url(re.compile(r"/dashboard$"))

        await page.get_by_role("link", name="Profilo").click()
        new_password = "Reggia2027nuova"
        await page.get_by_label("Password attuale", exact=True).fill(PASSWORD)
        await page.get_by_label("Nuova password", exact=True).fill(new_password)
        await page.get_by_label("Conferma nuova password", exact=True).fill(new_password)
        await page.get_by_role("button", name="Cambia password").click()
        await expect(page.get_by_text("La password è stata cambiata.")).to_be_visible()

        # This login goes on; the other device's ends at its next page.
        await page.goto("/dashboard")
        await expect(page).to_have_url(re.compile(r"/dashboard$"))
        await elsewhere.goto("/profilo")
        await expect(elsewhere).to_have_url(re.compile(r"/login"), timeout=20_000)
        await log_in(elsewhere, person.email, new_password)
        await expect(elsewhere).to_have_url(re.compile(r"/dashboard$"))
    finally:
        await other.close()
