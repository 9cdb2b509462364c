import html
import re

import httpx

SENT = "Se l'indirizzo è registrato, riceverai un'email con le istruzioni."


async def test_forgot_password_always_gives_the_same_confirmation(client, gateway, csrf):
    gateway.on("POST", "/api/identity/password/forgot", httpx.Response(202, json={"detail": SENT}))
    for email in ("registrato@example.it", "sconosciuto@example.it"):
        response = await client.post(
            "/password/dimenticata", data={"email": email, "csrf_token": await csrf("/password/dimenticata")}
        )
        assert response.status_code == 200
        assert SENT in html.unescape(response.text)
    assert [r.content for r in gateway.calls("POST", "/api/identity/password/forgot")] == [
        b'{"email":"registrato@example.it"}',
        b'{"email":"sconosciuto@example.it"}',
    ]


async def test_forgot_password_page_has_a_labelled_email_field(client):
    page = (await client.get("/password/dimenticata")).text
    assert re.search(r'<label for="email"[^>]*>Email</label>', page)


async def test_reset_page_asks_for_new_password_and_confirmation(client):
    page = (await client.get("/password/reimposta?t=abc")).text
    assert re.search(r'<label for="password"[^>]*>Nuova password</label>', page)
    assert re.search(r'<label for="password_confirmation"[^>]*>Conferma password</label>', page)
    assert 'name="token" value="abc"' in page


async def test_reset_page_without_a_token_says_the_link_is_invalid(client):
    response = await client.get("/password/reimposta")
    assert response.status_code == 400
    assert "Il link non è valido o è scaduto." in html.unescape(response.text)


async def test_reset_sends_token_and_passwords_then_goes_to_login(client, gateway, csrf):
    gateway.on("POST", "/api/identity/password/reset", httpx.Response(204))
    response = await client.post(
        "/password/reimposta",
        data={
            "token": "abc",
            "password": "Nuova1234",
            "password_confirmation": "Nuova1234",
            "csrf_token": await csrf("/password/reimposta?t=abc"),
        },
    )
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert gateway.body("POST", "/api/identity/password/reset") == {
        "token": "abc",
        "password": "Nuova1234",
        "password_confirmation": "Nuova1234",
    }
    assert "La password è stata aggiornata" in (await client.get("/login")).text


async def test_used_or_expired_reset_link_offers_a_new_one(client, gateway, csrf, make_problem):
    gateway.on(
        "POST",
        "/api/identity/password/reset",
        make_problem(400, "reset_token_invalid", "Il link non è valido o è scaduto."),
    )
    response = await client.post(
        "/password/reimposta",
        data={
            "token": "usato",
            "password": "Nuova1234",
            "password_confirmation": "Nuova1234",
            "csrf_token": await csrf("/password/reimposta?t=usato"),
        },
    )
    assert response.status_code == 400
    assert "Il link non è valido o è scaduto." in html.unescape(response.text)
    assert 'href="/password/dimenticata"' in response.text


async def test_weak_new_password_is_shown_next_to_the_field(client, gateway, csrf, make_problem):
    gateway.on(
        "POST",
        "/api/identity/password/reset",
        make_problem(
            422,
            "validation_error",
            "I dati inviati non sono validi.",
            [
                {
                    "field": "password",
                    "code": "password_too_short",
                    "message": "La password deve avere almeno 8 caratteri.",
                }
            ],
        ),
    )
    response = await client.post(
        "/password/reimposta",
        data={
            "token": "abc",
            "password": "a1",
            "password_confirmation": "a1",
            "csrf_token": await csrf("/password/reimposta?t=abc"),
        },
    )
    assert response.status_code == 422
    assert re.search(
        r'id="password"[^>]*aria-describedby="password-help password-error" aria-invalid="true"',
        response.text,
    )
    assert "La password deve avere almeno 8 caratteri." in response.text
    assert 'name="token" value="abc"' in response.text
