"""Fasi 9, 12 and 14 on the citizen's side: "Richieste Abbonamento" with "Paga" once approved,
the checkout at the provider and the page it returns to, "Abbonamenti Associati" with the
receipt."""

import html
import re

import httpx
import pytest

REQUESTS = "/api/subscriptions/requests"
SUBSCRIPTIONS = "/api/subscriptions/subscriptions"
REQUEST_ID = "1c9e8d7f-6b5a-4c3d-9e2f-1a0b9c8d7e6f"
ORDER = f"/api/billing/orders/{REQUEST_ID}"
CHECKOUT = f"{ORDER}/checkout"
RECEIPT = f"/api/billing/receipts/{REQUEST_ID}"
PROVIDER_PAGE = "http://127.0.0.1:8000/api/billing/sandbox/checkout/s3ss10n"

APPROVED = {
    "id": REQUEST_ID,
    "kind": "resident",
    "plate": "AB123CD",
    "sector_code": "S1",
    "sector_name": "Centro storico",
    "subscription_type_code": "RES-ANNUALE",
    "subscription_type_name": "Residenti – annuale",
    "status": "approved",
    "status_label": "Approvata: in attesa di pagamento",
    "submitted_at": "2026-05-02T09:00:00Z",
    "decided_at": "2026-05-03T09:00:00Z",
    "outcome_reason": None,
    "amount_cents": 6000,
    "net_cents": 4918,
    "vat_cents": 1082,
    "vat_rate": "22.00",
    "currency": "EUR",
    "amount_label": "€ 60,00",
    "pay_by": "2026-05-18",
    "valid_from": "2026-05-02",
    "valid_until": "2027-05-01",
    "paid_at": None,
    "subscription_id": None,
    "a_field_added_later": {"ignored": True},
}
ORDER_BODY = {
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
    "status": "checkout_started",
    "status_label": "Pagamento in corso",
    "can_pay": True,
    "receipt_available": False,
    "receipt_number": None,
    "paid_at": None,
    "created_at": "2026-05-03T09:00:01Z",
}


def part(page: str, element_id: str) -> str:
    start = page.index(f'id="{element_id}"')
    return html.unescape(page[start : page.index("</section>", start)])


