"""The gateway configuration (gateway/*.j2 rendered by devtools.gateway) run by the real
Traefik in front of echo backends."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest

from devtools.devmail import CONTENT_SECURITY_POLICY as DEVMAIL_CSP
from devtools.gateway import GatewaySettings
from devtools.processes import free_ports
from devtools.services import SERVICES
from kit.client_address import signed_headers
from portal.security import CONTENT_SECURITY_POLICY as PORTAL_CSP
from tests.gateway.conftest import CLIENT_ADDRESS_SECRET

services = pytest.mark.parametrize("service", SERVICES, ids=[s.name for s in SERVICES])


def assert_gateway_problem(response: httpx.Response, status: int, code: str) -> None:
    """One of the gateway's own refusals: an Italian problem, with the security headers."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    assert problem["code"] == code
    assert problem["type"] == f"https://parkingcaserta.it/problemi/{code}"
    assert problem["title"] and problem["detail"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert len(response.headers.get_list("content-security-policy")) == 1


async def test_ping_answers(client: httpx.AsyncClient) -> None:
    response = await client.get("/ping")

    assert response.status_code == 200


@services
async def test_service_prefix_reaches_its_service_with_the_path_unchanged(
    client: httpx.AsyncClient, service
) -> None:
    response = await client.get(f"{service.prefix}/health/ready?x=1")

    assert response.json()["backend"] == service.name
    assert response.json()["path"] == f"{service.prefix}/health/ready?x=1"


@pytest.mark.parametrize("path", ["/", "/static/css/portal.css", "/api/identityx", "/api/unknown"])
async def test_every_other_path_reaches_the_portal(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)

    assert response.json()["backend"] == "portal"
    assert response.json()["path"] == path


async def test_dev_mail_reaches_the_catcher_without_the_prefix(client: httpx.AsyncClient) -> None:
    response = await client.get("/dev/mail/api/messages?to=a@example.it")

    echoed = response.json()
    assert echoed["backend"] == "devmail"
    assert echoed["path"] == "/api/messages?to=a@example.it"
    assert echoed["headers"]["x-forwarded-prefix"] == "/dev/mail"


async def test_dev_mail_is_not_routed_in_production(start_gateway) -> None:
    async with start_gateway(ENVIRONMENT="production", GATEWAY_PUBLIC_HOST="parcheggi.example.it") as gateway:
        async with httpx.AsyncClient(
            base_url=gateway.url, headers={"Host": "parcheggi.example.it"}
        ) as client:
            response = await client.get("/dev/mail/")

    assert response.json()["backend"] == "portal"


def test_a_production_gateway_needs_its_public_host() -> None:
    with pytest.raises(ValueError, match="GATEWAY_PUBLIC_HOST"):
        GatewaySettings(environment="production", public_host="")


async def test_hsts_is_sent_only_when_configured(client: httpx.AsyncClient, start_gateway) -> None:
    plain = await client.get("/")
    async with start_gateway(GATEWAY_HSTS_SECONDS="31536000") as gateway:
        async with httpx.AsyncClient(base_url=gateway.url) as tls_client:
            behind_tls = await tls_client.get("/")

    assert "strict-transport-security" not in plain.headers
    assert behind_tls.headers["strict-transport-security"].startswith("max-age=31536000")


@pytest.mark.parametrize(
    "path", ["/", "/api/identity/x", "/api/billing/docs", "/dev/mail/", "/api/identity/auth/login"]
)
async def test_security_headers_are_on_every_route(client: httpx.AsyncClient, path: str) -> None:
    headers = (await client.get(path)).headers

    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["permissions-policy"].startswith("camera=()")
    assert len(headers.get_list("content-security-policy")) == 1
    assert "server" not in headers


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", PORTAL_CSP),
        ("/api/vehicles/plates", "default-src 'none'; frame-ancestors 'none'"),
        ("/api/vehicles/docs", "default-src 'none'; frame-ancestors 'none'"),
        ("/dev/mail/", DEVMAIL_CSP),
        ("/api/billing/sandbox/checkout/x", "form-action 'self'"),
    ],
    ids=["portal", "api", "docs", "devmail", "checkout"],
)
async def test_each_kind_of_route_gets_its_content_security_policy(
    client: httpx.AsyncClient, path: str, expected: str
) -> None:
    response = await client.get(path)

    assert expected in response.headers["content-security-policy"]


