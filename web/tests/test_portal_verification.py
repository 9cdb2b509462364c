"""`/operatore/verifica`, "Verifica targa": a plate typed or the text of a ticket's QR code, and
the verdict of the subscriptions service big and clear, for operators only."""

import html
import re

import httpx
import pytest

PAGE = "/operatore/verifica"
BY_PLATE = "/api/subscriptions/admin/enforcement"
BY_TOKEN = "/api/subscriptions/admin/enforcement/verify"
TOKEN = "v1.k2026a.WyJDRS0yMDI2LTAwMDEyMyIsIkFCMTIzQ0QiLCJTMSIsMjA1NzYsMjA5NDBd.c2lnbmF0dXJl"

SUBSCRIPTION = {
    "id": "3e1a0b9c-8d7e-4f6a-9b5c-3c2d1e0f9a8b",
    "serial": "CE-2026-000123",
    "plate": "AB123CD",
    "sector_code": "S1",
    "sector_name": "Centro storico",
    "subscription_type_code": "RES-ANNUALE",
    "subscription_type_name": "Residenti – annuale",
    "valid_from": "2026-05-02",
    "valid_until": "2027-05-01",
    "status": "active",
    "status_label": "Attivo",
    "revoked_on": None,
    "revoked_reason": None,
}


def check(outcome: str, label: str, *, valid: bool = False, subscription: dict | None = None, **more) -> dict:
    return {
        "checked_on": "2026-11-30",
        "plate": "AB123CD",
        "valid": valid,
        "outcome": outcome,
        "outcome_label": label,
        "subscription": subscription,
        "ticket": None,
        **more,
    }


def verdict(page: str) -> tuple[str, str, str]:
    """The verdict's colour, its words and what follows them."""
    match = re.search(
        r'<div class="alert alert-(\w+) portal-verdict" role="status">\s*<p class="portal-verdict-label" data-outcome="\w+">([^<]+)</p>(.*?)</div>',
        html.unescape(page),
        re.S,
    )
    assert match, "no verdict"
    return match.group(1), match.group(2), " ".join(re.sub(r"<[^>]+>", " ", match.group(3)).split())


async def test_a_valid_plate_is_green_with_its_sector_and_last_day(client, gateway, login_as, a11y_problems):
    await login_as("operator")
    gateway.on(
        "GET",
        BY_PLATE,
        httpx.Response(200, json=check("valid", "Valido", valid=True, subscription=SUBSCRIPTION)),
    )
    response = await client.get(PAGE, params={"targa": " ab 123 cd "})

    assert response.status_code == 200
    assert verdict(response.text) == ("success", "Valido", "Settore Centro storico (S1) – fino al 01/05/2027")
    call = gateway.calls("GET", BY_PLATE)[0]
    assert call.url.params["plate"] == "ab 123 cd"
    assert call.headers["authorization"] == "Bearer access-1"
    page = html.unescape(response.text)
    assert "n. CE-2026-000123" in page and "Residenti – annuale" in page
    assert a11y_problems(response.text) == []


@pytest.mark.parametrize(
    "outcome, label, tone, subscription",
    [
        (
            "expired",
            "Scaduto il 01/05/2026",
            "danger",
            {**SUBSCRIPTION, "valid_until": "2026-05-01", "status": "expired", "status_label": "Scaduto"},
        ),
        (
            "revoked",
            "Revocato il 05/09/2026",
            "danger",
            {
                **SUBSCRIPTION,
                "status": "revoked",
                "status_label": "Revocato",
                "revoked_on": "2026-09-05",
                "revoked_reason": "La targa non è più associata al profilo del titolare.",
            },
        ),
        (
            "not_yet_valid",
            "Non ancora valido: valido dal 02/05/2027",
            "warning",
            {**SUBSCRIPTION, "valid_from": "2027-05-02"},
        ),
        ("not_found", "Nessun abbonamento per questa targa", "warning", None),
    ],
)
async def test_a_plate_not_covered_today_reads_in_the_services_words(
    client, gateway, login_as, a11y_problems, outcome, label, tone, subscription
):
    await login_as("admin")
    gateway.on("GET", BY_PLATE, httpx.Response(200, json=check(outcome, label, subscription=subscription)))
    response = await client.get(PAGE, params={"targa": "AB123CD"})
    colour, words, detail = verdict(response.text)
    assert (colour, words) == (tone, label)
    assert "fino al" not in detail
    if outcome == "revoked":
        assert "05/09/2026: La targa non è più associata al profilo del titolare." in html.unescape(
            response.text
        )
    assert a11y_problems(response.text) == []


