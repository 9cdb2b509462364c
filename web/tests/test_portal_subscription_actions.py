"""Fase 14, "Abbonamenti Associati": the "Azioni" of each subscription, each shown only when it
may be had (the receipt, the ticket, the invoice asked for within its deadline and then its PDF
and XML, the renewal), the serial and a revocation; the documents streamed from their service
with their headers."""

import html
import re

import httpx
import pytest

SUBSCRIPTIONS = "/api/subscriptions/subscriptions"
ORDERS = "/api/billing/orders"
SUBSCRIPTION_ID = "3e1a0b9c-8d7e-4f6a-9b5c-3c2d1e0f9a8b"
REQUEST_ID = "1c9e8d7f-6b5a-4c3d-9e2f-1a0b9c8d7e6f"
TICKET = f"/api/subscriptions/subscriptions/{SUBSCRIPTION_ID}/ticket"
INVOICE_PDF = f"/api/billing/invoices/{REQUEST_ID}/pdf"
INVOICE_XML = f"/api/billing/invoices/{REQUEST_ID}/xml"

ACTIVE = {
    "id": SUBSCRIPTION_ID,
    "request_id": REQUEST_ID,
    "plate_id": "6a1f0c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b",
    "plate": "AB123CD",
    "sector_code": "S1",
    "sector_name": "Centro storico",
    "subscription_type_code": "RES-ANNUALE",
    "subscription_type_name": "Residenti – annuale",
    "valid_from": "2026-05-02",
    "valid_until": "2027-05-01",
    "status": "active",
    "status_label": "Attivo",
    "activated_at": "2026-05-04T10:00:00Z",
    "amount_cents": 6000,
    "serial": "CE-2026-000123",
    "revoked_on": None,
    "revoked_reason": None,
    "ticket_available": True,
    "renewal_available": False,
    # Far ahead: the window opens after today, whatever today is.
    "renewal_opens_on": "2099-04-01",
}
ORDER = {
    "id": "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b",
    "request_id": REQUEST_ID,
    "description": "Abbonamento Residenti – annuale, settore S1, targa AB123CD, dal 02/05/2026 al 01/05/2027",
    "plate": "AB123CD",
    "amount_cents": 6000,
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
    "invoice_available": False,
    "invoice_number": None,
    "invoice_requestable": True,
    "invoice_deadline": "2026-05-14",
    "paid_at": "2026-05-04T10:00:00Z",
    "created_at": "2026-05-03T09:00:01Z",
}


def part(page: str, element_id: str) -> str:
    start = page.index(f'id="{element_id}"')
    return html.unescape(page[start : page.index("</section>", start)])


def actions(page: str) -> list[str]:
    """The "Azioni" of each row of "Abbonamenti Associati", as read aloud."""
    associated = part(page, "abbonamenti-associati")
    body = associated[associated.index("<tbody>") : associated.index("</tbody>")]
    cells = [
        re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)[-1]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]
    return [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in cells]


async def dashboard(client, gateway, make_page, subscriptions, orders=None) -> str:
    gateway.on("GET", SUBSCRIPTIONS, make_page(subscriptions))
    if orders is not None:
        gateway.on("GET", ORDERS, make_page(orders))
    return (await client.get("/dashboard")).text


# --- the dashboard ---------------------------------------------------------------------------


async def test_an_active_paid_subscription_offers_receipt_ticket_and_invoice_with_its_deadline(
    client, gateway, login_as, make_page, a11y_problems
):
    await login_as("citizen")
    page = await dashboard(client, gateway, make_page, [ACTIVE], [ORDER])

    assert actions(page) == [
        "Ricevuta dell'abbonamento della targa AB123CD "
        "Ticket dell'abbonamento della targa AB123CD "
        "Richiedi fattura dell'abbonamento della targa AB123CD entro il 14/05/2026 "
        "Rinnovo dal 01/04/2099"
    ]
    associated = part(page, "abbonamenti-associati")
    assert f'href="/abbonamenti/{SUBSCRIPTION_ID}/ticket"' in associated
    assert f'href="/abbonamenti/{REQUEST_ID}/fattura"' in associated
    # Not yet in its window: no link, the day it opens.
    assert "/rinnova" not in associated
    assert "Contrassegno n. CE-2026-000123" in associated
    # One call for every order of the citizen's.
    assert gateway.calls("GET", ORDERS)[0].url.params["limit"] == "100"
    assert a11y_problems(page) == []


