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

import re

import pytest
from playwright.async_api import Page, expect

from devtools.mailbox import Mailbox
from tests.e2e.journeys import (
    RESIDENT_PRICE,
    RESIDENT_TYPE,
    RESIDENT_TYPE_NAME,
    SECTOR_CODE,
    SECTOR_NAME,
    approve_plate,
    approve_subscription,
    certify_residence,
    downloaded,
    expect_previews_drawn,
    mail,
    new_plate,
    open_checkout,
    open_from_queue,
    pay_on_checkout,
    pdf_text,
    quickly,
    register_and_log_in,
    reload_until,
    request_plate,
    request_subscription,
    select_matching,
    table,
    today_in_rome,
    year_later_less_a_day,
)

pytestmark = pytest.mark.browser

ELECTRIC_TYPE_NAME = "Auto elettrica – annuale"


# --- the journeys ----------------------------------------------------------------------------


async def test_a_resident_from_registration_to_a_paid_subscription_and_its_receipt(
    page: Page, operator: Page, mailbox: Mailbox, console_errors: list[str]
) -> None:
    person = await register_and_log_in(page, mailbox)

    # Fasi 5–6: "Nuova Certificazione", the sector preselected from the address, the
    # self-certification form the portal fills in, the operator's approval.
    text = await certify_residence(page, operator, mailbox, person)
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
    request_row = await request_subscription(page, car, "Fiat Panda", RESIDENT_TYPE)
    await expect(request_row).to_contain_text(RESIDENT_TYPE_NAME)

    await approve_subscription(operator, car, f"€ {RESIDENT_PRICE}")
    await mail(mailbox, person, "Richiesta di abbonamento approvata")

    # Fase 12: "Paga" in "Azioni"; the checkout cancelled, then paid.
    await page.reload()
    await expect(request_row).to_contain_text("Approvata: in attesa di pagamento")
    start = today_in_rome()
    end = year_later_less_a_day(start)
    period = f"Dal {start:%d/%m/%Y} al {end:%d/%m/%Y}"
    await expect(request_row).to_contain_text(period)
    await open_checkout(page, request_row, RESIDENT_PRICE)
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

    await expect(page.get_by_role("heading", name="Pagamento avviso pagoPA")).to_be_visible()
    await pay_on_checkout(page, RESIDENT_PRICE)

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
    text = pdf_text(await downloaded(receipt))
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
