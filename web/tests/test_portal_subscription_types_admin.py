"""`/operatore/tipologie` (admins only): the catalogue of subscription types; the price typed in
euro reaches the service in integer cents, exactly."""

import html
import re

import httpx
import pytest

TYPES = "/api/subscriptions/admin/types"
SECTORS = "/api/certifications/admin/sectors"
ANNUAL = {
    "code": "RES-ANNUALE",
    "name": "Residenti – annuale",
    "description": "Sosta nel proprio settore per 12 mesi.",
    "sector_codes": ["S1", "S2"],
    "all_sectors": False,
    "duration_months": 12,
    "price_cents": 6000,
    "net_cents": 4918,
    "vat_cents": 1082,
    "vat_rate": "22.00",
    "currency": "EUR",
    "price_label": "€ 60,00",
    "renewable": True,
    "electric_only": False,
    "active": True,
    "created_at": "2026-11-24T10:00:00Z",
    "updated_at": "2026-11-24T10:00:00Z",
}
ELECTRIC = {
    **ANNUAL,
    "code": "ELETTRICA-ANNUALE",
    "name": "Auto elettrica – annuale",
    "sector_codes": [],
    "all_sectors": True,
    "price_cents": 0,
    "vat_rate": "5.50",
    "electric_only": True,
    "active": False,
}
SECTOR_LIST = [
    {"code": "S1", "name": "Centro storico", "description": "", "streets": [], "active": True},
    {"code": "S2", "name": "Acquaviva", "description": "", "streets": [], "active": True},
    {"code": "S3", "name": "Settore dismesso", "description": "", "streets": [], "active": False},
]


@pytest.fixture
def catalogue(gateway, make_page, make_problem):
    gateway.on("GET", TYPES, make_page([ANNUAL, ELECTRIC]))
    gateway.on("GET", f"{TYPES}/RES-ANNUALE", httpx.Response(200, json=ANNUAL))
    gateway.on("GET", f"{TYPES}/NESSUNA", make_problem(404, "subscription_type_not_found", "Non trovata."))
    gateway.on("GET", SECTORS, make_page(SECTOR_LIST))


