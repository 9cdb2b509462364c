"""Fasi 10–11: "Nuova Richiesta" (certification, plate, subscription type) and "Auto Elettriche"
(a plate certified electric): only the choices the citizen has, guidance with links when
something is missing, the service's refusals next to their fields."""

import html
import re

import httpx
import pytest

OPTIONS = "/api/subscriptions/options"
REQUESTS = "/api/subscriptions/requests"
ELECTRIC = "/api/subscriptions/requests/electric"

CERTIFICATION = "5b0e1f9a-4c1e-4d0b-9c59-0c0a2a7b9d11"
OTHER_CERTIFICATION = "6c1f2a0b-5d2f-4e1c-8d6a-1d1b3b8c0e22"
PANDA = "6a1f0c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b"
ZOE = "7b2a1d3f-4c5e-4f6a-9b0c-1d2e3f4a5b6c"


def _type(code, name, price_cents, *, sectors=(), all_sectors=False, electric_only=False, months=12):
    return {
        "code": code,
        "name": name,
        "description": "",
        "sector_codes": list(sectors),
        "all_sectors": all_sectors,
        "duration_months": months,
        "price_cents": price_cents,
        "net_cents": 0,
        "vat_cents": 0,
        "vat_rate": "22.00",
        "currency": "EUR",
        "price_label": "",
        "renewable": True,
        "electric_only": electric_only,
    }


ANNUAL = _type("RES-ANNUALE", "Residenti – annuale", 6000, sectors=["S1", "S2"])
HALF_YEAR = _type("RES-SEMESTRALE", "Residenti – semestrale", 3500, sectors=["S1"], months=6)
OTHER_SECTOR = _type("RES-S9", "Residenti – settore 9", 4000, sectors=["S9"])
ELECTRIC_TYPE = _type(
    "ELETTRICA-ANNUALE", "Auto elettrica – annuale", 0, all_sectors=True, electric_only=True
)
CERT_S1 = {
    "certification_id": CERTIFICATION,
    "sector_code": "S1",
    "sector_name": "Centro storico",
    "valid_from": "2026-03-03",
    "valid_until": "2027-03-02",
    "allowed_type_codes": ["RES-ANNUALE", "RES-SEMESTRALE", "ELETTRICA-ANNUALE"],
}
PANDA_PLATE = {"plate_id": PANDA, "plate": "AB123CD", "make": "Fiat", "model": "Panda", "electric": False}
ZOE_PLATE = {"plate_id": ZOE, "plate": "EV001AA", "make": "Renault", "model": "Zoe", "electric": True}
CREATED = {
    "id": "1c9e8d7f-6b5a-4c3d-9e2f-1a0b9c8d7e6f",
    "status": "pending",
    "status_label": "In attesa di esito",
    "submitted_at": "2026-05-02T09:00:00Z",
}


def options(certifications=(CERT_S1,), plates=(PANDA_PLATE,), types=(ANNUAL, HALF_YEAR, OTHER_SECTOR)):
    return httpx.Response(
        200, json={"certifications": list(certifications), "plates": list(plates), "types": list(types)}
    )


def select_options(page: str, name: str) -> list[tuple[str, str]]:
    start = page.index(f'<select id="{name}"')
    part = page[start : page.index("</select>", start)]
    return [
        (value, html.unescape(text).strip())
        for value, text in re.findall(r'<option value="([^"]+)"[^>]*>([^<]*)</option>', part)
    ]


def selected(page: str, name: str) -> str | None:
    start = page.index(f'<select id="{name}"')
    match = re.search(r'<option value="([^"]*)" selected', page[start : page.index("</select>", start)])
    return match.group(1) if match else None


def field_error(page: str, name: str) -> str:
    match = re.search(
        rf'<div class="invalid-feedback portal-field-error" id="{name}-error">(.*?)</div>', page, re.S
    )
    assert match, f"no error next to {name}"
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


def main(page: str) -> str:
    return html.unescape(page[page.index("<main") : page.index("</main>")])


# --- "Nuova Richiesta" -----------------------------------------------------------------------


