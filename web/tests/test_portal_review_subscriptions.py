"""The operators' review of subscription requests: the queue (oldest first, paged, by plate), a
request with the citizen's certification and plate beside it and its trail, approving,
rejecting with a reason, a decision another operator took first."""

import html
import re

import httpx
import pytest

from portal.review import ALREADY_DECIDED

ADMIN = "/api/subscriptions/admin/requests"
REQUEST_ID = "1c9e8d7f-6b5a-4c3d-9e2f-1a0b9c8d7e6f"
PENDING = {
    "id": REQUEST_ID,
    "user_id": "7f1c2a4e-8d55-4a8e-9a70-0a5d2d1f3b10",
    "kind": "resident",
    "certification_id": "5b0e1f9a-4c1e-4d0b-9c59-0c0a2a7b9d11",
    "plate_id": "6a1f0c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b",
    "plate": "AB123CD",
    "sector_code": "S1",
    "sector_name": "Centro storico",
    "subscription_type_code": "RES-ANNUALE",
    "subscription_type_name": "Residenti – annuale",
    "status": "pending",
    "status_label": "In attesa di esito",
    "submitted_at": "2026-05-02T09:00:00Z",
    "decided_at": None,
    "outcome_reason": None,
    "amount_cents": 6000,
    "currency": "EUR",
    "pay_by": None,
    "valid_from": "2026-05-02",
    "valid_until": "2027-05-01",
    "certification": {
        "certification_id": "5b0e1f9a-4c1e-4d0b-9c59-0c0a2a7b9d11",
        "sector_code": "S1",
        "sector_name": "Centro storico",
        "valid_from": "2026-03-03",
        "valid_until": "2027-03-02",
        "expired": False,
        "valid_today": True,
    },
    "vehicle": {
        "plate_id": "6a1f0c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b",
        "plate": "AB123CD",
        "make": "Fiat",
        "model": "Panda",
        "electric": False,
        "active": True,
    },
    "payments": [],
    "audit": [
        {
            "action": "submitted",
            "actor_id": "7f1c2a4e-8d55-4a8e-9a70-0a5d2d1f3b10",
            "actor_role": "citizen",
            "actor_email": "mario.rossi@example.it",
            "reason": None,
            "details": {"plate": "AB123CD"},
            "at": "2026-05-02T09:00:00Z",
        }
    ],
}


def text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


@pytest.fixture
def pending(gateway):
    gateway.on("GET", f"{ADMIN}/{REQUEST_ID}", httpx.Response(200, json=PENDING))


async def test_the_queue_lists_pending_requests_oldest_first_and_pages(
    client, gateway, login_as, make_page, a11y_problems
):
    await login_as("operator")
    gateway.on("GET", ADMIN, make_page([PENDING], total=41, limit=20, offset=20))
    response = await client.get("/operatore/abbonamenti", params={"targa": " ab123cd ", "pagina": "2"})
    page = html.unescape(response.text)

    assert dict(gateway.calls("GET", ADMIN)[0].url.params) == {
        "status": "pending",
        "plate": "ab123cd",
        "limit": "20",
        "offset": "20",
    }
    assert "41 richieste in attesa per la targa «ab123cd»" in page
    assert "AB123CD" in page and "Residenti – annuale" in page and "€ 60,00" in page
    assert f'href="/operatore/abbonamenti/{REQUEST_ID}"' in page
    assert "Pagina 2 di 3" in page
    assert 'href="?targa=ab123cd&pagina=1">Pagina precedente' in page
    assert 'href="?targa=ab123cd&pagina=3">Pagina successiva' in page
    assert a11y_problems(response.text) == []


async def test_the_request_shows_the_certification_and_the_plate_beside_it_and_its_trail(
    client, login_as, pending, a11y_problems
):
    await login_as("operator")
    response = await client.get(f"/operatore/abbonamenti/{REQUEST_ID}")
    page = text(response.text)

    assert response.status_code == 200
    assert "Richiesta di abbonamento per la targa AB123CD" in page
    assert "Tipologia di abbonamento Residenti – annuale" in page
    assert "Importo € 60,00 (IVA inclusa)" in page
    assert "Periodo Dal 02/05/2026 al 01/05/2027" in page
    assert "Settore Centro storico (S1) Validità Dal 03/03/2026 al 02/03/2027 Valida oggi Sì" in page
    assert "Targa AB123CD Veicolo Fiat Panda Certificato elettrico No Associata al cittadino Sì" in page
    assert "Presentata mario.rossi@example.it (Cittadino)" in page
    assert (
        f'href="/operatore/pagamenti?cittadino={PENDING["user_id"]}">Pagamenti del cittadino' in response.text
    )
    assert '<label for="reason" class="active">Motivo del rifiuto</label>' in response.text
    assert a11y_problems(response.text) == []


