"""Fase 14, "Richiedi fattura": the form "Dati per la fattura" prefilled with what billing knows
of the citizen, what is sent to billing (a person's or a company's data), billing's messages
next to their fields, and the window closed or the invoice already issued."""

import html
import re

import httpx
import pytest

REQUEST_ID = "1c9e8d7f-6b5a-4c3d-9e2f-1a0b9c8d7e6f"
PAGE = f"/abbonamenti/{REQUEST_ID}/fattura"
FORM = f"/api/billing/invoices/{REQUEST_ID}/form"
ISSUE = f"/api/billing/invoices/{REQUEST_ID}"
ORDER = f"/api/billing/orders/{REQUEST_ID}"

BUYER = {
    "kind": "person",
    "name": "Mario Rossi",
    "first_name": "Mario",
    "last_name": "Rossi",
    "company_name": None,
    "tax_code": "RSSMRA80A01B963X",
    "vat_number": None,
    "address_street": "Via Roma",
    "address_number": "1",
    "postcode": "81100",
    "municipality": "Caserta",
    "province": "CE",
    "country": "IT",
    "pec": None,
    "recipient_code": None,
}
ELIGIBLE = {
    "eligible": True,
    "deadline": "2026-05-14",
    "reason_code": None,
    "reason_if_not": None,
    "buyer": BUYER,
}
PAID_ORDER = {
    "id": "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b",
    "request_id": REQUEST_ID,
    "description": "Abbonamento Residenti – annuale, settore S1, targa AB123CD, dal 02/05/2026 al 01/05/2027",
    "plate": "AB123CD",
    "amount_cents": 6000,
    "currency": "EUR",
    "due_date": "2026-05-18",
    "status": "paid",
    "status_label": "Pagato",
    "can_pay": False,
    "receipt_available": True,
    "receipt_number": "2026/000017",
    "invoice_available": False,
    "invoice_number": None,
    "invoice_requestable": True,
    "invoice_deadline": "2026-05-14",
    "paid_at": "2026-05-04T10:00:00Z",
    "created_at": "2026-05-03T09:00:01Z",
}
INVOICE = {
    "id": "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e",
    "request_id": REQUEST_ID,
    "number": "FPR 12/2026",
    "issued_at": "2026-05-05T10:00:00Z",
    "issue_date": "2026-05-05",
    "amount_cents": 6000,
    "net_cents": 4918,
    "vat_cents": 1082,
    "vat_rate_percent": 22,
    "currency": "EUR",
    "description": PAID_ORDER["description"],
    "plate": "AB123CD",
    "period": "dal 02/05/2026 al 01/05/2027",
    "paid_at": "2026-05-04T10:00:00Z",
    "receipt_number": "2026/000017",
    "buyer": BUYER,
    "xml_filename": "IT80002410610_0000C.xml",
}
TYPED = {
    "kind": "person",
    "first_name": "Mario",
    "last_name": "Rossi",
    "tax_code": "RSSMRA80A01B963X",
    "person_vat_number": "",
    "company_name": "",
    "vat_number": "",
    "company_tax_code": "",
    "address_street": "Via Roma",
    "address_number": "1",
    "postcode": "81100",
    "municipality": "Caserta",
    "province": "CE",
    "country": "IT",
    "pec": "",
    "recipient_code": "",
}


@pytest.fixture
def billing(gateway):
    gateway.on("GET", FORM, httpx.Response(200, json=ELIGIBLE))
    gateway.on("GET", ORDER, httpx.Response(200, json=PAID_ORDER))
    return gateway


def field_value(page: str, name: str) -> str | None:
    match = re.search(rf'<input type="[a-z]+" id="{name}" name="{name}"[^>]*?value="([^"]*)"', page, re.S)
    return html.unescape(match.group(1)) if match else None


async def send(client, csrf, **changes):
    token = await csrf(PAGE)
    return await client.post(PAGE, data={**TYPED, **changes, "csrf_token": token})


# --- the form --------------------------------------------------------------------------------