async def test_the_form_offers_the_certification_the_plates_and_the_types_its_sector_allows(
    client, gateway, login_as, a11y_problems
):
    await login_as("citizen")
    gateway.on(
        "GET", OPTIONS, options(plates=(PANDA_PLATE, ZOE_PLATE), types=(ANNUAL, HALF_YEAR, OTHER_SECTOR))
    )
    response = await client.get("/abbonamenti/nuova")
    page = response.text

    assert response.status_code == 200
    assert '<label for="certification_id">Tipologia di certificazione</label>' in page
    assert '<label for="plate_id">Targa</label>' in page
    assert '<label for="subscription_type_code">Tipologia di abbonamento</label>' in page
    assert select_options(page, "certification_id") == [
        (CERTIFICATION, "Centro storico (S1), valida fino al 02/03/2027")
    ]
    assert select_options(page, "plate_id") == [
        (PANDA, "AB123CD – Fiat Panda"),
        (ZOE, "EV001AA – Renault Zoe (elettrico)"),
    ]
    # The type of another sector is not offered.
    assert select_options(page, "subscription_type_code") == [
        ("RES-ANNUALE", "Residenti – annuale: € 60,00 per 12 mesi"),
        ("RES-SEMESTRALE", "Residenti – semestrale: € 35,00 per 6 mesi"),
    ]
    # One certification: chosen already; two plates: the citizen chooses.
    assert selected(page, "certification_id") == CERTIFICATION
    assert selected(page, "plate_id") is None
    assert f'data-certifications="{CERTIFICATION}"' in page
    assert re.search(r'<script defer src="/static/js/abbonamento\.js\?v=[0-9a-f]{12}"></script>', page)
    assert '<button type="submit" class="btn btn-primary">Invia Richiesta</button>' in page
    assert a11y_problems(page) == []


async def test_types_for_electric_cars_are_offered_only_with_an_electric_plate(client, gateway, login_as):
    await login_as("citizen")
    types = (ANNUAL, ELECTRIC_TYPE)
    gateway.on("GET", OPTIONS, options(plates=(PANDA_PLATE,), types=types))
    without = (await client.get("/abbonamenti/nuova")).text
    assert [code for code, _ in select_options(without, "subscription_type_code")] == ["RES-ANNUALE"]

    gateway.on("GET", OPTIONS, options(plates=(PANDA_PLATE, ZOE_PLATE), types=types))
    with_electric = (await client.get("/abbonamenti/nuova")).text
    assert select_options(with_electric, "subscription_type_code")[1] == (
        "ELETTRICA-ANNUALE",
        "Auto elettrica – annuale: gratuito per 12 mesi (solo auto elettriche)",
    )


async def test_without_allowed_codes_the_types_are_read_by_their_sectors(client, gateway, login_as):
    await login_as("citizen")
    certification = {k: v for k, v in CERT_S1.items() if k != "allowed_type_codes"}
    gateway.on("GET", OPTIONS, options(certifications=(certification,)))
    page = (await client.get("/abbonamenti/nuova")).text
    assert [code for code, _ in select_options(page, "subscription_type_code")] == [
        "RES-ANNUALE",
        "RES-SEMESTRALE",
    ]


async def test_sending_posts_the_three_choices_and_the_dashboard_confirms(client, gateway, login_as, csrf):
    await login_as("citizen")
    gateway.on("GET", OPTIONS, options())
    gateway.on("POST", REQUESTS, httpx.Response(201, json=CREATED))
    token = await csrf("/abbonamenti/nuova")
    response = await client.post(
        "/abbonamenti/nuova",
        data={
            "certification_id": CERTIFICATION,
            "plate_id": PANDA,
            "subscription_type_code": "RES-ANNUALE",
            "csrf_token": token,
        },
    )
    assert response.status_code == 303 and response.headers["location"] == "/dashboard#abbonamenti"
    assert gateway.body("POST", REQUESTS) == {
        "certification_id": CERTIFICATION,
        "plate_id": PANDA,
        "subscription_type_code": "RES-ANNUALE",
    }
    assert gateway.calls("POST", REQUESTS)[0].headers["authorization"] == "Bearer access-1"
    dashboard = (await client.get("/dashboard")).text
    subscriptions = dashboard[dashboard.index('id="abbonamenti"') :]
    assert "La richiesta di abbonamento è stata inviata" in html.unescape(subscriptions)


