"""The whole platform, started as in a local run, answers through the gateway."""

from __future__ import annotations

from email.message import EmailMessage

import aiosmtplib
import httpx
import pytest

from devtools.mailbox import Mailbox
from devtools.services import SERVICES
from devtools.teststack import Stack
from portal.security import CONTENT_SECURITY_POLICY as PORTAL_CSP

prefixes = pytest.mark.parametrize("prefix", [s.prefix for s in SERVICES], ids=[s.name for s in SERVICES])


@prefixes
async def test_service_is_ready_through_the_gateway(gateway: httpx.AsyncClient, prefix: str) -> None:
    response = await gateway.get(f"{prefix}/health/ready")

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ok"


async def test_home_page_is_the_portal_in_italian(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<html lang="it"' in response.text
    assert "<span>Accedi</span>" in response.text


async def test_portal_static_files_are_served_through_the_gateway(
    gateway: httpx.AsyncClient,
) -> None:
    response = await gateway.get("/static/css/portal.css")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")


@prefixes
async def test_openapi_document_is_reachable(gateway: httpx.AsyncClient, prefix: str) -> None:
    response = await gateway.get(f"{prefix}/openapi.json")

    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert f"{prefix}/health/ready" in document["paths"]


@prefixes
async def test_no_docs_page_runs_third_party_scripts(gateway: httpx.AsyncClient, prefix: str) -> None:
    response = await gateway.get(f"{prefix}/docs")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert "cdn.jsdelivr.net" not in response.text
    assert "unsafe-inline" not in response.headers["content-security-policy"]


@pytest.mark.parametrize("service", SERVICES, ids=[s.name for s in SERVICES])
async def test_metrics_are_scraped_from_each_service_not_through_the_gateway(
    gateway: httpx.AsyncClient, stack: Stack, service
) -> None:
    public = await gateway.get(f"{service.prefix}/metrics")
    async with httpx.AsyncClient() as inside:
        scraped = await inside.get(f"{stack.service_url(service.name)}{service.prefix}/metrics")

    assert public.status_code == 404
    assert public.json()["code"] == "not_found"
    assert scraped.status_code == 200
    assert "broker_connected 1.0" in scraped.text


@pytest.mark.parametrize("path", ["/", "/api/identity/health/live"])
async def test_security_headers_are_set(gateway: httpx.AsyncClient, path: str) -> None:
    headers = (await gateway.get(path)).headers

    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "same-origin"
    assert "camera=()" in headers["permissions-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "server" not in headers
    # Plain HTTP locally: no HSTS.
    assert "strict-transport-security" not in headers


async def test_portal_gets_its_own_content_security_policy(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/")

    assert response.headers.get_list("content-security-policy") == [PORTAL_CSP]


async def test_api_responses_carry_a_correlation_id(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/api/vehicles/health/live", headers={"X-Correlation-ID": "e2e-1"})

    assert response.headers["x-correlation-id"] == "e2e-1"


async def test_mail_catcher_is_served_under_dev_mail(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/dev/mail/")

    assert response.status_code == 200
    assert "Posta di sviluppo" in response.text
    assert 'href="/dev/mail/style.css"' in response.text


async def test_mail_sent_to_the_stack_smtp_reaches_the_mailbox(stack: Stack, mailbox: Mailbox) -> None:
    message = EmailMessage()
    message["From"] = "noreply@comune.caserta.it"
    message["To"] = "e2e-mailbox@example.it"
    message["Subject"] = "Prova di consegna"
    message.set_content("Messaggio di prova.")

    await aiosmtplib.send(message, hostname=stack.smtp_host, port=stack.smtp_port)
    received = await mailbox.wait_for_message(to="e2e-mailbox@example.it", subject_contains="prova")

    assert received["subject"] == "Prova di consegna"
    assert "Messaggio di prova." in received["text"]


NUL_INPUTS = [
    (
        "POST",
        "/api/identity/auth/login",
        {"json": {"email": "a\u0000b@example.it", "password": "x"}},
        "email",
    ),
    ("PATCH", "/api/identity/me", {"json": {"first_name": "Ma\u0000rio"}}, "first_name"),
    (
        "POST",
        "/api/identity/registrations/00000000-0000-4000-8000-000000000000/complete",
        {"json": {"password": "a\u0000b"}},
        "password",
    ),
    ("GET", "/api/identity/admin/users?q=a%00b", {}, "q"),
]


@pytest.mark.parametrize(
    ("method", "path", "extra", "field"), NUL_INPUTS, ids=["login", "profile", "complete", "search"]
)
async def test_a_nul_character_is_refused_and_the_next_client_is_served(
    stack: Stack, method: str, path: str, extra: dict, field: str
) -> None:
    """A NUL reaching PostgreSQL was a 500, and the POST of the next client a 502."""
    async with (
        httpx.AsyncClient(base_url=stack.url) as first,
        httpx.AsyncClient(base_url=stack.url) as second,
    ):
        refused = await first.request(method, path, **extra)
        following = await second.post("/api/identity/password/forgot", json={"email": "nessuno@example.it"})

    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "control_characters"
    assert refused.json()["detail"] == "Il testo contiene caratteri non ammessi."
    assert [e["field"] for e in refused.json()["errors"]] == [field]
    assert following.status_code < 500, following.text


@prefixes
async def test_a_trailing_slash_with_a_forged_host_is_never_redirected_there(
    gateway: httpx.AsyncClient, prefix: str
) -> None:
    response = await gateway.get(f"{prefix}/health/live/", headers={"Host": "evil.example"})

    assert response.status_code == 404
    assert "evil.example" not in response.headers.get("location", "")
    assert response.json()["code"] == "not_found"


async def test_the_gateways_own_refusals_are_italian_problems(gateway: httpx.AsyncClient) -> None:
    too_large = await gateway.post("/api/identity/me", content=b"x" * (1024 * 1024 + 1))

    assert too_large.status_code == 413
    assert too_large.headers["content-type"] == "application/problem+json"
    assert too_large.json()["detail"] == "La richiesta supera la dimensione massima consentita."