async def test_approving_posts_an_empty_body_and_returns_to_the_queue(
    client, gateway, login_as, csrf, pending
):
    await login_as("operator")
    token = await csrf(f"/operatore/abbonamenti/{REQUEST_ID}")
    gateway.on(
        "POST", f"{ADMIN}/{REQUEST_ID}/approve", httpx.Response(200, json={**PENDING, "status": "approved"})
    )
    gateway.on("GET", ADMIN, httpx.Response(200, json={"items": [], "total": 0, "limit": 20, "offset": 0}))
    response = await client.post(f"/operatore/abbonamenti/{REQUEST_ID}/approva", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["location"] == "/operatore/abbonamenti"
    assert gateway.body("POST", f"{ADMIN}/{REQUEST_ID}/approve") == {}
    assert (
        "La richiesta di abbonamento è stata approvata." in (await client.get("/operatore/abbonamenti")).text
    )


async def test_rejecting_posts_the_reason(client, gateway, login_as, csrf, pending):
    await login_as("operator")
    token = await csrf(f"/operatore/abbonamenti/{REQUEST_ID}")
    gateway.on(
        "POST", f"{ADMIN}/{REQUEST_ID}/reject", httpx.Response(200, json={**PENDING, "status": "rejected"})
    )
    response = await client.post(
        f"/operatore/abbonamenti/{REQUEST_ID}/rifiuta",
        data={"reason": "La certificazione non copre la via.", "csrf_token": token},
    )
    assert response.status_code == 303
    assert gateway.body("POST", f"{ADMIN}/{REQUEST_ID}/reject") == {
        "reason": "La certificazione non copre la via."
    }


async def test_a_reason_the_service_refuses_is_shown_next_to_it(
    client, gateway, login_as, csrf, pending, make_problem
):
    await login_as("operator")
    token = await csrf(f"/operatore/abbonamenti/{REQUEST_ID}")
    gateway.on(
        "POST",
        f"{ADMIN}/{REQUEST_ID}/reject",
        make_problem(
            422,
            "required",
            "Indica il motivo del rifiuto.",
            [{"field": "reason", "code": "required", "message": "Indica il motivo del rifiuto."}],
        ),
    )
    response = await client.post(
        f"/operatore/abbonamenti/{REQUEST_ID}/rifiuta", data={"reason": "", "csrf_token": token}
    )
    assert gateway.body("POST", f"{ADMIN}/{REQUEST_ID}/reject") == {"reason": ""}
    assert response.status_code == 422
    assert 'id="reason-error"' in response.text and "Indica il motivo del rifiuto." in response.text


async def test_a_decision_taken_first_by_another_operator_is_explained(client, login_as, csrf, decided_first):
    await login_as("operator")
    approved = {
        **PENDING,
        "status": "approved",
        "status_label": "Approvata: in attesa di pagamento",
        "pay_by": "2026-05-18",
        "audit": [
            *PENDING["audit"],
            {
                "action": "approved",
                "actor_id": "8a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
                "actor_role": "operator",
                "actor_email": "collega@comune.caserta.it",
                "reason": None,
                "details": {},
                "at": "2026-05-03T08:00:00Z",
            },
        ],
    }
    decided_first(f"{ADMIN}/{REQUEST_ID}", approved, "reject")
    token = await csrf(f"/operatore/abbonamenti/{REQUEST_ID}")
    response = await client.post(
        f"/operatore/abbonamenti/{REQUEST_ID}/rifiuta",
        data={"reason": "Motivo qualsiasi.", "csrf_token": token},
    )
    page = html.unescape(response.text)
    assert response.status_code == 409
    assert ALREADY_DECIDED == "La richiesta è già stata decisa da un altro operatore: ricarica la pagina."
    assert ALREADY_DECIDED in page
    assert "La richiesta è già stata decisa: <strong>Approvata: in attesa di pagamento</strong>." in page
    assert "collega@comune.caserta.it (Operatore)" in page
    assert "Da pagare entro il" in page and "18/05/2026" in page


async def test_an_electric_request_needs_no_certification(client, gateway, login_as):
    await login_as("operator")
    electric = {**PENDING, "kind": "electric", "certification_id": None, "certification": None}
    gateway.on("GET", f"{ADMIN}/{REQUEST_ID}", httpx.Response(200, json=electric))
    page = text((await client.get(f"/operatore/abbonamenti/{REQUEST_ID}")).text)
    assert "Richiesta per auto elettrica: non serve la certificazione di residenza." in page


async def test_an_unknown_request_is_a_page_not_found(client, gateway, login_as, make_problem):
    await login_as("operator")
    gateway.on(
        "GET",
        f"{ADMIN}/{REQUEST_ID}",
        make_problem(404, "subscription_request_not_found", "Richiesta di abbonamento non trovata."),
    )
    assert (await client.get(f"/operatore/abbonamenti/{REQUEST_ID}")).status_code == 404


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/operatore/abbonamenti"),
        ("GET", f"/operatore/abbonamenti/{REQUEST_ID}"),
        ("POST", f"/operatore/abbonamenti/{REQUEST_ID}/approva"),
        ("POST", f"/operatore/abbonamenti/{REQUEST_ID}/rifiuta"),
    ],
)
async def test_citizens_are_refused(client, gateway, login_as, csrf, method, path):
    await login_as("citizen")
    data = {"csrf_token": await csrf("/profilo"), "reason": "x"} if method == "POST" else None
    response = await client.request(method, path, data=data)
    assert response.status_code == 403
    assert not [r for r in gateway.requests if r.url.path.startswith(ADMIN)]