async def test_a_choice_left_empty_is_left_out_for_the_service_to_name(
    client, gateway, login_as, csrf, make_problem
):
    await login_as("citizen")
    gateway.on("GET", OPTIONS, options(types=(ANNUAL, HALF_YEAR)))
    gateway.on(
        "POST",
        REQUESTS,
        make_problem(
            422,
            "validation_error",
            "I dati inviati non sono validi.",
            [{"field": "subscription_type_code", "code": "missing", "message": "Campo obbligatorio."}],
        ),
    )
    token = await csrf("/abbonamenti/nuova")
    response = await client.post(
        "/abbonamenti/nuova",
        data={
            "certification_id": CERTIFICATION,
            "plate_id": PANDA,
            "subscription_type_code": "",
            "csrf_token": token,
        },
    )
    assert gateway.body("POST", REQUESTS) == {"certification_id": CERTIFICATION, "plate_id": PANDA}
    assert response.status_code == 422
    assert field_error(response.text, "subscription_type_code") == "Campo obbligatorio."


async def test_the_services_refusals_are_shown_next_to_their_fields_and_the_choices_stay(
    client, gateway, login_as, csrf, make_problem, a11y_problems
):
    await login_as("citizen")
    gateway.on("GET", OPTIONS, options(plates=(PANDA_PLATE, ZOE_PLATE)))
    gateway.on(
        "POST",
        REQUESTS,
        make_problem(
            422,
            "plate_not_available",
            "Targa non ancora disponibile: riprova tra qualche istante.",
            [
                {
                    "field": "plate_id",
                    "code": "plate_dissociated",
                    "message": "La targa non è più associata al tuo profilo: scegline un'altra.",
                },
                {
                    "field": "subscription_type_code",
                    "code": "subscription_type_not_allowed",
                    "message": "La tipologia di abbonamento scelta non è prevista per il settore S1 "
                    "della certificazione.",
                },
            ],
        ),
    )
    token = await csrf("/abbonamenti/nuova")
    response = await client.post(
        "/abbonamenti/nuova",
        data={
            "certification_id": CERTIFICATION,
            "plate_id": ZOE,
            "subscription_type_code": "RES-SEMESTRALE",
            "csrf_token": token,
        },
    )
    page = response.text
    assert response.status_code == 422
    assert field_error(page, "plate_id") == "La targa non è più associata al tuo profilo: scegline un'altra."
    assert field_error(page, "subscription_type_code").startswith(
        "La tipologia di abbonamento scelta non è prevista"
    )
    assert selected(page, "plate_id") == ZOE
    assert selected(page, "subscription_type_code") == "RES-SEMESTRALE"
    assert 'aria-describedby="plate_id-help plate_id-error" aria-invalid="true"' in page
    assert a11y_problems(page) == []


async def test_an_open_request_for_the_plate_is_said_next_to_the_plate(
    client, gateway, login_as, csrf, make_problem
):
    await login_as("citizen")
    gateway.on("GET", OPTIONS, options())
    message = (
        "Per questa targa c'è già una richiesta di abbonamento in corso (in attesa di esito o di "
        "pagamento): attendi che sia conclusa."
    )
    gateway.on(
        "POST",
        REQUESTS,
        make_problem(
            409,
            "plate_has_open_request",
            message,
            [{"field": "plate_id", "code": "plate_has_open_request", "message": message}],
        ),
    )
    token = await csrf("/abbonamenti/nuova")
    response = await client.post(
        "/abbonamenti/nuova",
        data={
            "certification_id": CERTIFICATION,
            "plate_id": PANDA,
            "subscription_type_code": "RES-ANNUALE",
            "csrf_token": token,
        },
    )
    assert response.status_code == 409
    assert field_error(response.text, "plate_id") == message


