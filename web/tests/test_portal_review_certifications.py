"""The operators' review of certification requests: the queue, a request with the citizen's
data and the documents previewed, the decision, and the audit trail."""

import html
import json
import re

import httpx
import pytest

from portal.review import ALREADY_DECIDED

ADMIN = "/api/certifications/admin/requests"
SECTORS = "/api/certifications/sectors"
REQUEST_ID = "5b0e1f9a-4c1e-4d0b-9c59-0c0a2a7b9d11"
IDENTITY_DOC = "11111111-2222-4333-8444-555555555555"
SELF_CERT_DOC = "66666666-7777-4888-9999-000000000000"
CITIZEN = {
    "user_id": "7f1c2a4e-8d55-4a8e-9a70-0a5d2d1f3b10",
    "first_name": "Mario",
    "last_name": "Rossi",
    "tax_code": "RSSMRA80A01B963X",
    "email": "mario.rossi@example.it",
    "birth_date": "1980-01-01",
    "birth_place": "Caserta",
    "address_street": "Via Roma",
    "address_number": "1",
    "postcode": "81100",
    "municipality": "Caserta",
    "phone": None,
}
PENDING = {
    "id": REQUEST_ID,
    "user_id": CITIZEN["user_id"],
    "sector_code": "A1",
    "sector_name": "Centro storico",
    "status": "pending",
    "status_label": "In attesa di esito",
    "submitted_at": "2026-03-01T09:00:00Z",
    "decided_at": None,
    "outcome_reason": None,
    "valid_until": None,
    "citizen": CITIZEN,
    "address_in_sector": True,
    "documents": [
        {
            "id": IDENTITY_DOC,
            "field": "identity_document",
            "label": "Documento d'identità",
            "filename": "carta.pdf",
            "content_type": "application/pdf",
            "size": 250_000,
        },
        {
            "id": SELF_CERT_DOC,
            "field": "self_certification",
            "filename": "autocertificazione.pdf",
            "content_type": "application/pdf",
            "size": 1_300_000,
            "pages": 2,
        },
    ],
    "audit": [],
}
REJECTED_BY_ANOTHER = {
    **PENDING,
    "status": "rejected",
    "status_label": "Rifiutata",
    "decided_at": "2026-03-02T10:05:00Z",
    "outcome_reason": "Documento scaduto.",
    "audit": [
        {
            "action": "rejected",
            "actor_id": "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
            "actor_email": "collega@comune.caserta.it",
            "actor_role": "operator",
            "reason": "Documento scaduto.",
            "details": {},
            "at": "2026-03-02T10:05:00Z",
        }
    ],
}
SECTOR_LIST = [
    {"code": "A1", "name": "Centro storico", "description": "", "streets": ["Via Roma"], "active": True},
    {"code": "B2", "name": "Acquaviva", "description": "", "streets": ["Via Acquaviva"], "active": True},
]


def queued(number: int) -> dict:
    """A request as the queue lists it: certification's AdminRequestSummary (the citizen in
    short, no documents, audit nor address check)."""
    summary = {k: v for k, v in PENDING.items() if k not in ("address_in_sector", "documents", "audit")}
    citizen = {k: CITIZEN[k] for k in ("first_name", "last_name", "tax_code", "email")}
    return {**summary, "id": f"5b0e1f9a-4c1e-4d0b-9c59-0c0a2a7b{number:04d}", "citizen": citizen}


def field_error(page: str, name: str) -> str:
    match = re.search(
        rf'<div class="invalid-feedback portal-field-error" id="{name}-error">(.*?)</div>', page, re.S
    )
    assert match, f"no error next to {name}"
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


@pytest.fixture
def pending(gateway):
    gateway.on("GET", f"{ADMIN}/{REQUEST_ID}", httpx.Response(200, json=PENDING))


