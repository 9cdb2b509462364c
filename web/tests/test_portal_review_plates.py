"""The operators' review of plate association requests: the queue searched by plate, a request
with the vehicle declared and the documents, approving with the electric flag, rejecting."""

import html
import json
import re

import httpx
import pytest

from portal.review import ALREADY_DECIDED

ADMIN = "/api/vehicles/admin/requests"
REQUEST_ID = "9d2c4b7e-1a3f-4e5d-8b6a-7c0d1e2f3a4b"
LIBRETTO = "11111111-2222-4333-8444-555555555555"
ATTESTATION = "66666666-7777-4888-9999-000000000000"
PENDING = {
    "id": REQUEST_ID,
    "plate": "EV001AA",
    "make": "Renault",
    "model": "Zoe",
    "fuel": "elettrica",
    "foreign": False,
    "owned": False,
    "status": "pending",
    "status_label": "In attesa di esito",
    "submitted_at": "2026-04-10T08:00:00Z",
    "decided_at": None,
    "outcome_reason": None,
    "citizen": {
        "first_name": "Anna",
        "last_name": "Bianchi",
        "tax_code": "BNCNNA90A41B963K",
        "email": "a@example.it",
    },
    "documents": [
        {
            "id": LIBRETTO,
            "field": "registration_document",
            "label": "Libretto di circolazione",
            "filename": "libretto.jpg",
            "content_type": "image/jpeg",
            "size": 400_000,
        },
        {
            "id": ATTESTATION,
            "field": "availability_attestation",
            "label": "Attestazione di disponibilità",
            "filename": "attestazione.pdf",
            "content_type": "application/pdf",
            "size": 90_000,
        },
    ],
    "audit": [],
}


def checked(page: str, name: str) -> list[str]:
    return re.findall(rf'<input type="radio" id="[^"]*" name="{name}" value="([^"]+)" checked', page)


@pytest.fixture
def pending(gateway):
    gateway.on("GET", f"{ADMIN}/{REQUEST_ID}", httpx.Response(200, json=PENDING))


async def test_the_queue_is_searched_by_plate_and_paged(client, gateway, login_as, make_page, a11y_problems):
    await login_as("operator")
    gateway.on("GET", ADMIN, make_page([PENDING], total=21, limit=20, offset=0))
    response = await client.get("/operatore/targhe", params={"targa": " ev001 "})
    page = html.unescape(response.text)

    assert dict(gateway.calls("GET", ADMIN)[0].url.params) == {
        "status": "pending",
        "plate": "ev001",
        "limit": "20",
        "offset": "0",
    }
    assert '<label for="targa" class="active">Targa</label>' in page and 'value="ev001"' in page
    assert "EV001AA" in page and "Renault Zoe (Elettrica)" in page and "Bianchi Anna" in page
    assert f'href="/operatore/targhe/{REQUEST_ID}"' in page
    assert "Pagina 1 di 2" in page and 'href="?targa=ev001&pagina=2">Pagina successiva' in page
    assert "Pagina precedente" not in page
    assert a11y_problems(response.text) == []


@pytest.mark.parametrize("fuel, preselected", [("elettrica", "true"), ("ibrida", "false")])
async def test_the_electric_choice_is_preselected_from_the_declared_fuel(
    client, gateway, login_as, a11y_problems, fuel, preselected
):
    await login_as("operator")
    gateway.on("GET", f"{ADMIN}/{REQUEST_ID}", httpx.Response(200, json={**PENDING, "fuel": fuel}))
    response = await client.get(f"/operatore/targhe/{REQUEST_ID}")
    page = html.unescape(response.text)

    assert "<legend>Veicolo elettrico</legend>" in page
    assert checked(page, "electric") == [preselected]
    assert "No: è allegata l'attestazione di disponibilità" in page
    base = f"/operatore/targhe/{REQUEST_ID}/documenti"
    assert (
        f'src="{base}/{LIBRETTO}/anteprima?pagina=1" alt="Anteprima di Libretto di circolazione, pagina 1"'
        in page
    )
    assert f'src="{base}/{ATTESTATION}/anteprima?pagina=1"' in page
    assert a11y_problems(response.text) == []


@pytest.mark.parametrize("electric", [True, False])
async def test_approving_records_whether_the_vehicle_is_electric(
    client, gateway, login_as, csrf, pending, electric
):
    await login_as("operator")
    token = await csrf(f"/operatore/targhe/{REQUEST_ID}")
    gateway.on(
        "POST", f"{ADMIN}/{REQUEST_ID}/approve", httpx.Response(200, json={**PENDING, "status": "approved"})
    )
    response = await client.post(
        f"/operatore/targhe/{REQUEST_ID}/approva",
        data={"electric": "true" if electric else "false", "csrf_token": token},
    )
    assert response.status_code == 303 and response.headers["location"] == "/operatore/targhe"
    assert gateway.body("POST", f"{ADMIN}/{REQUEST_ID}/approve") == {"electric": electric}


