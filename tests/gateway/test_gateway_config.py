"""The gateway configuration (gateway/*.j2 rendered by devtools.gateway) run by the real
Traefik in front of echo backends."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest

from devtools.devmail import CONTENT_SECURITY_POLICY as DEVMAIL_CSP
from devtools.services import SERVICES
from portal.security import CONTENT_SECURITY_POLICY as PORTAL_CSP

services = pytest.mark.parametrize("service", SERVICES, ids=[s.name for s in SERVICES])


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
    async with start_gateway(ENVIRONMENT="production") as gateway:
        async with httpx.AsyncClient(base_url=gateway.url) as client:
            response = await client.get("/dev/mail/")

    assert response.json()["backend"] == "portal"


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
        ("/api/vehicles/docs", "https://cdn.jsdelivr.net"),
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
    assert refused.status_code == 413
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
    assert registration.status_code == 429
    # ...that a client cannot escape by claiming another address...
    assert spoofed.status_code == 429
    # ...and that the rest of the API does not share.
    assert elsewhere.status_code == 200


async def test_auth_requests_from_the_portal_are_limited_per_citizen(
    start_gateway, portal_address: str
) -> None:
    async with start_gateway(
        GATEWAY_AUTH_RATE_AVERAGE="1", GATEWAY_AUTH_RATE_PERIOD="1m", GATEWAY_AUTH_RATE_BURST="2"
    ) as gateway:
        portal_side = httpx.AsyncHTTPTransport(local_address=portal_address)
        async with httpx.AsyncClient(base_url=gateway.url, transport=portal_side) as portal:

            async def login(citizen: str) -> httpx.Response:
                return await portal.post("/api/identity/auth/login", headers={"X-Forwarded-For": citizen})

            first = [(await login("203.0.113.1")).status_code for _ in range(3)]
            other_citizen = await login("203.0.113.2")

    assert first == [200, 200, 429]
    assert other_citizen.status_code == 200
    # The service sees the citizen's address first, as the portal forwarded it.
    assert other_citizen.json()["headers"]["x-forwarded-for"] == f"203.0.113.2, {portal_address}"


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