def form_data(token: str, **changes) -> dict:
    data = {
        "code": "res-biennale",
        "name": "Residenti – biennale",
        "description": "",
        "sector_codes": ["S1", "S2"],
        "duration_months": "24",
        "price": "60,00",
        "vat_rate": "22",
        "renewable": "1",
        "csrf_token": token,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def field_error(page: str, name: str) -> str:
    match = re.search(
        rf'<div class="invalid-feedback portal-field-error" id="{name}-error">(.*?)</div>', page, re.S
    )
    assert match, f"no error next to {name}"
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


async def test_admins_see_every_type_with_price_in_euro_and_vat(client, login_as, catalogue, a11y_problems):
    await login_as("admin")
    response = await client.get("/operatore/tipologie")
    page = html.unescape(response.text)
    assert response.status_code == 200
    assert re.search(
        r"RES-ANNUALE</th>\s*<td>Residenti – annuale</td>\s*<td>S1, S2</td>\s*<td[^>]*>12 mesi</td>\s*"
        r"<td[^>]*>€ 60,00</td>\s*<td[^>]*>22%</td>",
        page,
    )
    assert re.search(r"ELETTRICA-ANNUALE</th>.*?Tutti i settori.*?Gratuito.*?5,5%.*?Non attiva", page, re.S)
    assert 'href="/operatore/tipologie/RES-ANNUALE">Modifica' in page
    assert a11y_problems(response.text) == []


@pytest.mark.parametrize(
    "typed, cents",
    [("60,00", 6000), ("60", 6000), ("1.234,50", 123450), ("€ 35,5", 3550), ("0", 0), ("12.50", 1250)],
)
async def test_creating_sends_the_price_in_integer_cents(
    client, gateway, login_as, csrf, catalogue, typed, cents
):
    await login_as("admin")
    gateway.on("POST", TYPES, httpx.Response(201, json=ANNUAL))
    token = await csrf("/operatore/tipologie/nuova")
    response = await client.post("/operatore/tipologie/nuova", data=form_data(token, price=typed))
    assert response.status_code == 303 and response.headers["location"] == "/operatore/tipologie"
    body = gateway.body("POST", TYPES)
    assert body["price_cents"] == cents and isinstance(body["price_cents"], int)
    assert body == {
        "code": "res-biennale",
        "name": "Residenti – biennale",
        "description": "",
        "sector_codes": ["S1", "S2"],
        "all_sectors": False,
        "duration_months": 24,
        "price_cents": cents,
        "vat_rate": "22",
        "renewable": True,
        "electric_only": False,
        "active": True,
    }


@pytest.mark.parametrize("typed", ["abc", "-5", "60,001", "1,234.50", ""])
async def test_a_price_that_is_not_an_amount_in_euro_is_refused_next_to_it(
    client, gateway, login_as, csrf, catalogue, a11y_problems, typed
):
    await login_as("admin")
    token = await csrf("/operatore/tipologie/nuova")
    response = await client.post("/operatore/tipologie/nuova", data=form_data(token, price=typed))
    assert response.status_code == 422
    assert "prezzo in euro" in field_error(response.text, "price")
    assert f'value="{typed}"' in response.text
    assert gateway.calls("POST", TYPES) == []
    assert a11y_problems(response.text) == []


async def test_duration_and_vat_rate_must_read_too(client, gateway, login_as, csrf, catalogue):
    await login_as("admin")
    token = await csrf("/operatore/tipologie/nuova")
    response = await client.post(
        "/operatore/tipologie/nuova", data=form_data(token, duration_months="un anno", vat_rate="ventidue")
    )
    assert response.status_code == 422
    assert "numero intero di mesi" in field_error(response.text, "duration_months")
    assert "percentuale" in field_error(response.text, "vat_rate")
    assert gateway.calls("POST", TYPES) == []


async def test_the_services_refusals_land_next_to_their_fields(client, gateway, login_as, csrf, catalogue):
    await login_as("admin")
    gateway.on(
        "POST",
        TYPES,
        httpx.Response(
            422,
            json={
                "status": 422,
                "code": "price_invalid",
                "detail": "Il prezzo non è valido.",
                "errors": [
                    {"field": "price_cents", "code": "price_invalid", "message": "Il prezzo è troppo alto."},
                    {
                        "field": "sector_codes",
                        "code": "sectors_required",
                        "message": "Indica almeno un settore.",
                    },
                ],
            },
            headers={"content-type": "application/problem+json"},
        ),
    )
    token = await csrf("/operatore/tipologie/nuova")
    response = await client.post(
        "/operatore/tipologie/nuova", data=form_data(token, price="99.999.999,00", sector_codes=None)
    )
    assert gateway.body("POST", TYPES)["price_cents"] == 9_999_999_900
    assert response.status_code == 422
    assert field_error(response.text, "price") == "Il prezzo è troppo alto."
    assert field_error(response.text, "sector_codes") == "Indica almeno un settore."


async def test_the_new_type_form_offers_the_sectors_of_the_catalogue(
    client, login_as, catalogue, a11y_problems
):
    await login_as("admin")
    response = await client.get("/operatore/tipologie/nuova")
    page = html.unescape(response.text)
    assert "<legend>Settori</legend>" in page
    assert '<label for="sector_codes">Centro storico (S1)</label>' in page
    assert "Settore dismesso (S3) – non attivo" in page
    assert '<label for="price" class="active">Prezzo in euro (IVA inclusa)</label>' in page
    assert 'id="vat_rate" name="vat_rate"' in page and 'value="22"' in page
    assert a11y_problems(response.text) == []


async def test_editing_shows_the_price_in_euro_and_sends_every_field(
    client, gateway, login_as, catalogue, a11y_problems
):
    await login_as("admin")
    page = await client.get("/operatore/tipologie/RES-ANNUALE")
    assert page.status_code == 200
    assert re.search(r'id="price" name="price"\s+class="form-control"\s+value="60,00"', page.text)
    assert re.search(r'id="vat_rate" name="vat_rate"\s+class="form-control"\s+value="22"', page.text)
    assert re.search(r'name="sector_codes" value="S1"\s+checked', page.text)
    assert not re.search(r'name="sector_codes" value="S3"\s+checked', page.text)
    assert a11y_problems(page.text) == []

    gateway.on("PUT", f"{TYPES}/RES-ANNUALE", httpx.Response(200, json=ANNUAL))
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    response = await client.post(
        "/operatore/tipologie/RES-ANNUALE",
        data=form_data(token, code=None, price="65,50", vat_rate="5,5", renewable=None, all_sectors="1"),
    )
    assert response.status_code == 303
    assert gateway.body("PUT", f"{TYPES}/RES-ANNUALE") == {
        "name": "Residenti – biennale",
        "description": "",
        "sector_codes": [],
        "all_sectors": True,
        "duration_months": 24,
        "price_cents": 6550,
        "vat_rate": "5.5",
        "renewable": False,
        "electric_only": False,
        "active": False,
    }
    assert "è stata disattivata" in html.unescape((await client.get("/operatore/tipologie")).text)


async def test_an_unknown_type_is_a_page_not_found(client, login_as, catalogue):
    await login_as("admin")
    assert (await client.get("/operatore/tipologie/NESSUNA")).status_code == 404


async def test_the_form_works_without_the_sectors_catalogue(client, gateway, login_as, catalogue):
    await login_as("admin")
    gateway.on("GET", SECTORS, httpx.Response(503))
    page = html.unescape((await client.get("/operatore/tipologie/RES-ANNUALE")).text)
    assert "Il catalogo dei settori non è al momento disponibile" in page
    assert re.search(r'name="sector_codes" value="S2"\s+checked', page)


@pytest.mark.parametrize(
    "path", ["/operatore/tipologie", "/operatore/tipologie/nuova", "/operatore/tipologie/RES-ANNUALE"]
)
@pytest.mark.parametrize("role", ["operator", "citizen"])
async def test_the_types_pages_are_for_admins_only(client, gateway, login_as, catalogue, path, role):
    await login_as(role)
    response = await client.get(path)
    assert response.status_code == 403
    assert not [r for r in gateway.requests if r.url.path.startswith(TYPES)]


async def test_an_operator_cannot_change_a_type_either(client, gateway, login_as, csrf):
    await login_as("operator")
    response = await client.post(
        "/operatore/tipologie/RES-ANNUALE", data=form_data(await csrf("/profilo"), code=None)
    )
    assert response.status_code == 403
    assert gateway.calls("PUT", f"{TYPES}/RES-ANNUALE") == []