async def test_the_form_is_prefilled_with_what_billing_knows_of_the_citizen(
    client, login_as, billing, a11y_problems
):
    await login_as("citizen")
    response = await client.get(PAGE)
    page = html.unescape(response.text)

    assert response.status_code == 200
    assert '<h1 id="titolo-pagina">Dati per la fattura</h1>' in page
    assert "Per la richiesta fattura è necessario compilare i dati mancanti nel seguente form." in page
    for name, value in [
        ("first_name", "Mario"),
        ("last_name", "Rossi"),
        ("tax_code", "RSSMRA80A01B963X"),
        ("address_street", "Via Roma"),
        ("address_number", "1"),
        ("postcode", "81100"),
        ("municipality", "Caserta"),
        ("province", "CE"),
        ("country", "IT"),
        ("pec", ""),
        ("recipient_code", ""),
        ("person_vat_number", ""),
        ("company_name", ""),
        ("vat_number", ""),
    ]:
        assert field_value(page, name) == value, name
    assert re.search(
        r'<legend>Intestatario</legend>.*?id="kind" name="kind" value="person" checked', page, re.S
    )
    assert '<label for="kind">Persona fisica</label>' in page
    assert '<label for="kind-company">Società o ente</label>' in page
    for label in (
        "Nome",
        "Cognome",
        "Codice fiscale",
        "Ragione sociale",
        "Partita IVA",
        "Indirizzo",
        "Numero civico",
        "CAP",
        "Comune",
        "Provincia",
        "Nazione",
        "PEC",
        "Codice destinatario",
    ):
        assert f'class="active">{label}</label>' in page, label
    # What the invoice is of, and until when it may be asked for.
    assert "€ 60,00" in page and "Fattura richiedibile fino al" in page and "14/05/2026" in page
    assert '<button type="submit" class="btn btn-primary">Richiedi fattura</button>' in page
    assert re.search(r'<script defer src="/static/js/fattura\.js\?v=[0-9a-f]{12}"></script>', page)
    assert a11y_problems(response.text) == []


async def test_a_company_known_to_billing_is_prefilled_as_such(client, gateway, login_as, billing):
    await login_as("citizen")
    company = {
        **BUYER,
        "kind": "company",
        "company_name": "Rossi S.r.l.",
        "vat_number": "01234567897",
        "tax_code": "01234567897",
    }
    gateway.on("GET", FORM, httpx.Response(200, json={**ELIGIBLE, "buyer": company}))
    page = html.unescape((await client.get(PAGE)).text)
    assert 'id="kind-company" name="kind" value="company" checked' in page
    assert field_value(page, "company_name") == "Rossi S.r.l."
    assert field_value(page, "company_tax_code") == "01234567897"
    assert field_value(page, "tax_code") == ""


async def test_the_script_of_the_form_is_served(client):
    response = await client.get("/static/js/fattura.js")
    assert response.status_code == 200
    assert "data-buyer-kind" in response.text


# --- sending it ------------------------------------------------------------------------------


async def test_a_persons_data_are_sent_and_the_dashboard_says_the_invoice_was_issued(
    client, gateway, login_as, billing, csrf
):
    await login_as("citizen")
    gateway.on("POST", ISSUE, httpx.Response(201, json=INVOICE))
    response = await send(client, csrf, pec="mario.rossi@pec.it", company_name="ignorata")

    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard#abbonamenti-associati"
    assert gateway.body("POST", ISSUE) == {
        "kind": "person",
        "first_name": "Mario",
        "last_name": "Rossi",
        "tax_code": "RSSMRA80A01B963X",
        "address_street": "Via Roma",
        "address_number": "1",
        "postcode": "81100",
        "municipality": "Caserta",
        "province": "CE",
        "country": "IT",
        "pec": "mario.rossi@pec.it",
    }
    assert gateway.calls("POST", ISSUE)[0].headers["authorization"] == "Bearer access-1"
    page = html.unescape((await client.get("/dashboard")).text)
    start = page.index('id="abbonamenti-associati"')
    assert (
        "Fattura n. FPR 12/2026 emessa: la trovi in Abbonamenti Associati e ti è stata inviata per email."
        in page[start:]
    )