@pytest.mark.parametrize(
    "certifications, plates, links",
    [
        ((), (PANDA_PLATE,), [("/certificazioni/nuova", "Nuova Certificazione")]),
        ((CERT_S1,), (), [("/targhe/nuova", "Nuova Targa")]),
        ((), (), [("/certificazioni/nuova", "Nuova Certificazione"), ("/targhe/nuova", "Nuova Targa")]),
    ],
    ids=["no-certification", "no-plate", "neither"],
)
async def test_without_a_certification_or_a_plate_the_page_says_what_to_do_first(
    client, gateway, login_as, a11y_problems, certifications, plates, links
):
    await login_as("citizen")
    gateway.on("GET", OPTIONS, options(certifications=certifications, plates=plates))
    response = await client.get("/abbonamenti/nuova")
    page = main(response.text)

    assert response.status_code == 200
    assert "<form" not in page
    found = re.findall(
        r'<a class="btn btn-primary btn-sm" href="([^"]+)">.*?<span>([^<]+)</span>', page, re.S
    )
    assert found == links
    if not certifications:
        assert "Non risulta una tua certificazione di residenza valida." in page
    if not plates:
        assert "Non risulta nessuna targa associata al tuo profilo." in page
    assert a11y_problems(response.text) == []


async def test_no_type_for_the_sector_is_explained(client, gateway, login_as):
    await login_as("citizen")
    gateway.on("GET", OPTIONS, options(types=(OTHER_SECTOR,)))
    page = main((await client.get("/abbonamenti/nuova")).text)
    assert "<form" not in page
    assert "non ci sono al momento tipologie di abbonamento disponibili" in page


async def test_options_that_cannot_be_read_show_a_notice_not_a_form(client, gateway, login_as):
    await login_as("citizen")
    gateway.on("GET", OPTIONS, httpx.Response(503))
    response = await client.get("/abbonamenti/nuova")
    assert response.status_code == 503
    assert "Il servizio non è al momento disponibile" in response.text
    assert "<form" not in main(response.text)


# --- "Auto Elettriche" -----------------------------------------------------------------------


async def test_the_electric_form_offers_only_plates_certified_electric(
    client, gateway, login_as, a11y_problems
):
    await login_as("citizen")
    gateway.on("GET", OPTIONS, options(plates=(PANDA_PLATE, ZOE_PLATE), types=(ANNUAL, ELECTRIC_TYPE)))
    response = await client.get("/abbonamenti/auto-elettriche")
    page = response.text

    assert response.status_code == 200
    assert '<label for="plate_id">Targa</label>' in page
    assert select_options(page, "plate_id") == [(ZOE, "EV001AA – Renault Zoe (elettrico)")]
    assert selected(page, "plate_id") == ZOE
    # One electric type: shown, not chosen.
    assert '<select id="subscription_type_code"' not in page
    assert "Auto elettrica – annuale: gratuito per 12 mesi" in html.unescape(page)
    assert '<button type="submit" class="btn btn-primary">Invia Richiesta</button>' in page
    assert a11y_problems(page) == []


async def test_the_electric_request_posts_the_plate(client, gateway, login_as, csrf):
    await login_as("citizen")
    gateway.on("GET", OPTIONS, options(plates=(ZOE_PLATE,), types=(ELECTRIC_TYPE,)))
    gateway.on("POST", ELECTRIC, httpx.Response(201, json=CREATED))
    token = await csrf("/abbonamenti/auto-elettriche")
    response = await client.post("/abbonamenti/auto-elettriche", data={"plate_id": ZOE, "csrf_token": token})
    assert response.status_code == 303 and response.headers["location"] == "/dashboard#abbonamenti"
    assert gateway.body("POST", ELECTRIC) == {"plate_id": ZOE}


