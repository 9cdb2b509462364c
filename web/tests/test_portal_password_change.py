""" "Cambia password" in the profile: the current password and the new one twice, sent to
identity; its refusals next to the fields, nothing typed written back."""

import html
import re

import httpx

CHANGE = "/api/identity/me/password"
TYPED = {
    "current_password": "Vecchia-2026",
    "new_password": "Nuova-2027x",
    "new_password_confirmation": "Nuova-2027x",
}


def field_error(page: str, name: str) -> str:
    assert re.search(
        rf'id="{name}"[^>]*aria-describedby="[^"]*{name}-error[^"]*" aria-invalid="true"', page
    ), name
    match = re.search(rf'id="{name}-error">(.*?)</div>', page, re.S)
    assert match, f"no message next to {name}"
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


async def test_the_profile_offers_the_change_with_its_own_labelled_fields(client, login_as) -> None:  # noqa: ANN001
    await login_as("citizen")
    page = (await client.get("/profilo")).text
    assert '<h2 id="titolo-password" class="h3">Cambia password</h2>' in page
    for name, label in [
        ("current_password", "Password attuale"),
        ("new_password", "Nuova password"),
        ("new_password_confirmation", "Conferma nuova password"),
    ]:
        assert re.search(rf'<label for="{name}"[^>]*>{label}</label>', page), label
        assert re.search(rf'<input type="password" id="{name}" name="{name}"', page), name
    # One id per field on the page (the e-mail change has its own "password").
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))


async def test_a_change_is_sent_to_identity_and_confirmed(client, gateway, login_as, csrf) -> None:  # noqa: ANN001
    await login_as("citizen")
    gateway.on("POST", CHANGE, httpx.Response(204))
    response = await client.post("/profilo/password", data={**TYPED, "csrf_token": await csrf("/profilo")})
    assert response.status_code == 303 and response.headers["location"] == "/profilo#cambio-password"
    assert gateway.body("POST", CHANGE) == {
        "current_password": "Vecchia-2026",
        "password": "Nuova-2027x",
        "password_confirmation": "Nuova-2027x",
    }
    assert gateway.calls("POST", CHANGE)[-1].headers["authorization"] == "Bearer access-1"
    page = html.unescape((await client.get("/profilo")).text)
    assert "La password è stata cambiata." in page
    assert "le altre sessioni aperte con il tuo account sono state chiuse" in page


async def test_a_wrong_current_password_and_a_weak_new_one_are_shown_next_to_their_fields(
    client,  # noqa: ANN001
    gateway,  # noqa: ANN001
    login_as,  # noqa: ANN001
    csrf,  # noqa: ANN001
    make_problem,  # noqa: ANN001
) -> None:
    await login_as("citizen")
    gateway.on(
        "POST",
        CHANGE,
        make_problem(
            422,
            "password_incorrect",
            "La password non è corretta.",
            [
                {
                    "field": "current_password",
                    "code": "password_incorrect",
                    "message": "La password non è corretta.",
                },
                {
                    "field": "password",
                    "code": "password_no_digit",
                    "message": "La password deve contenere almeno un numero.",
                },
            ],
        ),
    )
    response = await client.post(
        "/profilo/password",
        data={**TYPED, "new_password": "senzanumeri", "csrf_token": await csrf("/profilo")},
    )
    assert response.status_code == 422
    assert field_error(response.text, "current_password") == "La password non è corretta."
    assert field_error(response.text, "new_password") == "La password deve contenere almeno un numero."
    page = html.unescape(response.text)
    for secret in ("Vecchia-2026", "senzanumeri", "Nuova-2027x"):
        assert secret not in page
    assert "Per sicurezza le password non vengono conservate: inseriscile di nuovo." in page


async def test_too_many_wrong_current_passwords_are_explained(
    client, gateway, login_as, csrf, make_problem
) -> None:  # noqa: ANN001
    await login_as("citizen")
    message = "Troppi tentativi di accesso non riusciti: riprova tra 1 minuti."
    gateway.on("POST", CHANGE, make_problem(429, "too_many_attempts", message, **{"Retry-After": "60"}))
    response = await client.post("/profilo/password", data={**TYPED, "csrf_token": await csrf("/profilo")})
    assert response.status_code == 429
    assert message in html.unescape(response.text)


async def test_the_change_needs_a_login(client, csrf) -> None:  # noqa: ANN001
    response = await client.post("/profilo/password", data={**TYPED, "csrf_token": await csrf("/login")})
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
