"""`/operatore/fatture`: the invoices by citizen or by period of issue, the PDF and XML of each,
"Esporta CSV" and "Esporta XML (ZIP)" of a period streamed from billing; operators only."""

import html
import re

import httpx
import pytest

INVOICES = "/api/billing/admin/invoices"
CSV = "/api/billing/admin/invoices.csv"
ZIP = "/api/billing/admin/invoices.zip"
REQUEST_ID = "1c9e8d7f-6b5a-4c3d-9e2f-1a0b9c8d7e6f"
CITIZEN = "7f1c2a4e-8d55-4a8e-9a70-0a5d2d1f3b10"
ISSUED = {
    "id": "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e",
    "request_id": REQUEST_ID,
    "number": "FPR 12/2026",
    "issued_at": "2026-05-05T22:30:00Z",
    "issue_date": "2026-05-06",
    "amount_cents": 123450,
    "net_cents": 101189,
    "vat_cents": 22261,
    "vat_rate_percent": 22,
    "currency": "EUR",
    "description": "Abbonamento Residenti – annuale, settore S1, targa AB123CD",
    "plate": "AB123CD",
    "period": "dal 02/05/2026 al 01/05/2027",
    "paid_at": "2026-05-04T10:00:00Z",
    "receipt_number": "2026/000017",
    "buyer": {
        "kind": "company",
        "name": "Rossi S.r.l.",
        "first_name": None,
        "last_name": None,
        "company_name": "Rossi S.r.l.",
        "tax_code": None,
        "vat_number": "01234567897",
        "address_street": "Via Roma",
        "address_number": "1",
        "postcode": "81100",
        "municipality": "Caserta",
        "province": "CE",
        "country": "IT",
        "pec": None,
        "recipient_code": "ABC1234",
    },
    "xml_filename": "IT80002410610_0000C.xml",
    "user_id": CITIZEN,
}


async def test_invoices_of_a_period_are_listed_with_their_files(
    client, gateway, login_as, make_page, a11y_problems
):
    await login_as("operator")
    gateway.on("GET", INVOICES, make_page([ISSUED], total=21))
    response = await client.get("/operatore/fatture", params={"dal": "2026-05-01", "al": "31/05/2026"})
    page = html.unescape(response.text)

    assert response.status_code == 200
    call = gateway.calls("GET", INVOICES)[0]
    assert dict(call.url.params) == {"from": "2026-05-01", "to": "2026-05-31", "limit": "20", "offset": "0"}
    assert call.headers["authorization"] == "Bearer access-1"
    assert '<h1 id="titolo-pagina">Fatture</h1>' in page
    assert '<label for="dal" class="active">Emesse dal giorno</label>' in page
    assert "21 fatture dal 01/05/2026 al 31/05/2026." in page
    assert "FPR 12/2026" in page and "Rossi S.r.l." in page and "P. IVA 01234567897" in page
    assert "€ 1.234,50" in page and "di cui IVA € 222,61" in page
    assert "06/05/2026" in page
    assert f'href="/operatore/fatture/{REQUEST_ID}/pdf">PDF' in page
    assert f'href="/operatore/fatture/{REQUEST_ID}/xml">XML' in page
    assert 'formaction="/operatore/fatture/esporta"' in page and "Esporta CSV" in page
    assert 'formaction="/operatore/fatture/esporta-xml"' in page and "Esporta XML (ZIP)" in page
    assert 'href="?dal=2026-05-01&al=2026-05-31&pagina=2">Pagina successiva' in page
    assert a11y_problems(response.text) == []


async def test_invoices_of_a_citizen_are_asked_by_their_id(client, gateway, login_as, make_page):
    await login_as("admin")
    gateway.on("GET", INVOICES, make_page([ISSUED]))
    page = html.unescape((await client.get("/operatore/fatture", params={"cittadino": CITIZEN})).text)
    assert gateway.calls("GET", INVOICES)[0].url.params["user_id"] == CITIZEN
    assert "1 fattura del cittadino selezionato." in page
    assert 'href="/operatore/fatture">Mostra le fatture di tutti i cittadini' in page


async def test_no_invoice_reads_as_such(client, gateway, login_as, make_page):
    await login_as("operator")
    gateway.on("GET", INVOICES, make_page([]))
    page = (await client.get("/operatore/fatture")).text
    assert "Nessuna fattura trovata." in page


async def test_the_console_leads_to_the_invoices_and_to_a_citizens(
    client, gateway, login_as, make_page, profile_data, account_summary
):
    await login_as("operator")
    gateway.on("GET", "/api/identity/admin/users", make_page([account_summary]))
    page = (await client.get("/operatore", params={"q": "rossi"})).text
    assert '<a href="/operatore/fatture">Fatture</a>' in page
    assert f'href="/operatore/fatture?cittadino={profile_data["user_id"]}">Fatture' in page


async def test_a_period_that_does_not_read_is_said_next_to_its_field(client, gateway, login_as):
    await login_as("operator")
    response = await client.get("/operatore/fatture", params={"dal": "2026-06-01", "al": "2026-05-01"})
    assert response.status_code == 422
    assert re.search(
        r'id="al-error">.*?La data finale precede quella iniziale\.', html.unescape(response.text), re.S
    )
    assert gateway.calls("GET", INVOICES) == []