async def test_the_queue_lists_pending_requests_oldest_first_by_sector_with_pages(
    client, gateway, login_as, make_page, a11y_problems
):
    await login_as("operator")
    gateway.on("GET", SECTORS, make_page(SECTOR_LIST))
    items = [{k: v for k, v in queued(n).items() if v is not None} for n in range(20)]
    gateway.on("GET", ADMIN, make_page(items, total=45, limit=20, offset=20))
    response = await client.get("/operatore/certificazioni", params={"settore": "A1", "pagina": "2"})
    page = html.unescape(response.text)

    assert response.status_code == 200
    call = gateway.calls("GET", ADMIN)[0]
    assert dict(call.url.params) == {"status": "pending", "sector_code": "A1", "limit": "20", "offset": "20"}
    assert call.headers["authorization"] == "Bearer access-1"
    assert '<label for="settore">Settore</label>' in page
    assert '<option value="">Tutti i settori</option>' in page and '<option value="A1" selected>' in page
    assert "45 richieste in attesa per il settore selezionato." in page
    assert page.count(f'href="/operatore/certificazioni/{items[0]["id"]}"') == 1
    assert "Rossi Mario" in page and "RSSMRA80A01B963X" in page and "Centro storico" in page
    assert "Pagina 2 di 3" in page
    assert 'href="?settore=A1&pagina=1">Pagina precedente' in page
    assert 'href="?settore=A1&pagina=3">Pagina successiva' in page
    assert a11y_problems(response.text) == []


async def test_an_empty_queue_says_so_and_the_filter_survives_without_the_catalogue(
    client, gateway, login_as, make_page
):
    await login_as("operator")
    gateway.on("GET", SECTORS, httpx.Response(503))
    gateway.on("GET", ADMIN, make_page([]))
    page = (await client.get("/operatore/certificazioni", params={"settore": "B2"})).text
    assert "Nessuna richiesta in attesa." in page
    assert "Pagina 1 di 1" in page and "Pagina successiva" not in page
    assert '<option value="B2" selected>' in page


async def test_the_request_shows_the_citizen_the_documents_previewed_and_the_decision_forms(
    client, login_as, pending, a11y_problems
):
    await login_as("operator")
    response = await client.get(f"/operatore/certificazioni/{REQUEST_ID}")
    page = html.unescape(response.text)

    assert response.status_code == 200
    for text in (
        "Rossi Mario",
        "RSSMRA80A01B963X",
        "mario.rossi@example.it",
        "01/01/1980",
        "Via Roma 1, 81100 Caserta",
    ):
        assert text in page
    assert "Centro storico (A1)" in page and "Sì, la via di residenza è nel settore" in page
    base = f"/operatore/certificazioni/{REQUEST_ID}/documenti"
    assert (
        f'src="{base}/{IDENTITY_DOC}/anteprima?pagina=1" alt="Anteprima di Documento d\'identità, pagina 1"'
        in page
    )
    # The service says how many pages: each is shown.
    assert (
        f'src="{base}/{SELF_CERT_DOC}/anteprima?pagina=2" alt="Anteprima di Autocertificazione di residenza, pagina 2"'
        in page
    )
    assert f'href="{base}/{IDENTITY_DOC}" download' in page
    assert "carta.pdf (250 KB)" in page and "autocertificazione.pdf (1,3 MB)" in page
    assert f'action="/operatore/certificazioni/{REQUEST_ID}/approva"' in page
    assert f'action="/operatore/certificazioni/{REQUEST_ID}/rifiuta"' in page
    assert '<label for="reason" class="active">Motivo del rifiuto</label>' in page
    assert "Storico delle decisioni" in page and "Nessuna decisione registrata." in page
    assert a11y_problems(response.text) == []


async def test_approving_posts_to_the_service_and_goes_back_to_the_queue(
    client, gateway, login_as, csrf, pending, make_page
):
    await login_as("operator")
    token = await csrf(f"/operatore/certificazioni/{REQUEST_ID}")
    gateway.on(
        "POST", f"{ADMIN}/{REQUEST_ID}/approve", httpx.Response(200, json={**PENDING, "status": "approved"})
    )
    response = await client.post(
        f"/operatore/certificazioni/{REQUEST_ID}/approva", data={"csrf_token": token}
    )

    assert response.status_code == 303 and response.headers["location"] == "/operatore/certificazioni"
    call = gateway.calls("POST", f"{ADMIN}/{REQUEST_ID}/approve")[0]
    assert json.loads(call.content) == {} and call.headers["authorization"] == "Bearer access-1"
    gateway.on("GET", SECTORS, make_page(SECTOR_LIST))
    gateway.on("GET", ADMIN, make_page([]))
    assert (
        "La richiesta di certificazione è stata approvata."
        in (await client.get("/operatore/certificazioni")).text
    )