async def test_an_issued_invoice_replaces_the_request_with_its_pdf_and_xml(
    client, gateway, login_as, make_page
):
    await login_as("citizen")
    issued = {
        **ORDER,
        "invoice_available": True,
        "invoice_number": "FPR 12/2026",
        "invoice_requestable": False,
    }
    page = await dashboard(client, gateway, make_page, [ACTIVE], [issued])

    associated = part(page, "abbonamenti-associati")
    assert "Richiedi fattura" not in associated
    assert f'href="/abbonamenti/{REQUEST_ID}/fattura/pdf">Fattura' in associated
    assert f'href="/abbonamenti/{REQUEST_ID}/fattura/xml">XML' in associated
    assert "Fattura n. FPR 12/2026 (PDF) dell'abbonamento della targa AB123CD" in actions(page)[0]


async def test_past_the_invoice_deadline_no_invoice_is_offered(client, gateway, login_as, make_page):
    await login_as("citizen")
    closed = {**ORDER, "invoice_requestable": False}
    page = await dashboard(client, gateway, make_page, [ACTIVE], [closed])
    assert "fattura" not in part(page, "abbonamenti-associati").lower()


async def test_rinnova_is_offered_only_while_the_service_allows_it(client, gateway, login_as, make_page):
    await login_as("citizen")
    renewable = {**ACTIVE, "renewal_available": True, "renewal_opens_on": "2027-04-01"}
    page = await dashboard(client, gateway, make_page, [renewable], [ORDER])
    associated = part(page, "abbonamenti-associati")
    assert f'href="/abbonamenti/{SUBSCRIPTION_ID}/rinnova">Rinnova' in associated
    assert "Rinnovo dal" not in associated


async def test_a_renewal_refused_in_its_window_links_to_why_not_a_rinnova(
    client, gateway, login_as, make_page
):
    await login_as("citizen")
    refused = {**ACTIVE, "renewal_available": False, "renewal_opens_on": "2026-04-01"}
    page = await dashboard(client, gateway, make_page, [refused], [ORDER])
    associated = part(page, "abbonamenti-associati")
    assert f'href="/abbonamenti/{SUBSCRIPTION_ID}/rinnova">Rinnovo non disponibile: perché?' in associated
    assert ">Rinnova<" not in associated


async def test_a_subscription_already_followed_by_its_renewal_offers_no_renewal(
    client, gateway, login_as, make_page
):
    await login_as("citizen")
    renewed = {**ACTIVE, "renewal_opens_on": "2026-04-01"}
    following = {
        **ACTIVE,
        "id": "5b2c1d0e-9f8a-4b7c-8d6e-5f4a3b2c1d0e",
        "request_id": "6c3d2e1f-0a9b-4c8d-9e7f-6a5b4c3d2e1f",
        "valid_from": "2027-05-02",
        "valid_until": "2028-05-01",
        "serial": "CE-2027-000001",
    }
    page = await dashboard(client, gateway, make_page, [following, renewed], [])
    renewal_of_following, renewal_of_renewed = actions(page)
    assert renewal_of_following.endswith("Rinnovo dal 01/04/2099")
    assert "Rinnov" not in renewal_of_renewed


async def test_a_revoked_subscription_says_since_when_and_why_and_offers_no_ticket_nor_renewal(
    client, gateway, login_as, make_page, a11y_problems
):
    await login_as("citizen")
    revoked = {
        **ACTIVE,
        "status": "revoked",
        "status_label": "Revocato",
        "revoked_on": "2026-09-05",
        "revoked_reason": "La targa non è più associata al profilo del titolare.",
        "ticket_available": False,
        "renewal_available": False,
        "renewal_opens_on": "2099-04-01",
    }
    page = await dashboard(client, gateway, make_page, [revoked], [{**ORDER, "invoice_requestable": False}])
    associated = part(page, "abbonamenti-associati")
    assert "Revocato il 05/09/2026: La targa non è più associata al profilo del titolare." in associated
    assert '<span class="badge bg-danger">Revocato</span>' in associated
    assert actions(page) == ["Ricevuta dell'abbonamento della targa AB123CD"]
    assert a11y_problems(page) == []