async def test_a_companys_data_are_sent_with_its_own_codice_fiscale(client, gateway, login_as, billing, csrf):
    await login_as("citizen")
    gateway.on("POST", ISSUE, httpx.Response(201, json=INVOICE))
    await send(
        client,
        csrf,
        kind="company",
        company_name="Rossi S.r.l.",
        vat_number="01234567897",
        company_tax_code="01234567897",
        recipient_code="ABC1234",
    )
    body = gateway.body("POST", ISSUE)
    assert body["kind"] == "company"
    assert body["company_name"] == "Rossi S.r.l." and body["vat_number"] == "01234567897"
    # The company's, not the person's typed above it.
    assert body["tax_code"] == "01234567897"
    assert "first_name" not in body and "last_name" not in body
    assert body["recipient_code"] == "ABC1234"


async def test_a_professionals_partita_iva_is_sent_as_the_persons(
    client, gateway, login_as, billing, csrf, make_problem
):
    await login_as("citizen")
    gateway.on(
        "POST",
        ISSUE,
        make_problem(
            422,
            "validation_error",
            "Dati non validi.",
            errors=[
                {
                    "field": "vat_number",
                    "code": "invalid_vat_number",
                    "message": "La partita IVA non è valida: ha 11 cifre, l'ultima di controllo.",
                }
            ],
        ),
    )
    response = await send(client, csrf, person_vat_number="01234567890", vat_number="ignorata")
    assert gateway.body("POST", ISSUE)["vat_number"] == "01234567890"
    page = html.unescape(response.text)
    assert re.search(r'id="person_vat_number-error">.*?La partita IVA non è valida', page, re.S)
    assert 'id="vat_number-error"' not in page


async def test_billings_messages_are_next_to_their_fields_and_the_values_stay(
    client, gateway, login_as, billing, csrf, make_problem, a11y_problems
):
    await login_as("citizen")
    gateway.on(
        "POST",
        ISSUE,
        make_problem(
            422,
            "validation_error",
            "I dati inviati non sono validi.",
            errors=[
                {
                    "field": "tax_code",
                    "code": "invalid_tax_code",
                    "message": "Il codice fiscale non è valido.",
                },
                {"field": "postcode", "code": "invalid_postcode", "message": "Il CAP deve avere 5 cifre."},
                {
                    "field": "buyer",
                    "code": "invoice_data_not_accepted",
                    "message": "I dati indicati non sono accettati dalla fattura elettronica.",
                },
            ],
        ),
    )
    response = await send(client, csrf, tax_code="RSSMRA80A01B963Y", postcode="811")
    page = html.unescape(response.text)

    assert response.status_code == 422
    assert re.search(r'id="tax_code-error">.*?Il codice fiscale non è valido\.', page, re.S)
    assert re.search(r'id="postcode-error">.*?Il CAP deve avere 5 cifre\.', page, re.S)
    assert 'aria-invalid="true"' in page
    # A message of no field of the page goes in the summary.
    assert "<li>I dati indicati non sono accettati dalla fattura elettronica.</li>" in page
    assert field_value(page, "tax_code") == "RSSMRA80A01B963Y" and field_value(page, "postcode") == "811"
    assert a11y_problems(response.text) == []


async def test_a_companys_codice_fiscale_refused_is_said_under_the_companys_field(
    client, gateway, login_as, billing, csrf, make_problem
):
    await login_as("citizen")
    message = (
        "Il codice fiscale non è valido: 11 cifre per una società, 16 caratteri per una ditta individuale."
    )
    gateway.on(
        "POST",
        ISSUE,
        make_problem(
            422,
            "validation_error",
            "Dati non validi.",
            errors=[{"field": "tax_code", "code": "invalid_tax_code", "message": message}],
        ),
    )
    response = await send(
        client,
        csrf,
        kind="company",
        company_name="Rossi S.r.l.",
        vat_number="01234567897",
        company_tax_code="123",
    )
    page = html.unescape(response.text)
    assert re.search(rf'id="company_tax_code-error">.*?{re.escape(message)}', page, re.S)
    assert 'id="tax_code-error"' not in page