async def test_rejecting_posts_the_reason(client, gateway, login_as, csrf, pending):
    await login_as("operator")
    token = await csrf(f"/operatore/certificazioni/{REQUEST_ID}")
    gateway.on("POST", f"{ADMIN}/{REQUEST_ID}/reject", httpx.Response(200, json=REJECTED_BY_ANOTHER))
    response = await client.post(
        f"/operatore/certificazioni/{REQUEST_ID}/rifiuta",
        data={"reason": "  Documento d'identità scaduto.  ", "csrf_token": token},
    )
    assert response.status_code == 303 and response.headers["location"] == "/operatore/certificazioni"
    assert gateway.body("POST", f"{ADMIN}/{REQUEST_ID}/reject") == {"reason": "Documento d'identità scaduto."}


async def test_rejecting_without_a_reason_shows_the_services_message_next_to_the_reason(
    client, gateway, login_as, csrf, pending, make_problem, a11y_problems
):
    await login_as("operator")
    token = await csrf(f"/operatore/certificazioni/{REQUEST_ID}")
    gateway.on(
        "POST",
        f"{ADMIN}/{REQUEST_ID}/reject",
        make_problem(
            422,
            "validation_failed",
            "Controlla i dati inseriti.",
            [{"field": "reason", "code": "required", "message": "Indica il motivo del rifiuto."}],
        ),
    )
    response = await client.post(
        f"/operatore/certificazioni/{REQUEST_ID}/rifiuta", data={"reason": " ", "csrf_token": token}
    )

    assert response.status_code == 422
    assert gateway.body("POST", f"{ADMIN}/{REQUEST_ID}/reject") == {"reason": ""}
    assert field_error(response.text, "reason") == "Indica il motivo del rifiuto."
    assert 'aria-describedby="reason-help reason-error" aria-invalid="true"' in response.text
    assert a11y_problems(response.text) == []


@pytest.mark.parametrize("action, path", [("approva", "approve"), ("rifiuta", "reject")])
async def test_a_request_another_operator_decided_first_shows_the_message_and_the_current_state(
    client, login_as, csrf, pending, decided_first, action, path
):
    await login_as("operator")
    token = await csrf(f"/operatore/certificazioni/{REQUEST_ID}")
    decided_first(f"{ADMIN}/{REQUEST_ID}", REJECTED_BY_ANOTHER, path)
    response = await client.post(
        f"/operatore/certificazioni/{REQUEST_ID}/{action}", data={"reason": "Motivo", "csrf_token": token}
    )
    page = html.unescape(response.text)

    assert response.status_code == 409
    assert ALREADY_DECIDED in page
    assert '<span class="badge bg-danger">Rifiutata</span>' in page
    assert "La richiesta è già stata decisa: <strong>Rifiutata</strong>." in page
    assert "/approva" not in page and "/rifiuta" not in page
    trail = page[page.index('id="titolo-storico"') :]
    assert re.search(
        r"02/03/2026 11:05</th>\s*<td>Rifiutata</td>\s*<td>collega@comune.caserta.it \(Operatore\)</td>\s*"
        r"<td>Documento scaduto.</td>",
        trail,
    )


