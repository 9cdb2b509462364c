"""The admins' page of the sectors catalogue: list, create, edit, deactivate; and the console's
way to it and to the review queues."""

import html
import re

import httpx
import pytest

ADMIN_SECTORS = "/api/certifications/admin/sectors"
CENTRO = {
    "code": "A1",
    "name": "Centro storico",
    "description": "Il centro.",
    "streets": ["Via Roma", "Corso Trieste"],
    "active": True,
}
RETIRED = {
    "code": "Z9",
    "name": "Settore dismesso",
    "description": "",
    "streets": ["Via Vecchia"],
    "active": False,
}


@pytest.fixture
def catalogue(gateway, make_page, make_problem):
    gateway.on("GET", ADMIN_SECTORS, make_page([CENTRO, RETIRED]))
    gateway.on("GET", f"{ADMIN_SECTORS}/A1", httpx.Response(200, json=CENTRO))
    gateway.on("GET", f"{ADMIN_SECTORS}/XX", make_problem(404, "sector_not_found", "Settore non trovato."))


async def test_admins_see_every_sector_with_its_state(client, login_as, catalogue, a11y_problems):
    await login_as("admin")
    response = await client.get("/operatore/settori")
    page = response.text
    assert response.status_code == 200
    assert re.search(
        r"A1</th>\s*<td>Centro storico</td>\s*<td>2</td>\s*<td><span class=\"badge bg-success\">Attivo", page
    )
    assert re.search(
        r"Z9</th>\s*<td>Settore dismesso</td>\s*<td>1</td>\s*<td><span class=\"badge bg-secondary\">Non attivo",
        page,
    )
    assert 'href="/operatore/settori/A1">Modifica' in page and 'href="/operatore/settori/nuovo"' in page
    assert a11y_problems(page) == []


@pytest.mark.parametrize("path", ["/operatore/settori", "/operatore/settori/nuovo", "/operatore/settori/A1"])
@pytest.mark.parametrize("role", ["operator", "citizen"])
async def test_the_sectors_pages_are_for_admins_only(client, gateway, login_as, catalogue, path, role):
    await login_as(role)
    response = await client.get(path)
    assert response.status_code == 403
    assert "riservata agli amministratori" in response.text
    assert not [r for r in gateway.requests if r.url.path.startswith(ADMIN_SECTORS)]


async def test_an_operator_cannot_change_a_sector_either(client, gateway, login_as, csrf):
    await login_as("operator")
    response = await client.post(
        "/operatore/settori/A1", data={"name": "X", "streets": "Via X", "csrf_token": await csrf("/profilo")}
    )
    assert response.status_code == 403
    assert gateway.calls("PUT", f"{ADMIN_SECTORS}/A1") == []


async def test_creating_a_sector_sends_one_street_a_line(
    client, gateway, login_as, csrf, catalogue, a11y_problems
):
    await login_as("admin")
    form = await client.get("/operatore/settori/nuovo")
    assert '<label for="streets" class="active">Vie comprese</label>' in form.text
    assert a11y_problems(form.text) == []
    gateway.on("POST", ADMIN_SECTORS, httpx.Response(201, json={**CENTRO, "code": "C3"}))
    response = await client.post(
        "/operatore/settori/nuovo",
        data={
            "code": "c3",
            "name": "Settore C3",
            "description": "",
            "streets": "Via Mazzini\r\n\r\n  Piazza Dante  \r\n",
            "csrf_token": await csrf("/operatore/settori/nuovo"),
        },
    )
    assert response.status_code == 303 and response.headers["location"] == "/operatore/settori"
    assert gateway.body("POST", ADMIN_SECTORS) == {
        "code": "c3",
        "name": "Settore C3",
        "description": "",
        "streets": ["Via Mazzini", "Piazza Dante"],
    }
    assert "Il settore Settore C3 è stato creato." in (await client.get("/operatore/settori")).text


async def test_editing_shows_the_sector_and_unticking_active_deactivates_it(
    client, gateway, login_as, csrf, catalogue, a11y_problems
):
    await login_as("admin")
    page = await client.get("/operatore/settori/A1")
    assert page.status_code == 200
    assert 'value="Centro storico"' in page.text
    assert ">Via Roma\nCorso Trieste</textarea>" in page.text
    assert re.search(r'<input type="checkbox" id="active" name="active" value="1"[^>]*checked', page.text)
    assert a11y_problems(page.text) == []

    gateway.on("PUT", f"{ADMIN_SECTORS}/A1", httpx.Response(200, json={**CENTRO, "active": False}))
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    response = await client.post(
        "/operatore/settori/A1",
        data={
            "name": "Centro storico",
            "description": "Il centro.",
            "streets": "Via Roma\nCorso Trieste",
            "csrf_token": token,
        },
    )
    assert response.status_code == 303
    assert gateway.body("PUT", f"{ADMIN_SECTORS}/A1") == {
        "name": "Centro storico",
        "description": "Il centro.",
        "streets": ["Via Roma", "Corso Trieste"],
        "active": False,
    }
    assert "è stato disattivato" in (await client.get("/operatore/settori")).text


async def test_a_street_the_service_refuses_is_named_by_its_line(client, gateway, login_as, csrf, catalogue):
    await login_as("admin")
    gateway.on(
        "PUT",
        f"{ADMIN_SECTORS}/A1",
        httpx.Response(
            422,
            json={
                "status": 422,
                "code": "validation_failed",
                "detail": "Controlla i dati inseriti.",
                "errors": [
                    {
                        "field": "streets.1",
                        "code": "street_repeated",
                        "message": "La via «via roma» è già elencata.",
                    },
                    {"field": "name", "code": "required", "message": "Inserisci il nome del settore."},
                ],
            },
            headers={"content-type": "application/problem+json"},
        ),
    )
    response = await client.post(
        "/operatore/settori/A1",
        data={
            "name": "",
            "streets": "Via Roma\nvia roma",
            "active": "1",
            "csrf_token": await csrf("/operatore/settori/A1"),
        },
    )
    page = html.unescape(response.text)
    assert response.status_code == 422
    assert re.search(r'id="streets-error">.*Riga 2: La via «via roma» è già elencata.', page, re.S)
    assert re.search(r'id="name-error">.*Inserisci il nome del settore.', page, re.S)
    assert ">Via Roma\nvia roma</textarea>" in page


async def test_an_unknown_sector_is_the_404_page(client, login_as, catalogue):
    await login_as("admin")
    assert (await client.get("/operatore/settori/XX")).status_code == 404


@pytest.mark.parametrize("role", ["operator", "admin"])
async def test_the_console_leads_to_the_queues_and_admins_to_the_sectors(client, login_as, role):
    await login_as(role)
    page = (await client.get("/operatore")).text
    assert '<a href="/operatore/certificazioni">Certificazioni da verificare</a>' in page
    assert '<a href="/operatore/targhe">Targhe da verificare</a>' in page
    assert '<a href="/operatore/abbonamenti">Abbonamenti da verificare</a>' in page
    assert "Disponibile a breve." not in page
    assert '<a href="/operatore/pagamenti">Pagamenti</a>' in page
    assert ('href="/operatore/settori"' in page) == (role == "admin")
    assert ('href="/operatore/tipologie"' in page) == (role == "admin")