async def test_the_csrf_token_is_required(client, gateway, login_as, billing):
    await login_as("citizen")
    response = await client.post(PAGE, data=TYPED)
    assert response.status_code == 403
    assert gateway.calls("POST", ISSUE) == []


async def test_billing_not_answering_keeps_what_was_typed(client, gateway, login_as, billing, csrf):
    await login_as("citizen")
    gateway.on("POST", ISSUE, httpx.Response(503))
    response = await send(client, csrf, pec="mario.rossi@pec.it")
    assert response.status_code == 503
    page = html.unescape(response.text)
    assert "Il servizio non è al momento disponibile" in page
    assert field_value(page, "pec") == "mario.rossi@pec.it"


# --- when it cannot be asked for -------------------------------------------------------------


async def test_past_the_window_the_page_says_so_instead_of_the_form(
    client, gateway, login_as, billing, a11y_problems
):
    await login_as("citizen")
    closed = {
        **ELIGIBLE,
        "eligible": False,
        "reason_code": "invoice_window_closed",
        "reason_if_not": "La fattura può essere richiesta entro 10 giorni dalla data di sottoscrizione dell'abbonamento.",
    }
    gateway.on("GET", FORM, httpx.Response(200, json=closed))
    gateway.on("GET", ORDER, httpx.Response(200, json={**PAID_ORDER, "invoice_requestable": False}))
    response = await client.get(PAGE)
    page = html.unescape(response.text)

    assert (
        "La fattura può essere richiesta entro 10 giorni dalla data di sottoscrizione dell'abbonamento."
        in page
    )
    assert "Il termine per la richiesta era il 14/05/2026." in page
    assert '<form method="post" action="/abbonamenti/' not in page
    assert "/fattura/pdf" not in page
    assert a11y_problems(response.text) == []


async def test_an_invoice_already_issued_offers_its_files_instead_of_the_form(
    client, gateway, login_as, billing
):
    await login_as("citizen")
    issued = {
        **ELIGIBLE,
        "eligible": False,
        "reason_code": "invoice_already_issued",
        "reason_if_not": "La fattura di questo abbonamento è già stata emessa.",
    }
    gateway.on("GET", FORM, httpx.Response(200, json=issued))
    gateway.on(
        "GET",
        ORDER,
        httpx.Response(
            200,
            json={
                **PAID_ORDER,
                "invoice_available": True,
                "invoice_number": "FPR 12/2026",
                "invoice_requestable": False,
            },
        ),
    )
    page = html.unescape((await client.get(PAGE)).text)
    assert "La fattura di questo abbonamento è già stata emessa." in page
    assert "n. FPR 12/2026" in page
    assert f'href="/abbonamenti/{REQUEST_ID}/fattura/pdf"' in page
    assert f'href="/abbonamenti/{REQUEST_ID}/fattura/xml"' in page
    assert "Richiedi fattura</button>" not in page


async def test_a_window_closed_while_typing_is_said_without_the_form(
    client, gateway, login_as, billing, csrf, make_problem
):
    await login_as("citizen")
    message = "La fattura può essere richiesta entro 10 giorni dalla data di sottoscrizione dell'abbonamento."
    gateway.on("POST", ISSUE, make_problem(409, "invoice_window_closed", message))
    response = await send(client, csrf)
    page = html.unescape(response.text)
    assert response.status_code == 409
    assert message in page
    assert "Richiedi fattura</button>" not in page
    # Said once, not also as an error of the form.
    assert page.count(message) == 1


async def test_an_order_that_is_not_the_citizens_is_a_page_not_found(client, gateway, login_as, make_problem):
    await login_as("citizen")
    gateway.on("GET", FORM, make_problem(404, "order_not_found", "Ordine di pagamento non trovato."))
    gateway.on("GET", ORDER, make_problem(404, "order_not_found", "Ordine di pagamento non trovato."))
    assert (await client.get(PAGE)).status_code == 404


async def test_staff_accounts_ask_for_no_invoice(client, gateway, login_as):
    await login_as("operator")
    assert (await client.get(PAGE)).status_code == 403
    assert not [r for r in gateway.requests if r.url.path.startswith("/api/billing")]