@pytest.mark.parametrize(
    "path", ["/api/identity/docs", "/api/vehicles/docs/oauth2-redirect", "/api/billing/openapi.json"]
)
async def test_api_documentation_routes_allow_no_script_at_all(client: httpx.AsyncClient, path: str) -> None:
    policy = (await client.get(path)).headers["content-security-policy"]

    assert "script-src" not in policy and "default-src 'none'" in policy
    assert "unsafe-inline" not in policy
    assert "https:" not in policy


async def test_portal_policy_allows_own_static_files_and_no_inline_script(
    client: httpx.AsyncClient,
) -> None:
    policy = (await client.get("/")).headers["content-security-policy"]

    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert "'self'" in directives["style-src"]
    assert "unsafe-inline" not in policy


async def test_forwarded_headers_come_from_the_gateway_not_the_client(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(
        "/api/identity/me",
        headers={"X-Forwarded-For": "203.0.113.9", "X_Forwarded_For": "203.0.113.10"},
    )

    seen = response.json()["headers"]
    assert seen["x-forwarded-for"] == "127.0.0.1"
    assert seen["x-forwarded-proto"] == "http"
    assert seen["x-forwarded-host"] == client.base_url.netloc.decode()
    assert "x_forwarded_for" not in seen


async def test_encoded_slash_in_the_path_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/identity/a%2F..%2Fadmin")

    assert response.status_code == 400


async def test_body_over_the_limit_is_refused_with_413_before_the_backend(
    client: httpx.AsyncClient, backends
) -> None:
    hits_before = backends["identity"].hits

    accepted = await client.post("/api/identity/profile", content=b"x" * 1024)
    refused = await client.post("/api/identity/profile", content=b"x" * 1025)

    assert accepted.status_code == 200
    assert accepted.json()["body_length"] == 1024
    assert_gateway_problem(refused, 413, "payload_too_large")
    assert refused.json()["detail"] == "La richiesta supera la dimensione massima consentita."
    assert backends["identity"].hits == hits_before + 1


@pytest.mark.parametrize("path", ["/api/certifications/requests", "/api/vehicles/requests", "/"])
async def test_upload_routes_take_larger_bodies_up_to_their_own_limit(
    client: httpx.AsyncClient, path: str
) -> None:
    document = await client.post(path, content=b"x" * 8192)
    too_large = await client.post(path, content=b"x" * 8193)

    assert document.status_code == 200
    assert too_large.status_code == 413


async def test_auth_routes_answer_429_after_a_burst(start_gateway) -> None:
    async with start_gateway(
        GATEWAY_AUTH_RATE_AVERAGE="1", GATEWAY_AUTH_RATE_PERIOD="1m", GATEWAY_AUTH_RATE_BURST="3"
    ) as gateway:
        async with httpx.AsyncClient(base_url=gateway.url) as client:
            burst = [(await client.post("/api/identity/auth/login")).status_code for _ in range(3)]
            registration = await client.post("/api/identity/registrations")
            spoofed = await client.post(
                "/api/identity/auth/login", headers={"X-Forwarded-For": "198.51.100.7"}
            )
            elsewhere = await client.get("/api/identity/health/live")

    assert burst == [200, 200, 200]
    # One budget per client address for every authentication route...
    assert_gateway_problem(registration, 429, "too_many_requests")
    assert registration.json()["detail"] == "Troppi tentativi: riprova più tardi."
    # One attempt a minute: the next one in 60 s.
    assert registration.headers["retry-after"] == "60"
    assert "x-retry-in" not in registration.headers
    # ...that a client cannot escape by claiming another address...
    assert spoofed.status_code == 429
    # ...and that the rest of the API does not share.
    assert elsewhere.status_code == 200


async def test_password_routes_answer_429_after_a_burst(start_gateway) -> None:
    async with start_gateway(
        GATEWAY_AUTH_RATE_AVERAGE="1", GATEWAY_AUTH_RATE_PERIOD="1m", GATEWAY_AUTH_RATE_BURST="3"
    ) as gateway:
        async with httpx.AsyncClient(base_url=gateway.url) as client:
            statuses = [(await client.post("/api/identity/password/forgot")).status_code for _ in range(40)]
            refused = await client.post("/api/identity/password/reset")
            login = await client.post("/api/identity/auth/login")

    # A password reset request sends an e-mail: the same budget as the credentials.
    assert statuses == [200] * 3 + [429] * 37
    assert_gateway_problem(refused, 429, "too_many_requests")
    assert refused.headers["retry-after"] == "60"
    # One budget for every authentication route, password resets included.
    assert login.status_code == 429


async def test_auth_requests_from_the_portal_are_limited_per_citizen(
    start_gateway, portal_address: str
) -> None:
    async with start_gateway(
        GATEWAY_AUTH_RATE_AVERAGE="1", GATEWAY_AUTH_RATE_PERIOD="1m", GATEWAY_AUTH_RATE_BURST="2"
    ) as gateway:
        portal_side = httpx.AsyncHTTPTransport(local_address=portal_address)
        async with httpx.AsyncClient(base_url=gateway.url, transport=portal_side) as portal:

            async def login(citizen: str) -> httpx.Response:
                headers = signed_headers(citizen, CLIENT_ADDRESS_SECRET)
                return await portal.post("/api/identity/auth/login", headers=headers)

            first = [(await login("203.0.113.1")).status_code for _ in range(3)]
            other_citizen = await login("203.0.113.2")

    assert first == [200, 200, 429]
    assert other_citizen.status_code == 200
    # The service gets the signed address to check for itself, and the portal's own address as
    # the client: nothing the portal could have claimed.
    echoed = other_citizen.json()["headers"]
    assert echoed["x-client-address"] == "203.0.113.2"
    assert echoed["x-forwarded-for"] == portal_address


async def test_a_trusted_neighbour_cannot_choose_its_rate_limit_bucket(
    start_gateway, portal_address: str
) -> None:
    """Finding 5: from the portal's address, a new X-Forwarded-For each time passed 40 of 40."""
    async with start_gateway(
        GATEWAY_AUTH_RATE_AVERAGE="1", GATEWAY_AUTH_RATE_PERIOD="1m", GATEWAY_AUTH_RATE_BURST="3"
    ) as gateway:
        neighbour = httpx.AsyncHTTPTransport(local_address=portal_address)
        async with httpx.AsyncClient(base_url=gateway.url, transport=neighbour) as client:
            spoofed = [
                (
                    await client.post(
                        "/api/identity/auth/login", headers={"X-Forwarded-For": f"198.51.100.{n}"}
                    )
                ).status_code
                for n in range(1, 41)
            ]
            unsigned = await client.post(
                "/api/identity/auth/login",
                headers={"X-Client-Address": "198.51.100.99", "X-Client-Address-Signature": "1.forged"},
            )
            stale = await client.post(
                "/api/identity/auth/login",
                headers=signed_headers("198.51.100.98", CLIENT_ADDRESS_SECRET, now=time.time() - 600),
            )
            other_secret = await client.post(
                "/api/identity/auth/login", headers=signed_headers("198.51.100.97", b"not-the-secret")
            )
            # Forged attempts never counted against the address they named.
            genuine = await client.post(
                "/api/identity/auth/login", headers=signed_headers("198.51.100.99", CLIENT_ADDRESS_SECRET)
            )

    assert spoofed == [200] * 3 + [429] * 37
    for refused in (unsigned, stale, other_secret):
        assert_gateway_problem(refused, 403, "client_address_not_attested")
    assert genuine.status_code == 200


async def test_access_log_lines_are_json_without_credentials(gateway, client) -> None:
    await client.get("/api/subscriptions/mine", headers={"Authorization": "Bearer secret-token-123"})

    deadline = time.monotonic() + 5
    entries: list[dict] = []
    while time.monotonic() < deadline:
        entries = [json.loads(line) for line in gateway.access_log_lines()]
        if any(e.get("RequestPath") == "/api/subscriptions/mine" for e in entries):
            break
        await asyncio.sleep(0.1)
    entry = next(e for e in entries if e.get("RequestPath") == "/api/subscriptions/mine")

    assert entry["DownstreamStatus"] == 200
    assert entry["ServiceName"] == "subscriptions@file"
    assert entry["downstream_X-Correlation-Id"].startswith("subscriptions-")
    assert "secret-token-123" not in json.dumps(entries)


@pytest.mark.parametrize("status", [400, 401, 404, 409, 422, 429, 500, 503])
async def test_a_services_own_refusals_reach_the_client_unchanged(
    client: httpx.AsyncClient, status: int
) -> None:
    """Identity's login lockout is a 429 problem with its own wait: never the gateway's. (No
    service answers 413, 502 or 504: those are the gateway's.)"""
    response = await client.post("/api/identity/auth/login", headers={"X-Echo-Status": str(status)})

    assert response.status_code == status
    assert response.json() == {"backend": "identity", "status": status, "code": "backend_own"}
    assert response.headers["retry-after"] == "123"


async def test_a_backend_that_does_not_answer_is_an_italian_502_problem(start_gateway) -> None:
    (closed_port,) = free_ports(1)
    async with start_gateway(GATEWAY_BILLING_URL=f"http://127.0.0.1:{closed_port}") as gateway:
        async with httpx.AsyncClient(base_url=gateway.url) as client:
            response = await client.get("/api/billing/orders")

    assert_gateway_problem(response, 502, "bad_gateway")
    assert response.json()["title"] == "Servizio non raggiungibile"


async def test_a_browser_gets_the_gateways_refusal_as_an_italian_page(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/",
        content=b"x" * 8193,
        headers={"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
    )

    assert response.status_code == 413
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert '<html lang="it">' in response.text
    assert "Richiesta troppo grande" in response.text
    assert "<script" not in response.text and "style" not in response.text


async def test_request_headers_are_limited_to_what_a_browser_sends(client: httpx.AsyncClient) -> None:
    # Cookies and a bearer token of a real session are a few KiB; a megabyte is an attack.
    browser_sized = await client.get("/", headers={"Cookie": "portal_session=" + "a" * 24 * 1024})
    oversized = await client.get("/", headers={"Cookie": "portal_session=" + "a" * 40 * 1024})

    assert browser_sized.status_code == 200
    # Go's HTTP server answers this one itself, before any route: its own words, no problem.
    assert oversized.status_code == 431


@services
async def test_metrics_are_not_found_through_the_gateway(
    client: httpx.AsyncClient, backends, service
) -> None:
    hits_before = backends[service.name].hits

    responses = [await client.get(f"{service.prefix}/metrics{tail}") for tail in ("", "/", "/x")]

    for response in responses:
        assert_gateway_problem(response, 404, "not_found")
    assert backends[service.name].hits == hits_before


async def test_only_the_public_host_is_routed_when_one_is_set(start_gateway, backends) -> None:
    async with start_gateway(GATEWAY_PUBLIC_HOST="parcheggi.comune.caserta.it") as gateway:
        async with httpx.AsyncClient(base_url=gateway.url) as client:
            public = await client.get("/api/identity/me", headers={"Host": "parcheggi.comune.caserta.it"})
            portal = await client.get("/", headers={"Host": "parcheggi.comune.caserta.it:443"})
            hits_before = sum(b.hits for b in backends.values())
            others = [
                await client.get(path, headers={"Host": host})
                for host in ("evil.example", "127.0.0.1")
                for path in ("/", "/api/identity/me/", "/api/identity/auth/login", "/dev/mail/")
            ]
            hits_after = sum(b.hits for b in backends.values())

    assert public.json()["backend"] == "identity"
    assert portal.json()["backend"] == "portal"
    for response in others:
        assert_gateway_problem(response, 404, "not_found")
    assert hits_after == hits_before


async def test_a_trailing_slash_with_a_forged_host_is_not_found_instead_of_redirected(
    start_gateway, kit_backend
) -> None:
    async with start_gateway(GATEWAY_IDENTITY_URL=kit_backend.url) as gateway:
        async with httpx.AsyncClient(base_url=gateway.url) as client:
            response = await client.get("/api/identity/health/live/", headers={"Host": "evil.example"})

    assert response.status_code == 404
    assert "location" not in response.headers
    assert response.json()["code"] == "not_found"


async def test_a_500_never_costs_the_next_client_a_502(start_gateway, kit_backend) -> None:
    """uvicorn closed the connection after an exception left the app, while the gateway was
    already reusing it for another client's request."""
    kit_backend.records.clear()
    async with start_gateway(GATEWAY_IDENTITY_URL=kit_backend.url) as gateway:
        async with (
            httpx.AsyncClient(base_url=gateway.url) as first,
            httpx.AsyncClient(base_url=gateway.url) as second,
        ):
            failed, following = [], []
            for i in range(20):
                failed.append(
                    await first.get("/api/identity/boom", headers={"X-Correlation-ID": f"boom-{i}"})
                )
                following.append(await second.post("/api/identity/echo", json={"n": i}))

    assert [r.status_code for r in following] == [200] * 20
    assert [r.json() for r in following] == [{"n": i} for i in range(20)]
    for i, response in enumerate(failed):
        assert response.status_code == 500
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "internal_error"
        assert response.headers["x-correlation-id"] == f"boom-{i}"
    tracebacks = [r for r in kit_backend.records if r.exc_info]
    assert len(tracebacks) == 20
    assert sorted(r.msg["correlation_id"] for r in tracebacks) == sorted(f"boom-{i}" for i in range(20))