async def test_previews_and_documents_are_streamed_through_the_portal_with_their_headers(
    client, gateway, login_as
):
    await login_as("operator")
    base = f"{ADMIN}/{REQUEST_ID}/documents/{SELF_CERT_DOC}"
    gateway.on(
        "GET",
        f"{base}/preview",
        httpx.Response(200, content=b"\x89PNG\r\n\x1a\n page 2", headers={"content-type": "image/png"}),
    )
    gateway.on(
        "GET",
        base,
        httpx.Response(
            200,
            content=b"%PDF-1.7 whole",
            headers={
                "content-type": "application/pdf",
                "content-disposition": 'attachment; filename="auto.pdf"',
            },
        ),
    )
    preview = await client.get(
        f"/operatore/certificazioni/{REQUEST_ID}/documenti/{SELF_CERT_DOC}/anteprima?pagina=2"
    )
    assert preview.status_code == 200 and preview.content == b"\x89PNG\r\n\x1a\n page 2"
    assert preview.headers["content-type"] == "image/png"
    assert preview.headers["x-content-type-options"] == "nosniff"
    assert preview.headers["content-disposition"] == "inline"
    assert gateway.calls("GET", f"{base}/preview")[0].url.params["page"] == "2"

    document = await client.get(f"/operatore/certificazioni/{REQUEST_ID}/documenti/{SELF_CERT_DOC}")
    assert document.content == b"%PDF-1.7 whole"
    assert document.headers["content-type"] == "application/pdf"
    assert document.headers["content-disposition"] == 'attachment; filename="auto.pdf"'
    assert document.headers["x-content-type-options"] == "nosniff"
    # Opened on its own, an uploaded file runs nothing in the portal's origin.
    assert document.headers["content-security-policy"] == "sandbox; default-src 'none'"


async def test_a_request_or_document_the_service_does_not_know_is_the_404_page(
    client, gateway, login_as, make_problem
):
    await login_as("operator")
    gateway.on("GET", f"{ADMIN}/{REQUEST_ID}", make_problem(404, "not_found", "Richiesta non trovata."))
    gateway.on("GET", f"{ADMIN}/{REQUEST_ID}/documents/{IDENTITY_DOC}", make_problem(404, "not_found", "No."))
    for path in (
        f"/operatore/certificazioni/{REQUEST_ID}",
        f"/operatore/certificazioni/{REQUEST_ID}/documenti/{IDENTITY_DOC}",
        "/operatore/certificazioni/non-un-id",
    ):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert "Pagina non trovata" in response.text


OPERATOR_PAGES = [
    ("GET", "/operatore/certificazioni"),
    ("GET", f"/operatore/certificazioni/{REQUEST_ID}"),
    ("GET", f"/operatore/certificazioni/{REQUEST_ID}/documenti/{IDENTITY_DOC}"),
    ("GET", f"/operatore/certificazioni/{REQUEST_ID}/documenti/{IDENTITY_DOC}/anteprima?pagina=1"),
    ("POST", f"/operatore/certificazioni/{REQUEST_ID}/approva"),
    ("POST", f"/operatore/certificazioni/{REQUEST_ID}/rifiuta"),
]


@pytest.mark.parametrize("method, path", OPERATOR_PAGES)
async def test_citizens_are_refused_and_nothing_reaches_the_service(
    client, gateway, login_as, csrf, method, path
):
    await login_as("citizen")
    data = {"csrf_token": await csrf("/profilo"), "reason": "x"} if method == "POST" else None
    response = await client.request(method, path, data=data)
    assert response.status_code == 403 and "Accesso non consentito" in response.text
    assert not [r for r in gateway.requests if r.url.path.startswith("/api/certifications")]


async def test_a_page_number_that_is_not_one_or_past_the_end_is_an_error_page_not_json(
    client, gateway, login_as, make_problem
):
    await login_as("operator")
    response = await client.get("/operatore/certificazioni", params={"pagina": "due"})
    assert response.status_code == 400 and "Richiesta non valida" in response.text
    gateway.on("GET", ADMIN, make_problem(422, "validation_failed", "offset troppo grande"))
    response = await client.get("/operatore/certificazioni", params={"pagina": "999999999"})
    assert response.status_code == 404 and "Pagina non trovata" in response.text


async def test_a_refusal_of_the_service_no_page_expected_is_its_error_page(
    client, gateway, login_as, make_problem
):
    await login_as("admin")
    gateway.on("GET", "/api/certifications/admin/sectors", make_problem(403, "forbidden", "Non consentito."))
    response = await client.get("/operatore/settori")
    assert response.status_code == 403
    assert "Il tuo account non ha i permessi per questa operazione." in response.text