async def test_a_ticket_is_verified_by_its_token_with_what_it_states(
    client, gateway, login_as, csrf, a11y_problems
):
    await login_as("operator")
    ticket = {
        "kid": "k2026a",
        "serial": "CE-2026-000123",
        "plate": "AB123CD",
        "sector_code": "S1",
        "valid_from": "2026-05-02",
        "valid_until": "2027-05-01",
        "issued_at": "2026-05-04T10:00:00Z",
    }
    gateway.on(
        "POST",
        BY_TOKEN,
        httpx.Response(
            200, json=check("valid", "Valido", valid=True, subscription=SUBSCRIPTION, ticket=ticket)
        ),
    )
    token = await csrf(PAGE)
    response = await client.post(PAGE, data={"token": f"  {TOKEN}\n", "csrf_token": token})

    assert response.status_code == 200
    assert gateway.body("POST", BY_TOKEN) == {"token": TOKEN}
    assert verdict(response.text)[:2] == ("success", "Valido")
    page = html.unescape(response.text)
    assert "Dati firmati nel contrassegno" in page and "04/05/2026 12:00" in page
    assert a11y_problems(response.text) == []


async def test_a_forged_ticket_is_red_in_the_services_words(client, gateway, login_as, csrf):
    await login_as("operator")
    label = "Contrassegno non valido: la firma non corrisponde."
    gateway.on("POST", BY_TOKEN, httpx.Response(200, json=check("invalid", label, plate=None)))
    token = await csrf(PAGE)
    response = await client.post(PAGE, data={"token": TOKEN, "csrf_token": token})
    assert verdict(response.text)[:2] == ("danger", label)


async def test_a_plate_the_service_refuses_is_said_next_to_the_field(
    client, gateway, login_as, make_problem, a11y_problems
):
    await login_as("operator")
    gateway.on(
        "GET",
        BY_PLATE,
        make_problem(
            422,
            "validation_error",
            "Dati non validi.",
            errors=[
                {
                    "field": "plate",
                    "code": "plate_invalid",
                    "message": "Indica una targa valida (ad esempio AB123CD).",
                }
            ],
        ),
    )
    response = await client.get(PAGE, params={"targa": "??"})
    assert response.status_code == 422
    assert re.search(
        r'id="targa-error">.*?Indica una targa valida \(ad esempio AB123CD\)\.',
        html.unescape(response.text),
        re.S,
    )
    assert "portal-verdict" not in response.text
    assert a11y_problems(response.text) == []


async def test_empty_fields_are_asked_for_without_calling_the_service(client, gateway, login_as, csrf):
    await login_as("operator")
    response = await client.get(PAGE, params={"targa": " "})
    assert response.status_code == 422 and 'id="targa-error"' in response.text
    token = await csrf(PAGE)
    response = await client.post(PAGE, data={"token": "", "csrf_token": token})
    assert response.status_code == 422 and 'id="token-error"' in response.text
    assert not [r for r in gateway.requests if "enforcement" in r.url.path]


async def test_the_empty_page_offers_both_ways_and_no_verdict(client, gateway, login_as, a11y_problems):
    await login_as("operator")
    response = await client.get(PAGE)
    page = html.unescape(response.text)
    assert '<h1 id="titolo-pagina">Verifica targa</h1>' in page
    assert '<label for="targa" class="active">Targa</label>' in page
    assert '<label for="token" class="active">Token del contrassegno</label>' in page
    assert "portal-verdict" not in page
    assert a11y_problems(response.text) == []


async def test_the_service_not_answering_is_an_italian_message(client, gateway, login_as):
    await login_as("operator")
    gateway.on("GET", BY_PLATE, httpx.Response(503))
    response = await client.get(PAGE, params={"targa": "AB123CD"})
    assert response.status_code == 503
    assert "La verifica non è al momento disponibile" in html.unescape(response.text)
    assert 'value="AB123CD"' in response.text


async def test_the_console_links_to_the_check(client, login_as):
    await login_as("operator")
    page = (await client.get("/operatore")).text
    assert f'<a href="{PAGE}">Verifica targa</a>' in page


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_citizens_are_refused(client, gateway, login_as, method):
    await login_as("citizen")
    if method == "GET":
        response = await client.get(PAGE, params={"targa": "AB123CD"})
    else:
        token = await client.get("/profilo")  # any page with the session's CSRF token
        match = re.search(r'name="csrf_token" value="([^"]+)"', token.text)
        response = await client.post(PAGE, data={"token": TOKEN, "csrf_token": match.group(1)})
    assert response.status_code == 403
    assert not [r for r in gateway.requests if "enforcement" in r.url.path]