async def test_with_several_electric_types_the_citizen_chooses_one(client, gateway, login_as, csrf):
    await login_as("citizen")
    half = _type(
        "ELETTRICA-SEMESTRALE", "Auto elettrica – semestrale", 1000, all_sectors=True, electric_only=True
    )
    gateway.on("GET", OPTIONS, options(plates=(ZOE_PLATE,), types=(ELECTRIC_TYPE, half)))
    page = (await client.get("/abbonamenti/auto-elettriche")).text
    assert [code for code, _ in select_options(page, "subscription_type_code")] == [
        "ELETTRICA-ANNUALE",
        "ELETTRICA-SEMESTRALE",
    ]
    gateway.on("POST", ELECTRIC, httpx.Response(201, json=CREATED))
    token = await csrf("/abbonamenti/auto-elettriche")
    await client.post(
        "/abbonamenti/auto-elettriche",
        data={"plate_id": ZOE, "subscription_type_code": "ELETTRICA-SEMESTRALE", "csrf_token": token},
    )
    assert gateway.body("POST", ELECTRIC) == {
        "plate_id": ZOE,
        "subscription_type_code": "ELETTRICA-SEMESTRALE",
    }


async def test_an_electric_refusal_is_shown_next_to_the_plate(client, gateway, login_as, csrf, make_problem):
    await login_as("citizen")
    gateway.on("GET", OPTIONS, options(plates=(ZOE_PLATE,), types=(ELECTRIC_TYPE,)))
    message = (
        "La targa non risulta certificata come veicolo elettrico: scegli un'altra tipologia di abbonamento."
    )
    gateway.on(
        "POST",
        ELECTRIC,
        make_problem(
            422,
            "plate_not_electric",
            message,
            [{"field": "plate_id", "code": "plate_not_electric", "message": message}],
        ),
    )
    token = await csrf("/abbonamenti/auto-elettriche")
    response = await client.post("/abbonamenti/auto-elettriche", data={"plate_id": ZOE, "csrf_token": token})
    assert response.status_code == 422
    assert field_error(response.text, "plate_id") == message


async def test_without_an_electric_plate_the_page_explains_how_one_is_certified(
    client, gateway, login_as, a11y_problems
):
    await login_as("citizen")
    gateway.on("GET", OPTIONS, options(plates=(PANDA_PLATE,), types=(ANNUAL, ELECTRIC_TYPE)))
    response = await client.get("/abbonamenti/auto-elettriche")
    page = main(response.text)
    assert "<form" not in page
    assert "Nessuna delle tue targhe risulta certificata come veicolo elettrico." in page
    assert re.search(r'href="/targhe/nuova">.*?<span>Nuova Targa</span>', page, re.S)
    assert a11y_problems(response.text) == []


async def test_without_an_electric_type_the_page_says_so(client, gateway, login_as):
    await login_as("citizen")
    gateway.on("GET", OPTIONS, options(plates=(ZOE_PLATE,), types=(ANNUAL,)))
    page = main((await client.get("/abbonamenti/auto-elettriche")).text)
    assert "<form" not in page
    assert "L'abbonamento per auto elettriche non è al momento disponibile." in page


async def test_a_refusal_about_a_type_the_page_does_not_offer_to_choose_goes_in_the_summary(
    client, gateway, login_as, csrf, make_problem
):
    await login_as("citizen")
    gateway.on("GET", OPTIONS, options(plates=(ZOE_PLATE,), types=(ELECTRIC_TYPE,)))
    message = "L'abbonamento per auto elettriche non è al momento disponibile."
    gateway.on(
        "POST",
        ELECTRIC,
        make_problem(
            422,
            "electric_type_unavailable",
            message,
            [{"field": "subscription_type_code", "code": "electric_type_unavailable", "message": message}],
        ),
    )
    token = await csrf("/abbonamenti/auto-elettriche")
    response = await client.post("/abbonamenti/auto-elettriche", data={"plate_id": ZOE, "csrf_token": token})
    page = html.unescape(response.text)
    assert response.status_code == 422
    assert f"<li>{message}</li>" in page
    assert 'href="#subscription_type_code"' not in page


@pytest.mark.parametrize("path", ["/abbonamenti/nuova", "/abbonamenti/auto-elettriche"])
async def test_staff_accounts_make_no_requests(client, gateway, login_as, path):
    await login_as("operator")
    response = await client.get(path)
    assert response.status_code == 403
    assert gateway.calls("GET", OPTIONS) == []