async def test_an_ended_free_subscription_has_no_action_but_says_it_was_free(
    client, gateway, login_as, make_page
):
    await login_as("citizen")
    ended_free = {
        **ACTIVE,
        "amount_cents": 0,
        "status": "expired",
        "status_label": "Scaduto",
        "ticket_available": False,
        "renewal_opens_on": "2026-04-01",
    }
    page = await dashboard(client, gateway, make_page, [ended_free], [])
    assert actions(page) == ["Gratuito: nessuna ricevuta"]


async def test_billing_not_answering_hides_the_invoices_and_says_so(client, gateway, login_as, make_page):
    await login_as("citizen")
    gateway.on("GET", ORDERS, httpx.Response(503))
    page = await dashboard(client, gateway, make_page, [ACTIVE])
    associated = part(page, "abbonamenti-associati")
    assert "Le fatture non sono al momento consultabili" in associated
    assert "Richiedi fattura" not in associated
    # The rest of the row is there all the same.
    assert "Ricevuta" in associated and "Ticket" in associated


# --- the documents ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path, service_path, content_type, filename",
    [
        (
            f"/abbonamenti/{SUBSCRIPTION_ID}/ticket",
            TICKET,
            "application/pdf",
            "contrassegno-CE-2026-000123.pdf",
        ),
        (f"/abbonamenti/{REQUEST_ID}/fattura/pdf", INVOICE_PDF, "application/pdf", "fattura-FPR-12-2026.pdf"),
        (f"/abbonamenti/{REQUEST_ID}/fattura/xml", INVOICE_XML, "application/xml", "IT80002410610_0000C.xml"),
    ],
    ids=["ticket", "invoice-pdf", "invoice-xml"],
)
async def test_documents_are_streamed_from_their_service_with_its_type_and_name(
    client, gateway, login_as, path, service_path, content_type, filename
):
    await login_as("citizen")
    content = b"%PDF-1.7 documento" if content_type == "application/pdf" else b"<?xml version='1.0'?><p/>"
    disposition = f'attachment; filename="{filename}"'
    gateway.on(
        "GET",
        service_path,
        httpx.Response(
            200, content=content, headers={"content-type": content_type, "content-disposition": disposition}
        ),
    )
    response = await client.get(path)

    assert response.status_code == 200
    assert response.content == content
    assert response.headers["content-type"] == content_type
    assert response.headers["content-disposition"] == disposition
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in response.headers["content-security-policy"]
    assert gateway.calls("GET", service_path)[0].headers["authorization"] == "Bearer access-1"


@pytest.mark.parametrize(
    "path, service_path, answer",
    [
        (
            f"/abbonamenti/{SUBSCRIPTION_ID}/ticket",
            TICKET,
            (
                409,
                "ticket_not_available",
                "Il ticket non è disponibile: l'abbonamento è scaduto il 01/05/2027.",
            ),
        ),
        (
            f"/abbonamenti/{REQUEST_ID}/fattura/pdf",
            INVOICE_PDF,
            (404, "invoice_not_found", "Fattura non trovata."),
        ),
    ],
    ids=["ticket", "invoice"],
)
async def test_a_document_that_cannot_be_had_is_explained_under_abbonamenti_associati(
    client, gateway, login_as, make_problem, path, service_path, answer
):
    await login_as("citizen")
    gateway.on("GET", service_path, make_problem(*answer))
    response = await client.get(path)
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard#abbonamenti-associati"
    page = (await client.get("/dashboard")).text
    assert answer[2] in part(page, "abbonamenti-associati")


async def test_a_ticket_the_service_cannot_produce_now_says_to_retry(client, gateway, login_as):
    await login_as("citizen")
    gateway.on("GET", TICKET, httpx.Response(503))
    response = await client.get(f"/abbonamenti/{SUBSCRIPTION_ID}/ticket")
    assert response.status_code == 303
    page = html.unescape((await client.get("/dashboard")).text)
    assert "Il ticket non è al momento disponibile: riprova tra qualche minuto." in page


@pytest.mark.parametrize(
    "path",
    [
        f"/abbonamenti/{SUBSCRIPTION_ID}/ticket",
        f"/abbonamenti/{REQUEST_ID}/fattura/pdf",
        f"/abbonamenti/{REQUEST_ID}/fattura/xml",
    ],
)
async def test_staff_accounts_have_no_documents_of_their_own(client, gateway, login_as, path):
    await login_as("operator")
    assert (await client.get(path)).status_code == 403
    assert not [r for r in gateway.requests if r.url.path.startswith(("/api/billing", "/api/subscriptions"))]