def rows(part: str) -> list[list[str]]:
    body = part[part.index("<tbody>") : part.index("</tbody>")]
    return [
        [
            " ".join(re.sub(r"<[^>]+>", " ", cell).split())
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def order(**changes) -> httpx.Response:
    return httpx.Response(200, json={**ORDER_BODY, **changes})


# --- the dashboard ---------------------------------------------------------------------------


async def test_an_approved_request_has_the_pay_button_with_amount_and_deadline(
    client, gateway, login_as, make_page, a11y_problems
):
    await login_as("citizen")
    rejected = {
        **APPROVED,
        "id": "2d0f9e8a-7c6b-4d5e-8f3a-2b1c0d9e8f7a",
        "status": "rejected",
        "status_label": "Rifiutata",
        "outcome_reason": "La targa risulta già abbonata.",
        "pay_by": None,
    }
    # APPROVED carries a field no service sends yet: the portal must ignore it (off contract).
    gateway.on("GET", REQUESTS, make_page([APPROVED, rejected]), contract=False)
    response = await client.get("/dashboard")
    section = part(response.text, "abbonamenti")

    assert re.findall(r'<th scope="col">([^<]+)</th>', section)[:6] == [
        "Presentata il",
        "Targa",
        "Abbonamento",
        "Stato",
        "Esito",
        "Azioni",
    ]
    assert rows(section) == [
        [
            "02/05/2026",
            "AB123CD",
            "Residenti – annuale",
            "Approvata: in attesa di pagamento",
            "Dal 02/05/2026 al 01/05/2027",
            "Paga € 60,00 l'abbonamento della targa AB123CD entro il 18/05/2026",
        ],
        [
            "02/05/2026",
            "AB123CD",
            "Residenti – annuale",
            "Rifiutata",
            "Motivo: La targa risulta già abbonata.",
            "—",
        ],
    ]
    assert f'<form method="post" action="/abbonamenti/{REQUEST_ID}/paga"' in response.text
    assert a11y_problems(response.text) == []


async def test_a_free_approved_request_has_nothing_to_pay(client, gateway, login_as, make_page):
    await login_as("citizen")
    gateway.on("GET", REQUESTS, make_page([{**APPROVED, "amount_cents": 0}]), contract=False)
    page = (await client.get("/dashboard")).text
    assert "/paga" not in page


async def test_abbonamenti_associati_lists_the_subscriptions_with_the_receipt(
    client, gateway, login_as, make_page, a11y_problems
):
    await login_as("citizen")
    gateway.on(
        "GET",
        SUBSCRIPTIONS,
        make_page(
            [
                {
                    "id": "3e1a0b9c-8d7e-4f6a-9b5c-3c2d1e0f9a8b",
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
                },
                {
                    "id": "4f2b1c0d-9e8f-4a7b-8c6d-4d3e2f1a0b9c",
                    "request_id": "5a3c2d1e-0f9a-4b8c-9d7e-5e4f3a2b1c0d",
                    "plate": "AB123CD",
                    "subscription_type_name": "Residenti – semestrale",
                    "valid_from": "2025-05-02",
                    "valid_until": "2025-11-01",
                    "status": "expired",
                    "status_label": "Scaduto",
                },
                {  # free: nothing was paid, billing has no receipt for it
                    "id": "7c6b5a4f-3e2d-4c1b-9a0f-8e7d6c5b4a39",
                    "request_id": "8d7c6b5a-4f3e-4d2c-8b1a-0f9e8d7c6b5a",
                    "plate": "EL123EC",
                    "sector_code": "*",
                    "sector_name": "Tutti i settori",
                    "subscription_type_name": "Auto elettrica – annuale",
                    "valid_from": "2026-05-02",
                    "valid_until": "2027-05-01",
                    "status": "active",
                    "status_label": "Attivo",
                    "amount_cents": 0,
                },
            ]
        ),
    )
    response = await client.get("/dashboard")
    page = response.text
    associated = part(page, "abbonamenti-associati")

    assert '<h3 id="titolo-abbonamenti-associati" class="h4">Abbonamenti Associati</h3>' in page
    # Inside the subscriptions section, below its requests.
    assert page.index('id="abbonamenti"') < page.index('id="abbonamenti-associati"')
    assert rows(associated) == [
        [
            "AB123CD",
            "Residenti – annuale – Centro storico",
            "Dal 02/05/2026 al 01/05/2027",
            "Attivo",
            "Ricevuta dell'abbonamento della targa AB123CD",
        ],
        [
            "AB123CD",
            "Residenti – semestrale",
            "Dal 02/05/2025 al 01/11/2025",
            "Scaduto",
            "Ricevuta dell'abbonamento della targa AB123CD",
        ],
        [
            "EL123EC",
            "Auto elettrica – annuale – Tutti i settori",
            "Dal 02/05/2026 al 01/05/2027",
            "Attivo",
            "Gratuito: nessuna ricevuta",
        ],
    ]
    assert f'href="/abbonamenti/{REQUEST_ID}/ricevuta"' in associated
    # A free subscription offered "Ricevuta", which led to "Ordine di pagamento non trovato.".
    assert "/abbonamenti/8d7c6b5a-4f3e-4d2c-8b1a-0f9e8d7c6b5a/ricevuta" not in associated
    assert page.count("Nessuna richiesta presente.") == 3
    assert a11y_problems(page) == []


async def test_no_subscription_yet_and_subscriptions_unreadable_read_differently(client, gateway, login_as):
    await login_as("citizen")
    assert "Nessun abbonamento associato." in part(
        (await client.get("/dashboard")).text, "abbonamenti-associati"
    )
    gateway.on("GET", SUBSCRIPTIONS, httpx.Response(503))
    page = (await client.get("/dashboard")).text
    assert "Gli abbonamenti associati non sono al momento disponibili." in part(page, "abbonamenti-associati")
    assert page.count("Nessuna richiesta presente.") == 3


async def test_the_electric_cars_button_leads_to_its_form(client, gateway, login_as):
    await login_as("citizen")
    page = (await client.get("/dashboard")).text
    assert re.search(r'href="/abbonamenti/auto-elettriche">.*?<span>Auto Elettriche</span>', page, re.S)
    gateway.on(
        "GET",
        "/api/subscriptions/options",
        httpx.Response(200, json={"certifications": [], "plates": [], "types": []}),
    )
    electric = await client.get("/abbonamenti/auto-elettriche")
    assert electric.status_code == 200
    assert '<h1 id="titolo-pagina">Auto Elettriche</h1>' in electric.text
    assert "disponibile a breve" not in electric.text


# --- "Paga" ----------------------------------------------------------------------------------


async def test_paga_opens_a_checkout_returning_to_the_portals_own_origin_and_goes_there(
    client, gateway, login_as, csrf, portal_settings
):
    await login_as("citizen")
    gateway.on(
        "POST",
        CHECKOUT,
        httpx.Response(200, json={"redirect_url": PROVIDER_PAGE, "expires_at": "2026-05-03T10:00:00Z"}),
    )
    token = await csrf("/dashboard")
    response = await client.post(f"/abbonamenti/{REQUEST_ID}/paga", data={"csrf_token": token})

    assert response.status_code == 303
    assert response.headers["location"] == PROVIDER_PAGE
    return_url = gateway.body("POST", CHECKOUT)["return_url"]
    assert return_url == f"{portal_settings.public_base_url}/abbonamenti/{REQUEST_ID}/esito"
    assert gateway.calls("POST", CHECKOUT)[0].headers["authorization"] == "Bearer access-1"


@pytest.mark.parametrize(
    "answer, message",
    [
        (
            (404, "order_not_found", "Ordine di pagamento non trovato."),
            "Il pagamento non è ancora disponibile: la richiesta è stata appena approvata.",
        ),
        (
            (
                409,
                "order_expired",
                "Il termine per il pagamento è scaduto: la richiesta non può più essere pagata.",
            ),
            "Il termine per il pagamento è scaduto: la richiesta non può più essere pagata.",
        ),
        (None, "Il servizio di pagamento non è al momento disponibile"),
    ],
    ids=["order-not-open-yet", "expired", "unavailable"],
)
async def test_a_checkout_that_cannot_open_is_explained_in_the_subscriptions_section(
    client, gateway, login_as, csrf, make_problem, answer, message
):
    await login_as("citizen")
    gateway.on("POST", CHECKOUT, make_problem(*answer) if answer else httpx.Response(503))
    token = await csrf("/dashboard")
    response = await client.post(f"/abbonamenti/{REQUEST_ID}/paga", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["location"] == "/dashboard#abbonamenti"
    assert message in part((await client.get("/dashboard")).text, "abbonamenti")


async def test_paga_needs_the_csrf_token(client, gateway, login_as):
    await login_as("citizen")
    response = await client.post(f"/abbonamenti/{REQUEST_ID}/paga", data={})
    assert response.status_code == 403
    assert gateway.calls("POST", CHECKOUT) == []


async def test_the_providers_origin_can_be_allowed_as_a_form_target(gateway):
    from asgi_lifespan import LifespanManager

    from portal.app import create_app
    from portal.settings import PortalSettings

    settings = PortalSettings(
        environment="test",
        log_json=False,
        session_secret="x" * 32,
        payment_provider_origins="https://checkout.provider.example",
    )
    app = create_app(settings, api_transport=httpx.MockTransport(gateway))
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            csp = (await client.get("/")).headers["content-security-policy"]
    assert "form-action 'self' https://checkout.provider.example;" in csp


# --- the page the provider returns to --------------------------------------------------------


@pytest.mark.parametrize(
    "esito, level, message",
    [
        ("ok", "success", "Pagamento completato: l'abbonamento sarà attivo a breve."),
        ("annullato", "warning", "Pagamento annullato: puoi riprovare."),
        ("rifiutato", "danger", "Pagamento non riuscito: puoi riprovare con un altro metodo."),
    ],
)
async def test_the_return_page_says_what_happened_and_shows_billings_status(
    client, gateway, login_as, a11y_problems, esito, level, message
):
    await login_as("citizen")
    status = {"ok": "checkout_started", "annullato": "cancelled", "rifiutato": "failed"}[esito]
    label = {
        "ok": "Pagamento in corso",
        "annullato": "Pagamento annullato",
        "rifiutato": "Pagamento non riuscito",
    }[esito]
    gateway.on("GET", ORDER, order(status=status, status_label=label))
    response = await client.get(f"/abbonamenti/{REQUEST_ID}/esito", params={"esito": esito})
    page = html.unescape(response.text)

    assert response.status_code == 200
    assert f'<div class="alert alert-{level}" role="status">{message}</div>' in page
    assert f'<strong data-order-status="{status}">{label}</strong>' in page
    assert "€ 60,00" in page and "18/05/2026" in page
    retry = f'action="/abbonamenti/{REQUEST_ID}/paga"' in page
    waiting = "la conferma può richiedere qualche secondo" in page
    if esito == "ok":
        # Paid at the provider, not yet confirmed to billing: wait, do not pay twice.
        assert waiting and not retry
        assert f'<a href="/abbonamenti/{REQUEST_ID}/esito?esito=ok">Ricarica la pagina</a>' in page
    else:
        # The button stays: the citizen may try again.
        assert retry and not waiting
        assert 'name="da" value="esito"' in page
    assert "<script>" not in page
    assert a11y_problems(response.text) == []


async def test_once_billing_has_the_payment_the_page_says_so_with_the_receipt(client, gateway, login_as):
    await login_as("citizen")
    gateway.on(
        "GET",
        ORDER,
        order(
            status="paid",
            status_label="Pagato",
            receipt_available=True,
            receipt_number="2026/000017",
            paid_at="2026-05-03T09:05:00Z",
            can_pay=False,
        ),
    )
    page = html.unescape((await client.get(f"/abbonamenti/{REQUEST_ID}/esito?esito=ok")).text)
    assert '<strong data-order-status="paid">Pagato</strong>' in page
    assert "Il pagamento è stato registrato" in page
    assert f'href="/abbonamenti/{REQUEST_ID}/ricevuta">Scarica la ricevuta' in page
    assert "/paga" not in page and "qualche secondo" not in page


async def test_an_expired_order_offers_no_retry(client, gateway, login_as):
    await login_as("citizen")
    gateway.on("GET", ORDER, order(status="expired", status_label="Scaduto", can_pay=False))
    page = (await client.get(f"/abbonamenti/{REQUEST_ID}/esito?esito=annullato")).text
    assert "/paga" not in page


async def test_a_retry_that_cannot_open_comes_back_to_the_return_page(
    client, gateway, login_as, csrf, make_problem
):
    await login_as("citizen")
    gateway.on("GET", ORDER, order(status="failed", status_label="Pagamento non riuscito"))
    gateway.on(
        "POST",
        CHECKOUT,
        make_problem(409, "order_paid", "Questo abbonamento risulta già pagato: non serve pagarlo di nuovo."),
    )
    token = await csrf(f"/abbonamenti/{REQUEST_ID}/esito?esito=rifiutato")
    response = await client.post(f"/abbonamenti/{REQUEST_ID}/paga", data={"csrf_token": token, "da": "esito"})
    assert response.status_code == 303 and response.headers["location"] == f"/abbonamenti/{REQUEST_ID}/esito"
    assert "risulta già pagato" in html.unescape((await client.get(response.headers["location"])).text)


async def test_billing_not_answering_leaves_the_outcome_and_a_reload_link(client, gateway, login_as):
    await login_as("citizen")
    gateway.on("GET", ORDER, httpx.Response(503))
    response = await client.get(f"/abbonamenti/{REQUEST_ID}/esito?esito=ok")
    page = html.unescape(response.text)
    assert response.status_code == 200
    assert "Pagamento completato: l'abbonamento sarà attivo a breve." in page
    assert "Lo stato del pagamento non è al momento disponibile." in page
    assert f'href="/abbonamenti/{REQUEST_ID}/esito?esito=ok">Ricarica la pagina' in page


async def test_an_order_that_is_not_the_citizens_is_a_page_not_found(client, gateway, login_as, make_problem):
    await login_as("citizen")
    gateway.on("GET", ORDER, make_problem(404, "order_not_found", "Ordine di pagamento non trovato."))
    response = await client.get(f"/abbonamenti/{REQUEST_ID}/esito?esito=ok")
    assert response.status_code == 404


async def test_an_unknown_outcome_word_shows_only_billings_status(client, gateway, login_as):
    await login_as("citizen")
    gateway.on("GET", ORDER, order(status="created", status_label="Da pagare"))
    page = html.unescape((await client.get(f"/abbonamenti/{REQUEST_ID}/esito?esito=<b>x</b>")).text)
    assert "<b>x</b>" not in page
    assert 'role="status">Pagamento' not in page
    assert '<strong data-order-status="created">Da pagare</strong>' in page


# --- the receipt -----------------------------------------------------------------------------


async def test_the_receipt_is_streamed_from_billing_with_its_name(client, gateway, login_as):
    await login_as("citizen")
    gateway.on(
        "GET",
        RECEIPT,
        httpx.Response(
            200,
            content=b"%PDF-1.7 ricevuta",
            headers={
                "content-type": "application/pdf",
                "content-disposition": 'attachment; filename="ricevuta-2026-000017.pdf"',
            },
        ),
    )
    response = await client.get(f"/abbonamenti/{REQUEST_ID}/ricevuta")
    assert response.status_code == 200
    assert response.content == b"%PDF-1.7 ricevuta"
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == 'attachment; filename="ricevuta-2026-000017.pdf"'
    assert response.headers["x-content-type-options"] == "nosniff"
    assert gateway.calls("GET", RECEIPT)[0].headers["authorization"] == "Bearer access-1"


async def test_a_receipt_not_yet_available_is_explained_under_abbonamenti_associati(
    client, gateway, login_as, make_problem
):
    await login_as("citizen")
    gateway.on(
        "GET",
        RECEIPT,
        make_problem(404, "receipt_not_available", "La ricevuta sarà disponibile dopo il pagamento."),
    )
    response = await client.get(f"/abbonamenti/{REQUEST_ID}/ricevuta")
    assert response.status_code == 303 and response.headers["location"] == "/dashboard#abbonamenti-associati"
    page = (await client.get("/dashboard")).text
    assert "La ricevuta sarà disponibile dopo il pagamento." in part(page, "abbonamenti-associati")


@pytest.mark.parametrize("path", [f"/abbonamenti/{REQUEST_ID}/esito", f"/abbonamenti/{REQUEST_ID}/ricevuta"])
async def test_staff_accounts_have_no_payments_of_their_own(client, gateway, login_as, path):
    await login_as("operator")
    assert (await client.get(path)).status_code == 403
    assert not [r for r in gateway.requests if r.url.path.startswith("/api/billing")]
