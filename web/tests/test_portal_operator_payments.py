"""`/operatore/pagamenti`: the payments by citizen or by period, their receipts, and "Esporta
CSV" of a period streamed from billing."""

import html
import re

import httpx
import pytest

PAYMENTS = "/api/billing/admin/payments"
CSV = "/api/billing/admin/payments.csv"
REQUEST_ID = "1c9e8d7f-6b5a-4c3d-9e2f-1a0b9c8d7e6f"
CITIZEN = "7f1c2a4e-8d55-4a8e-9a70-0a5d2d1f3b10"
PAID = {
    "id": "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b",
    "request_id": REQUEST_ID,
    "description": "Abbonamento Residenti – annuale, settore S1, targa AB123CD",
    "plate": "AB123CD",
    "amount_cents": 123450,
    "currency": "EUR",
    "due_date": "2026-05-18",
    "notice_number": "301000000000000017",
    "iuv": "01000000000000017",
    "creditor_name": "Comune di Caserta",
    "creditor_tax_code": "80002410610",
    "status": "paid",
    "status_label": "Pagato",
    "can_pay": False,
    "receipt_available": True,
    "receipt_number": "2026/000017",
    "paid_at": "2026-05-03T22:30:00Z",
    "created_at": "2026-05-03T09:00:01Z",
    "user_id": CITIZEN,
    "payer_tax_code": "RSSMRA80A01B963X",
    "payer_name": "Mario Rossi",
    "transaction_id": "tx-1",
}


async def test_payments_of_a_period_are_listed_with_the_amount_in_euro(
    client, gateway, login_as, make_page, a11y_problems
):
    await login_as("operator")
    gateway.on("GET", PAYMENTS, make_page([PAID], total=21))
    response = await client.get("/operatore/pagamenti", params={"dal": "2026-05-01", "al": "31/05/2026"})
    page = html.unescape(response.text)

    assert response.status_code == 200
    assert dict(gateway.calls("GET", PAYMENTS)[0].url.params) == {
        "from": "2026-05-01",
        "to": "2026-05-31",
        "limit": "20",
        "offset": "0",
    }
    assert '<label for="dal" class="active">Pagati dal giorno</label>' in page
    # Typed as dd/mm/yyyy, shown back as the date field reads it.
    assert 'value="2026-05-31"' in page
    assert "21 pagamenti dal 01/05/2026 al 31/05/2026." in page
    # 22:30 UTC on 3 May is already the 4th in Caserta.
    assert "04/05/2026 00:30" in page
    assert "Mario Rossi" in page and "RSSMRA80A01B963X" in page and "€ 1.234,50" in page
    assert f'href="/operatore/pagamenti/{REQUEST_ID}/ricevuta">2026/000017' in page
    assert 'formaction="/operatore/pagamenti/esporta"' in page and "Esporta CSV" in page
    assert 'href="?dal=2026-05-01&al=2026-05-31&pagina=2">Pagina successiva' in page
    assert a11y_problems(response.text) == []


async def test_payments_of_a_citizen_are_asked_by_their_id(client, gateway, login_as, make_page):
    await login_as("operator")
    gateway.on("GET", PAYMENTS, make_page([PAID]))
    page = html.unescape((await client.get("/operatore/pagamenti", params={"cittadino": CITIZEN})).text)
    assert gateway.calls("GET", PAYMENTS)[0].url.params["user_id"] == CITIZEN
    assert "1 pagamento del cittadino selezionato." in page
    assert 'href="/operatore/pagamenti">Mostra i pagamenti di tutti i cittadini' in page
    assert f'<input type="hidden" name="cittadino" value="{CITIZEN}">' in page


async def test_the_console_search_leads_to_a_citizens_payments(
    client, gateway, login_as, make_page, profile_data, account_summary
):
    await login_as("operator")
    gateway.on("GET", "/api/identity/admin/users", make_page([account_summary]))
    page = (await client.get("/operatore", params={"q": "rossi"})).text
    assert f'href="/operatore/pagamenti?cittadino={profile_data["user_id"]}">Pagamenti' in page


@pytest.mark.parametrize(
    "params, field, message",
    [
        ({"dal": "ieri"}, "dal", "Indica una data, ad esempio 01/03/2026."),
        ({"dal": "2026-06-01", "al": "2026-05-01"}, "al", "La data finale precede quella iniziale."),
    ],
)
async def test_a_period_that_does_not_read_is_said_next_to_its_field_and_not_asked(
    client, gateway, login_as, a11y_problems, params, field, message
):
    await login_as("operator")
    response = await client.get("/operatore/pagamenti", params=params)
    assert response.status_code == 422
    assert re.search(rf'id="{field}-error">.*?{message}', html.unescape(response.text), re.S)
    assert gateway.calls("GET", PAYMENTS) == []
    assert a11y_problems(response.text) == []


async def test_esporta_csv_streams_billings_file_of_the_period(client, gateway, login_as):
    await login_as("admin")
    content = "\ufeffNumero ricevuta;Data pagamento;Totale\r\n2026/000017;04/05/2026;1234,50\r\n".encode()
    gateway.on(
        "GET",
        CSV,
        httpx.Response(
            200,
            content=content,
            headers={
                "content-type": "text/csv; charset=utf-8",
                "content-disposition": 'attachment; filename="pagamenti-2026-05-01-2026-05-31.csv"',
            },
        ),
    )
    response = await client.get(
        "/operatore/pagamenti/esporta", params={"dal": "2026-05-01", "al": "2026-05-31"}
    )
    assert response.status_code == 200
    assert response.content == content
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert (
        response.headers["content-disposition"]
        == 'attachment; filename="pagamenti-2026-05-01-2026-05-31.csv"'
    )
    call = gateway.calls("GET", CSV)[0]
    assert dict(call.url.params) == {"from": "2026-05-01", "to": "2026-05-31"}
    assert call.headers["authorization"] == "Bearer access-1"


async def test_esporta_csv_without_a_whole_period_asks_for_it(client, gateway, login_as, make_page):
    await login_as("operator")
    response = await client.get("/operatore/pagamenti/esporta", params={"dal": "2026-05-01"})
    assert response.status_code == 303
    assert response.headers["location"] == "/operatore/pagamenti?dal=2026-05-01"
    assert gateway.calls("GET", CSV) == []
    gateway.on("GET", PAYMENTS, make_page([]))
    page = html.unescape((await client.get(response.headers["location"])).text)
    assert "Per esportare i pagamenti indica il periodo" in page


async def test_the_receipt_of_a_payment_is_proxied_for_operators(client, gateway, login_as):
    await login_as("operator")
    gateway.on(
        "GET",
        f"/api/billing/receipts/{REQUEST_ID}",
        httpx.Response(
            200,
            content=b"%PDF-1.7",
            headers={
                "content-type": "application/pdf",
                "content-disposition": 'attachment; filename="r.pdf"',
            },
        ),
    )
    response = await client.get(f"/operatore/pagamenti/{REQUEST_ID}/ricevuta")
    assert (
        response.content == b"%PDF-1.7"
        and response.headers["content-disposition"] == 'attachment; filename="r.pdf"'
    )


@pytest.mark.parametrize(
    "path",
    [
        "/operatore/pagamenti",
        "/operatore/pagamenti/esporta?dal=2026-05-01&al=2026-05-31",
        f"/operatore/pagamenti/{REQUEST_ID}/ricevuta",
    ],
)
async def test_citizens_are_refused(client, gateway, login_as, path):
    await login_as("citizen")
    assert (await client.get(path)).status_code == 403
    assert not [r for r in gateway.requests if r.url.path.startswith("/api/billing")]
