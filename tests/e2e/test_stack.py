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
    assert "Login" in response.text


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
async def test_docs_page_is_reachable(gateway: httpx.AsyncClient, prefix: str) -> None:
    response = await gateway.get(f"{prefix}/docs")

    assert response.status_code == 200
    assert "swagger-ui" in response.text
    assert f"{prefix}/openapi.json" in response.text


@prefixes
async def test_metrics_are_exposed_through_the_gateway(gateway: httpx.AsyncClient, prefix: str) -> None:
    response = await gateway.get(f"{prefix}/metrics")

    assert response.status_code == 200
    assert "broker_connected 1.0" in response.text


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
