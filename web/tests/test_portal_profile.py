import html
import json
import re

import httpx


async def _csrf(client) -> str:
    page = await client.get("/profilo")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


async def test_profile_shows_the_personal_details_from_identity(client, login_as):
    await login_as("citizen")
    response = await client.get("/profilo")
    page = html.unescape(response.text)
    assert response.status_code == 200
    for value in ("Mario", "Rossi", "RSSMRA80A01B963X", "Maschile", "01/01/1980", "mario.rossi@example.it"):
        assert value in page
    assert 'value="Via Roma"' in page and 'value="3331234567"' in page


async def test_contacts_update_sends_only_phone_and_address(client, gateway, login_as):
    await login_as("citizen")
    gateway.on("PATCH", "/api/identity/me", httpx.Response(200, json={}))
    response = await client.post(
        "/profilo",
        data={
            "phone": "3330000000",
            "address_street": "Corso Trieste",
            "address_number": "5",
            "postcode": "81100",
            "municipality": "Caserta",
            "first_name": "Hacker",
            "csrf_token": await _csrf(client),
        },
    )
    assert response.status_code == 303
    assert gateway.body("PATCH", "/api/identity/me") == {
        "phone": "3330000000",
        "address_street": "Corso Trieste",
        "address_number": "5",
        "postcode": "81100",
        "municipality": "Caserta",
    }
    assert "I tuoi recapiti sono stati aggiornati." in (await client.get("/profilo")).text


async def test_refused_contacts_are_shown_next_to_the_field_with_the_typed_values(
    client, gateway, login_as, make_problem
):
    await login_as("citizen")
    gateway.on(
        "PATCH",
        "/api/identity/me",
        make_problem(
            422,
            "validation_error",
            "I dati inviati non sono validi.",
            [{"field": "postcode", "code": "postcode_invalid", "message": "Il CAP deve avere 5 cifre."}],
        ),
    )
    response = await client.post(
        "/profilo",
        data={
            "phone": "3330000000",
            "address_street": "Corso Trieste",
            "address_number": "5",
            "postcode": "811",
            "municipality": "Caserta",
            "csrf_token": await _csrf(client),
        },
    )
    assert response.status_code == 422
    assert re.search(r'id="postcode"[^>]*aria-invalid="true"', response.text)
    assert "Il CAP deve avere 5 cifre." in response.text
    assert 'value="Corso Trieste"' in response.text and 'value="811"' in response.text


async def test_email_change_asks_the_otp_sent_to_the_new_address_then_confirms(
    client, gateway, login_as, profile_data
):
    await login_as("citizen")
    gateway.on("POST", "/api/identity/me/email", httpx.Response(202, json={}))
    response = await client.post(
        "/profilo/email",
        data={"new_email": "nuovo@example.it", "password": "segreta123", "csrf_token": await _csrf(client)},
    )
    assert response.status_code == 303
    assert gateway.body("POST", "/api/identity/me/email") == {
        "new_email": "nuovo@example.it",
        "password": "segreta123",
    }
    page = html.unescape((await client.get("/profilo")).text)
    assert "Abbiamo inviato un codice OTP all'indirizzo nuovo@example.it" in re.sub(r"<[^>]+>", "", page)
    assert re.search(r'<label for="otp"[^>]*>Codice OTP</label>', page)

    updated = {**profile_data, "email": "nuovo@example.it"}
    gateway.on("POST", "/api/identity/me/email/confirm", httpx.Response(200, json=updated))
    gateway.on("GET", "/api/identity/me", httpx.Response(200, json=updated))
    response = await client.post(
        "/profilo/email/conferma", data={"otp": "654321", "csrf_token": await _csrf(client)}
    )
    assert response.status_code == 303
    assert json.loads(gateway.calls("POST", "/api/identity/me/email/confirm")[-1].content) == {
        "otp": "654321"
    }
    page = html.unescape((await client.get("/profilo")).text)
    assert "Il tuo indirizzo email è stato aggiornato." in page
    assert 'for="new_email"' in page  # back to the request form


async def test_wrong_password_for_email_change_is_shown_next_to_password(
    client, gateway, login_as, make_problem
):
    await login_as("citizen")
    gateway.on(
        "POST",
        "/api/identity/me/email",
        make_problem(
            400,
            "invalid_password",
            "Password non corretta.",
            [{"field": "password", "code": "invalid_password", "message": "Password non corretta."}],
        ),
    )
    response = await client.post(
        "/profilo/email",
        data={"new_email": "nuovo@example.it", "password": "sbagliata1", "csrf_token": await _csrf(client)},
    )
    assert re.search(r'id="password"[^>]*aria-invalid="true"', response.text)
    assert 'value="nuovo@example.it"' in response.text and "sbagliata1" not in response.text


async def test_profile_needs_a_login(client):
    response = await client.get("/profilo")
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/profilo"