@pytest.mark.parametrize(
    "path, service_path, content_type, filename, content",
    [
        (
            "/operatore/fatture/esporta",
            CSV,
            "text/csv; charset=utf-8",
            "fatture-2026-05-01-2026-05-31.csv",
            "\ufeffNumero;Data\r\nFPR 12/2026;06/05/2026\r\n".encode(),
        ),
        (
            "/operatore/fatture/esporta-xml",
            ZIP,
            "application/zip",
            "fatture-2026-05-01-2026-05-31.zip",
            b"PK\x03\x04 zip",
        ),
    ],
    ids=["csv", "zip"],
)
async def test_exports_of_a_period_are_streamed_from_billing(
    client, gateway, login_as, path, service_path, content_type, filename, content
):
    await login_as("operator")
    disposition = f'attachment; filename="{filename}"'
    gateway.on(
        "GET",
        service_path,
        httpx.Response(
            200, content=content, headers={"content-type": content_type, "content-disposition": disposition}
        ),
    )
    response = await client.get(path, params={"dal": "2026-05-01", "al": "2026-05-31"})

    assert response.status_code == 200
    assert response.content == content
    assert response.headers["content-type"] == content_type
    assert response.headers["content-disposition"] == disposition
    assert response.headers["x-content-type-options"] == "nosniff"
    call = gateway.calls("GET", service_path)[0]
    assert dict(call.url.params) == {"from": "2026-05-01", "to": "2026-05-31"}
    assert call.headers["authorization"] == "Bearer access-1"


@pytest.mark.parametrize("path", ["/operatore/fatture/esporta", "/operatore/fatture/esporta-xml"])
async def test_an_export_without_a_whole_period_asks_for_it(client, gateway, login_as, make_page, path):
    await login_as("operator")
    response = await client.get(path, params={"al": "2026-05-31"})
    assert response.status_code == 303
    assert response.headers["location"] == "/operatore/fatture?al=2026-05-31"
    assert gateway.calls("GET", CSV) == [] and gateway.calls("GET", ZIP) == []
    gateway.on("GET", INVOICES, make_page([]))
    page = html.unescape((await client.get(response.headers["location"])).text)
    assert "Per esportare le fatture indica il periodo" in page


async def test_a_zip_of_more_than_a_year_is_refused_in_billings_words(
    client, gateway, login_as, make_page, make_problem
):
    await login_as("operator")
    gateway.on(
        "GET",
        ZIP,
        make_problem(
            422,
            "validation_error",
            "Dati non validi.",
            errors=[
                {
                    "field": "to",
                    "code": "period_too_long",
                    "message": "Il periodo può essere al massimo di un anno.",
                }
            ],
        ),
    )
    response = await client.get(
        "/operatore/fatture/esporta-xml", params={"dal": "2025-01-01", "al": "2026-05-31"}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/operatore/fatture?dal=2025-01-01&al=2026-05-31"
    gateway.on("GET", INVOICES, make_page([]))
    page = html.unescape((await client.get(response.headers["location"])).text)
    assert "Il periodo può essere al massimo di un anno." in page


@pytest.mark.parametrize(
    "kind, content_type, filename",
    [
        ("pdf", "application/pdf", "fattura-FPR-12-2026.pdf"),
        ("xml", "application/xml", "IT80002410610_0000C.xml"),
    ],
)
async def test_the_files_of_an_invoice_are_proxied_for_operators(
    client, gateway, login_as, kind, content_type, filename
):
    await login_as("operator")
    disposition = f'attachment; filename="{filename}"'
    gateway.on(
        "GET",
        f"/api/billing/invoices/{REQUEST_ID}/{kind}",
        httpx.Response(
            200, content=b"file", headers={"content-type": content_type, "content-disposition": disposition}
        ),
    )
    response = await client.get(f"/operatore/fatture/{REQUEST_ID}/{kind}")
    assert response.status_code == 200
    assert response.content == b"file"
    assert response.headers["content-type"] == content_type
    assert response.headers["content-disposition"] == disposition


async def test_an_invoice_that_does_not_exist_is_a_page_not_found(client, gateway, login_as, make_problem):
    await login_as("operator")
    gateway.on(
        "GET",
        f"/api/billing/invoices/{REQUEST_ID}/pdf",
        make_problem(404, "invoice_not_found", "Fattura non trovata."),
    )
    assert (await client.get(f"/operatore/fatture/{REQUEST_ID}/pdf")).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/operatore/fatture",
        "/operatore/fatture/esporta?dal=2026-05-01&al=2026-05-31",
        "/operatore/fatture/esporta-xml?dal=2026-05-01&al=2026-05-31",
        f"/operatore/fatture/{REQUEST_ID}/pdf",
        f"/operatore/fatture/{REQUEST_ID}/xml",
    ],
)
async def test_citizens_are_refused(client, gateway, login_as, path):
    await login_as("citizen")
    assert (await client.get(path)).status_code == 403
    assert not [r for r in gateway.requests if r.url.path.startswith("/api/billing")]
