import asyncio

import httpx


def _tokens(n: int) -> dict:
    return {
        "access_token": f"access-{n}",
        "refresh_token": f"refresh-{n}",
        "token_type": "Bearer",
        "expires_in": 600,
        "role": "citizen",
    }


async def test_access_token_near_expiry_is_refreshed_before_the_call(client, gateway, login_as):
    # Identity answers expires_in=5: already "near expiry". The refresh tried during login
    # fails (no answer set yet), so the session keeps that pair.
    await login_as("citizen", expires_in=5)
    gateway.on("POST", "/api/identity/auth/refresh", httpx.Response(200, json=_tokens(2)))
    gateway.requests.clear()
    response = await client.get("/profilo")
    assert response.status_code == 200
    assert [(r.method, r.url.path) for r in gateway.requests] == [
        ("POST", "/api/identity/auth/refresh"),
        ("GET", "/api/identity/me"),
    ]
    assert gateway.body("POST", "/api/identity/auth/refresh") == {"refresh_token": "refresh-1"}
    assert gateway.requests[-1].headers["authorization"] == "Bearer access-2"


async def test_a_401_refreshes_the_token_and_retries_once(client, gateway, login_as, profile_data):
    await login_as("citizen")

    def me(request: httpx.Request) -> httpx.Response:
        if request.headers["authorization"] == "Bearer access-1":
            return httpx.Response(
                401,
                json={"code": "unauthenticated", "detail": "Sessione non valida."},
                headers={"content-type": "application/problem+json"},
            )
        return httpx.Response(200, json=profile_data)

    gateway.on("GET", "/api/identity/me", me)
    gateway.on("POST", "/api/identity/auth/refresh", httpx.Response(200, json=_tokens(2)))
    assert (await client.get("/profilo")).status_code == 200
    # The new pair is kept in the cookie: the next page uses it without refreshing again.
    assert (await client.get("/profilo")).status_code == 200
    assert len(gateway.calls("POST", "/api/identity/auth/refresh")) == 1
    assert gateway.calls("GET", "/api/identity/me")[-1].headers["authorization"] == "Bearer access-2"


async def test_refused_refresh_token_logs_the_user_out_with_a_message(
    client, gateway, login_as, make_problem
):
    await login_as("citizen")
    gateway.on("GET", "/api/identity/me", make_problem(401, "unauthenticated", "Sessione non valida."))
    gateway.on(
        "POST", "/api/identity/auth/refresh", make_problem(401, "refresh_token_reused", "Sessione revocata.")
    )
    response = await client.get("/profilo")
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/profilo"
    login = await client.get("/login?next=/profilo")
    assert "La sessione è scaduta: accedi di nuovo." in login.text
    assert (await client.get("/dashboard")).status_code == 303


async def test_concurrent_pages_share_one_refresh(client, gateway, login_as, profile_data):
    # The refresh during login fails (no answer set yet): the session keeps the short-lived pair.
    await login_as("citizen", expires_in=5)
    gateway.on("GET", "/api/identity/me", httpx.Response(200, json=profile_data))
    gateway.on("POST", "/api/identity/auth/refresh", httpx.Response(200, json=_tokens(2)))
    gateway.requests.clear()
    responses = await asyncio.gather(*(client.get("/profilo") for _ in range(3)))
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert len(gateway.calls("POST", "/api/identity/auth/refresh")) == 1
    assert {r.headers["authorization"] for r in gateway.calls("GET", "/api/identity/me")} == {
        "Bearer access-2"
    }
