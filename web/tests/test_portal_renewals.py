"""Fase 14, "Rinnova": the renewal page already filled with the previous subscription's data
(certification, plate, type), the new period and the amount; "Rinnova" sends it; when it may
not be sent, why, and the way to what must be done first."""

import html
import re

import httpx
import pytest

SUBSCRIPTION_ID = "3e1a0b9c-8d7e-4f6a-9b5c-3c2d1e0f9a8b"
CERTIFICATION_ID = "5b0e1f9a-4c1e-4d0b-9c59-0c0a2a7b9d11"
PLATE_ID = "6a1f0c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b"
PAGE = f"/abbonamenti/{SUBSCRIPTION_ID}/rinnova"
OFFER = f"/api/subscriptions/subscriptions/{SUBSCRIPTION_ID}/renewal"
RENEW = f"/api/subscriptions/subscriptions/{SUBSCRIPTION_ID}/renew"
OPTIONS = "/api/subscriptions/options"
SUBSCRIPTIONS = "/api/subscriptions/subscriptions"

AVAILABLE = {
    "subscription_id": SUBSCRIPTION_ID,
    "available": True,
    "opens_on": "2027-04-01",
    "reason_if_not": None,
    "prefill": {
        "certification_id": CERTIFICATION_ID,
        "plate_id": PLATE_ID,
        "subscription_type_code": "RES-ANNUALE",
    },
    "period": {"valid_from": "2027-05-02", "valid_until": "2028-05-01"},
    "amount_cents": 6500,
    "amount_label": "€ 65,00",
}
OPTIONS_BODY = {
    "certifications": [
        {
            "certification_id": CERTIFICATION_ID,
            "sector_code": "S1",
            "sector_name": "Centro storico",
            "valid_from": "2026-03-03",
            "valid_until": "2028-03-02",
            "allowed_type_codes": ["RES-ANNUALE"],
        }
    ],
    "plates": [
        {"plate_id": PLATE_ID, "plate": "AB123CD", "make": "Fiat", "model": "Panda", "electric": False}
    ],
    "types": [
        {
            "code": "RES-ANNUALE",
            "name": "Residenti – annuale",
            "sector_codes": ["S1"],
            "all_sectors": False,
            "duration_months": 12,
            "price_cents": 6500,
        }
    ],
}
SUBSCRIPTION = {
    "id": SUBSCRIPTION_ID,
    "request_id": "1c9e8d7f-6b5a-4c3d-9e2f-1a0b9c8d7e6f",
    "plate": "AB123CD",
    "sector_code": "S1",
    "sector_name": "Centro storico",
    "subscription_type_name": "Residenti – annuale",
    "valid_from": "2026-05-02",
    "valid_until": "2027-05-01",
    "status": "active",
    "serial": "CE-2026-000123",
    "renewal_available": True,
    "renewal_opens_on": "2027-04-01",
}
RENEWAL_REQUEST = {
    "id": "7d6c5b4a-3f2e-4d1c-8b0a-9f8e7d6c5b4a",
    "kind": "renewal",
    "plate": "AB123CD",
    "status": "pending",
    "status_label": "In attesa di esito",
    "submitted_at": "2027-04-10T09:00:00Z",
    "valid_from": "2027-05-02",
    "valid_until": "2028-05-01",
    "renewal_of": SUBSCRIPTION_ID,
}


@pytest.fixture
async def service(gateway, make_page, login_as):
    """A citizen logged in, with the subscription to renew (after the login, which leaves the
    citizen's lists empty)."""
    await login_as("citizen")
    gateway.on("GET", OFFER, httpx.Response(200, json=AVAILABLE))
    gateway.on("GET", OPTIONS, httpx.Response(200, json=OPTIONS_BODY))
    gateway.on("GET", SUBSCRIPTIONS, make_page([SUBSCRIPTION]))
    return gateway


def facts(page: str) -> dict[str, str]:
    block = page[page.index("data-renewal>") : page.index("</dl>", page.index("data-renewal>"))]
    return {
        dt: " ".join(re.sub(r"<[^>]+>", "", dd).split())
        for dt, dd in re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", html.unescape(block))
    }


async def test_the_renewal_is_already_filled_with_the_previous_subscriptions_data(
    client, service, a11y_problems
):
    response = await client.get(PAGE)
    page = html.unescape(response.text)

    assert response.status_code == 200
    assert '<h1 id="titolo-pagina">Rinnovo abbonamento</h1>' in page
    assert facts(response.text) == {
        "Certificazione di residenza": "Centro storico (S1), valida fino al 02/03/2028",
        "Targa": "AB123CD – Fiat Panda",
        "Tipologia di abbonamento": "Residenti – annuale",
        "Abbonamento attuale": "Dal 02/05/2026 al 01/05/2027 (n. CE-2026-000123)",
        "Nuovo periodo": "Dal 02/05/2027 al 01/05/2028",
        "Importo": "€ 65,00 (IVA inclusa)",
    }
    # Read-only facts: nothing to fill in, only the button.
    assert re.search(
        rf'<form method="post" action="{PAGE}".*?<button type="submit" class="btn btn-primary">Rinnova</button>',
        page,
        re.S,
    )
    assert "<select" not in page and 'type="text"' not in page
    assert a11y_problems(response.text) == []


