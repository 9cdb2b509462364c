import re

import pytest


async def test_dashboard_sections_come_in_the_manual_order_with_their_buttons(client, login_as):
    await login_as("citizen")
    page = (await client.get("/dashboard")).text
    main = page[page.index("<main") : page.index("</main>")]
    headings = re.findall(r"<h2[^>]*>([^<]+)</h2>", main)
    assert headings == ["Richieste Certificazioni", "Richieste Associazione Targa", "Richieste Abbonamento"]
    buttons = re.findall(
        r'<a class="btn btn-primary btn-sm" href="([^"]+)">.*?<span>([^<]+)</span>', page, re.S
    )
    assert buttons == [
        ("/certificazioni/nuova", "Nuova Certificazione"),
        ("/targhe/nuova", "Nuova Targa"),
        ("/abbonamenti/nuova", "Nuova Richiesta"),
    ]
    assert page.count("Nessuna richiesta presente.") == 3


async def test_quick_links_and_electric_cars_button_sit_above_the_sections(client, login_as):
    await login_as("citizen")
    page = (await client.get("/dashboard")).text
    quick = page[page.index('aria-label="Collegamenti rapidi"') : page.index('id="certificazioni"')]
    assert re.findall(r'<a href="(#[a-z]+)">([^<]+)</a>', quick) == [
        ("#certificazioni", "Certificazione"),
        ("#targhe", "Targhe"),
        ("#abbonamenti", "Abbonamenti"),
    ]
    assert re.search(r'href="/abbonamenti/auto-elettriche">.*?<span>Auto Elettriche</span>', quick, re.S)


async def test_operator_opening_the_dashboard_goes_to_the_console(client, login_as):
    await login_as("operator")
    response = await client.get("/dashboard")
    assert response.status_code == 303 and response.headers["location"] == "/operatore"


@pytest.mark.parametrize("path", ["/targhe/nuova", "/abbonamenti/nuova", "/abbonamenti/auto-elettriche"])
async def test_the_request_pages_need_a_login(client, path):
    response = await client.get(path)
    assert response.status_code == 303 and response.headers["location"] == f"/login?next={path}"