async def test_approving_without_the_electric_answer_is_refused_next_to_it(
    client, gateway, login_as, csrf, pending
):
    await login_as("operator")
    token = await csrf(f"/operatore/targhe/{REQUEST_ID}")
    response = await client.post(f"/operatore/targhe/{REQUEST_ID}/approva", data={"csrf_token": token})
    assert response.status_code == 422
    assert 'id="electric-error"' in response.text and "Indica se il veicolo è elettrico" in response.text
    assert gateway.calls("POST", f"{ADMIN}/{REQUEST_ID}/approve") == []


async def test_rejecting_posts_the_reason_and_a_refusal_keeps_it(
    client, gateway, login_as, csrf, pending, make_problem
):
    await login_as("operator")
    token = await csrf(f"/operatore/targhe/{REQUEST_ID}")
    gateway.on(
        "POST",
        f"{ADMIN}/{REQUEST_ID}/reject",
        make_problem(
            422,
            "validation_failed",
            "Controlla i dati inseriti.",
            [{"field": "reason", "code": "too_long", "message": "Al massimo 2000 caratteri."}],
        ),
    )
    response = await client.post(
        f"/operatore/targhe/{REQUEST_ID}/rifiuta",
        data={"reason": "Libretto illeggibile.", "csrf_token": token},
    )
    assert json.loads(gateway.calls("POST", f"{ADMIN}/{REQUEST_ID}/reject")[0].content) == {
        "reason": "Libretto illeggibile."
    }
    assert response.status_code == 422
    assert "Al massimo 2000 caratteri." in response.text
    assert ">Libretto illeggibile.</textarea>" in response.text


async def test_a_decision_taken_first_by_another_operator_is_explained(client, login_as, csrf, decided_first):
    await login_as("operator")
    approved = {
        **PENDING,
        "status": "approved",
        "status_label": "Approvata",
        "audit": [
            {
                "action": "approved",
                "actor_email": "collega@comune.caserta.it",
                "actor_role": "operator",
                "reason": None,
                "at": "2026-04-11T08:00:00Z",
            }
        ],
    }
    decided_first(f"{ADMIN}/{REQUEST_ID}", approved, "approve")
    token = await csrf(f"/operatore/targhe/{REQUEST_ID}")
    response = await client.post(
        f"/operatore/targhe/{REQUEST_ID}/approva", data={"electric": "true", "csrf_token": token}
    )
    page = html.unescape(response.text)
    assert response.status_code == 409
    assert ALREADY_DECIDED in page
    assert "La richiesta è già stata decisa: <strong>Approvata</strong>." in page
    assert "collega@comune.caserta.it (Operatore)" in page


async def test_previews_and_documents_are_proxied(client, gateway, login_as):
    await login_as("admin")
    base = f"{ADMIN}/{REQUEST_ID}/documents/{LIBRETTO}"
    gateway.on(
        "GET",
        f"{base}/preview",
        httpx.Response(200, content=b"\x89PNG", headers={"content-type": "image/png"}),
    )
    gateway.on(
        "GET", base, httpx.Response(200, content=b"\xff\xd8\xff", headers={"content-type": "image/jpeg"})
    )

    preview = await client.get(f"/operatore/targhe/{REQUEST_ID}/documenti/{LIBRETTO}/anteprima")
    assert preview.content == b"\x89PNG" and preview.headers["content-type"] == "image/png"
    assert gateway.calls("GET", f"{base}/preview")[0].url.params["page"] == "1"
    document = await client.get(f"/operatore/targhe/{REQUEST_ID}/documenti/{LIBRETTO}")
    assert document.content == b"\xff\xd8\xff" and document.headers["content-type"] == "image/jpeg"
    # Without a name from the service the browser still downloads it rather than showing it.
    assert document.headers["content-disposition"] == "attachment"
    assert document.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/operatore/targhe"),
        ("GET", f"/operatore/targhe/{REQUEST_ID}"),
        ("GET", f"/operatore/targhe/{REQUEST_ID}/documenti/{LIBRETTO}/anteprima"),
        ("POST", f"/operatore/targhe/{REQUEST_ID}/approva"),
        ("POST", f"/operatore/targhe/{REQUEST_ID}/rifiuta"),
    ],
)
async def test_citizens_are_refused(client, gateway, login_as, csrf, method, path):
    await login_as("citizen")
    data = {"csrf_token": await csrf("/profilo"), "electric": "true"} if method == "POST" else None
    response = await client.request(method, path, data=data)
    assert response.status_code == 403
    assert not [r for r in gateway.requests if r.url.path.startswith("/api/vehicles/admin")]