async def test_without_the_citizens_options_the_page_reads_the_subscription(client, gateway, service):
    gateway.on("GET", OPTIONS, httpx.Response(503))
    response = await client.get(PAGE)
    assert response.status_code == 200
    assert facts(response.text)["Targa"] == "AB123CD"
    assert (
        facts(response.text)["Certificazione di residenza"]
        == "Certificazione di residenza, settore Centro storico"
    )


async def test_rinnova_sends_the_renewal_and_the_dashboard_says_so(client, gateway, service, csrf):
    gateway.on("POST", RENEW, httpx.Response(201, json=RENEWAL_REQUEST))
    token = await csrf(PAGE)
    response = await client.post(PAGE, data={"csrf_token": token})

    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard#abbonamenti"
    call = gateway.calls("POST", RENEW)[0]
    assert call.content == b""
    assert call.headers["authorization"] == "Bearer access-1"
    page = html.unescape((await client.get("/dashboard")).text)
    section = page[page.index('id="abbonamenti"') :]
    assert "Richiesta di rinnovo inviata" in section


async def test_rinnova_needs_the_csrf_token(client, gateway, service):
    assert (await client.post(PAGE, data={})).status_code == 403
    assert gateway.calls("POST", RENEW) == []


@pytest.mark.parametrize(
    "reason, link",
    [
        (
            {
                "code": "certification_expired",
                "message": "La certificazione di residenza non è valida il 02/05/2027, primo giorno del rinnovo: presenta una nuova richiesta di certificazione dalla sezione «Certificazione» e, una volta approvata, rinnova l'abbonamento.",
            },
            ("/certificazioni/nuova", "Nuova Certificazione"),
        ),
        (
            {
                "code": "plate_dissociated",
                "message": "La targa AB123CD non è più associata al tuo profilo: il rinnovo non è possibile. Associala di nuovo dalla sezione «Targhe» e, una volta approvata, invia una nuova richiesta.",
            },
            ("/targhe/nuova", "Nuova Targa"),
        ),
        (
            {"code": "renewal_not_open", "message": "Il rinnovo sarà disponibile dal 01/04/2027."},
            None,
        ),
    ],
    ids=["certification", "plate", "not-open-yet"],
)
async def test_a_renewal_that_may_not_be_sent_says_why_and_what_to_do(
    client, gateway, service, a11y_problems, reason, link
):
    gateway.on(
        "GET", OFFER, httpx.Response(200, json={**AVAILABLE, "available": False, "reason_if_not": reason})
    )
    response = await client.get(PAGE)
    page = html.unescape(response.text)

    assert response.status_code == 200
    assert "Il rinnovo non è disponibile" in page
    assert reason["message"] in page
    assert ">Rinnova</button>" not in page
    if link:
        assert f'href="{link[0]}">{link[1]}</a>' in page
    else:
        assert "/certificazioni/nuova" not in page and "/targhe/nuova" not in page
    # What would be sent is still shown.
    assert facts(response.text)["Nuovo periodo"] == "Dal 02/05/2027 al 01/05/2028"
    assert a11y_problems(response.text) == []


async def test_a_renewal_refused_when_sent_is_explained_once_on_the_page(
    client, gateway, service, csrf, make_problem
):
    message = "Il rinnovo è già stato richiesto: segui la richiesta nella sezione «Richieste Abbonamenti»."
    token = await csrf(PAGE)
    gateway.on("POST", RENEW, make_problem(409, "renewal_already_requested", message))
    gateway.on(
        "GET",
        OFFER,
        httpx.Response(
            200,
            json={
                **AVAILABLE,
                "available": False,
                "reason_if_not": {"code": "renewal_already_requested", "message": message},
            },
        ),
    )
    response = await client.post(PAGE, data={"csrf_token": token})
    page = html.unescape(response.text)
    assert response.status_code == 409
    assert page.count(message) == 1
    assert 'href="/dashboard#abbonamenti">Vai a Richieste Abbonamento</a>' in page
    assert ">Rinnova</button>" not in page


async def test_another_citizens_subscription_is_a_page_not_found(client, gateway, service, make_problem):
    gateway.on("GET", OFFER, make_problem(404, "subscription_not_found", "Abbonamento non trovato."))
    assert (await client.get(PAGE)).status_code == 404


async def test_staff_accounts_renew_nothing(client, gateway, login_as):
    await login_as("operator")
    assert (await client.get(PAGE)).status_code == 403
    assert not [r for r in gateway.requests if r.url.path.startswith("/api/subscriptions")]
