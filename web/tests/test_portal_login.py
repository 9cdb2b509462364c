import html
import re

import httpx


def _labelled(page: str, label: str) -> str:
    """The id of the input whose <label for> reads exactly ``label``."""
    match = re.search(r'<label for="([^"]+)"[^>]*>\s*' + re.escape(label) + r"\s*<", page)
    assert match, f"no label {label!r}"
    field_id = match.group(1)
    assert re.search(rf'<(input|select)[^>]*\bid="{field_id}"', page), f"label {label!r} points at nothing"
    return field_id


async def test_login_page_has_labelled_fields_the_button_and_both_links(client):
    page = (await client.get("/login")).text
    assert _labelled(page, "Email") == "email"
    assert _labelled(page, "Password") == "password"
    assert re.search(r'<button type="submit"[^>]*>Accedi</button>', page)
    assert 'href="/registrazione">Registrati</a>' in page
    assert 'href="/password/dimenticata">Password dimenticata?</a>' in page


async def test_wrong_credentials_show_the_generic_error_and_keep_the_email(
    client, gateway, csrf, make_problem
):
    gateway.on(
        "POST",
        "/api/identity/auth/login",
        make_problem(401, "invalid_credentials", "Email o password non corretti."),
    )
    response = await client.post(
        "/login",
        data={"email": "mario@example.it", "password": "sbagliata1", "csrf_token": await csrf("/login")},
    )
    assert response.status_code == 401
    assert 'role="alert"' in response.text and "Email o password non corretti." in response.text
    assert 'value="mario@example.it"' in response.text
    assert "sbagliata1" not in response.text
    assert gateway.body("POST", "/api/identity/auth/login") == {
        "email": "mario@example.it",
        "password": "sbagliata1",
    }


async def test_throttled_login_says_when_to_retry(client, gateway, csrf, make_problem):
    gateway.on(
        "POST",
        "/api/identity/auth/login",
        make_problem(429, "too_many_attempts", "Email o password non corretti.", **{"Retry-After": "600"}),
    )
    response = await client.post(
        "/login",
        data={"email": "mario@example.it", "password": "x1234567", "csrf_token": await csrf("/login")},
    )
    assert response.status_code == 429
    assert "Troppi tentativi di accesso non riusciti: per sicurezza riprova tra 10 minuti." in response.text


async def test_empty_fields_are_reported_next_to_each_field_without_calling_identity(client, gateway, csrf):
    response = await client.post(
        "/login", data={"email": "", "password": "", "csrf_token": await csrf("/login")}
    )
    assert response.status_code == 422
    assert re.search(r'id="email"[^>]*aria-describedby="email-error" aria-invalid="true"', response.text)
    assert 'id="email-error"' in response.text and 'id="password-error"' in response.text
    assert gateway.calls("POST", "/api/identity/auth/login") == []


async def test_citizen_goes_to_the_dashboard_with_the_name_in_the_header(client, gateway, login_as):
    response = await login_as("citizen")
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard"
    page = await client.get("/dashboard")
    assert "Mario Rossi" in page.text and ">Esci</button>" in page.text
    me = gateway.calls("GET", "/api/identity/me")[0]
    assert me.headers["authorization"] == "Bearer access-1"


async def test_operators_and_admins_go_to_the_console(client, login_as):
    assert (await login_as("operator")).headers["location"] == "/operatore"


async def test_admin_goes_to_the_console(client, login_as):
    assert (await login_as("admin")).headers["location"] == "/operatore"


async def test_unavailable_identity_gives_an_italian_message_and_keeps_the_email(client, gateway, csrf):
    def down(request):
        raise httpx.ConnectError("connection refused", request=request)

    gateway.on("POST", "/api/identity/auth/login", down)
    response = await client.post(
        "/login",
        data={"email": "mario@example.it", "password": "x1234567", "csrf_token": await csrf("/login")},
    )
    assert response.status_code == 503
    assert "Il servizio non è al momento disponibile" in response.text
    assert 'value="mario@example.it"' in response.text
    assert "ConnectError" not in response.text


async def test_a_gateway_5xx_is_reported_as_unavailable_too(client, gateway, csrf):
    gateway.on("POST", "/api/identity/auth/login", httpx.Response(502, text="Bad Gateway"))
    response = await client.post(
        "/login",
        data={"email": "mario@example.it", "password": "x1234567", "csrf_token": await csrf("/login")},
    )
    assert response.status_code == 503
    assert "Il servizio non è al momento disponibile" in response.text


async def test_dashboard_when_logged_out_redirects_to_login_with_a_message(client):
    response = await client.get("/dashboard")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/dashboard"
    login = await client.get(response.headers["location"])
    assert "Accedi per continuare." in login.text
    assert 'name="next" value="/dashboard"' in login.text


async def test_login_returns_to_the_page_asked_for(client, gateway, csrf, profile_data):
    gateway.on(
        "POST",
        "/api/identity/auth/login",
        httpx.Response(
            200,
            json={
                "access_token": "a",
                "refresh_token": "r",
                "token_type": "Bearer",
                "expires_in": 600,
                "role": "citizen",
            },
        ),
    )
    gateway.on("GET", "/api/identity/me", httpx.Response(200, json=profile_data))
    response = await client.post(
        "/login",
        data={
            "email": "m@example.it",
            "password": "x1234567",
            "next": "/profilo",
            "csrf_token": await csrf("/login"),
        },
    )
    assert response.headers["location"] == "/profilo"


async def test_login_ignores_a_next_that_leaves_the_site(client, gateway, csrf, profile_data):
    gateway.on(
        "POST",
        "/api/identity/auth/login",
        httpx.Response(
            200,
            json={
                "access_token": "a",
                "refresh_token": "r",
                "token_type": "Bearer",
                "expires_in": 600,
                "role": "citizen",
            },
        ),
    )
    gateway.on("GET", "/api/identity/me", httpx.Response(200, json=profile_data))
    response = await client.post(
        "/login",
        data={
            "email": "m@example.it",
            "password": "x1234567",
            "next": "//evil.example/",
            "csrf_token": await csrf("/login"),
        },
    )
    assert response.headers["location"] == "/dashboard"


async def test_logout_revokes_the_refresh_token_and_forgets_the_session(client, gateway, login_as):
    await login_as("citizen")
    gateway.on("POST", "/api/identity/auth/logout", httpx.Response(204))
    page = await client.get("/dashboard")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    response = await client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert gateway.body("POST", "/api/identity/auth/logout") == {"refresh_token": "refresh-1"}
    home = await client.get("/")
    assert (
        "Sei uscito dall'area personale." in html.unescape(home.text) and "<span>Accedi</span>" in home.text
    )
    assert (await client.get("/dashboard")).status_code == 303


async def test_logout_works_even_when_identity_is_down(client, gateway, login_as):
    await login_as("citizen")
    gateway.on("POST", "/api/identity/auth/logout", httpx.Response(503))
    page = await client.get("/dashboard")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    response = await client.post("/logout", data={"csrf_token": token})
    assert response.headers["location"] == "/"
    assert (await client.get("/dashboard")).status_code == 303


async def test_logged_in_pages_are_never_cached(client, login_as):
    await login_as("citizen")
    assert (await client.get("/dashboard")).headers["cache-control"] == "no-store"
