"""The development mail catcher: SMTP in, JSON API and Italian pages out, never in production."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from email.message import EmailMessage

import aiosmtplib
import httpx
import pytest
from asgi_lifespan import LifespanManager

from devtools.devmail import DevmailSettings, Mailbox, create_app
from devtools.processes import free_ports


@pytest.fixture
async def catcher() -> AsyncIterator[tuple[httpx.AsyncClient, int]]:
    """The catcher app with its SMTP server on a free port; an HTTP client on the app."""
    (smtp_port,) = free_ports(1)
    settings = DevmailSettings(environment="test", smtp_port=smtp_port)
    app = create_app(settings, Mailbox(capacity=3))
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://devmail") as client:
            yield client, smtp_port


def email(to: str, subject: str, *, html: str | None = None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Comune di Caserta <noreply@comune.caserta.it>"
    message["To"] = to
    message["Subject"] = subject
    message.set_content(f"Testo di {subject}")
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


async def test_message_sent_over_smtp_is_listed_by_the_json_api(catcher) -> None:
    client, smtp_port = catcher

    await aiosmtplib.send(email("mario@example.it", "Benvenuto"), hostname="127.0.0.1", port=smtp_port)
    listed = (await client.get("/api/messages")).json()

    assert len(listed) == 1
    assert listed[0]["subject"] == "Benvenuto"
    assert listed[0]["to"] == ["mario@example.it"]
    assert listed[0]["from"] == "Comune di Caserta <noreply@comune.caserta.it>"


async def test_messages_are_listed_newest_first_and_filtered_by_recipient(catcher) -> None:
    client, smtp_port = catcher
    for to, subject in [("a@example.it", "uno"), ("b@example.it", "due"), ("A@example.it", "tre")]:
        await aiosmtplib.send(email(to, subject), hostname="127.0.0.1", port=smtp_port)

    everything = (await client.get("/api/messages")).json()
    for_a = (await client.get("/api/messages", params={"to": "a@EXAMPLE.it"})).json()

    assert [m["subject"] for m in everything] == ["tre", "due", "uno"]
    assert [m["subject"] for m in for_a] == ["tre", "uno"]


async def test_message_detail_has_text_html_and_attachments(catcher) -> None:
    client, smtp_port = catcher
    message = email("mario@example.it", "Ricevuta", html="<p>La tua <b>ricevuta</b></p>")
    message.add_attachment(b"%PDF-1.7", maintype="application", subtype="pdf", filename="r.pdf")
    await aiosmtplib.send(message, hostname="127.0.0.1", port=smtp_port)
    (summary,) = (await client.get("/api/messages")).json()

    detail = (await client.get(f"/api/messages/{summary['id']}")).json()

    assert detail["text"].strip() == "Testo di Ricevuta"
    assert detail["html"].strip() == "<p>La tua <b>ricevuta</b></p>"
    assert detail["attachments"] == [
        {"index": 0, "filename": "r.pdf", "content_type": "application/pdf", "size": 8}
    ]


async def test_unknown_message_is_404(catcher) -> None:
    client, _ = catcher

    assert (await client.get("/api/messages/999")).status_code == 404


async def test_delete_empties_the_mailbox(catcher) -> None:
    client, smtp_port = catcher
    await aiosmtplib.send(email("mario@example.it", "x"), hostname="127.0.0.1", port=smtp_port)

    deleted = await client.delete("/api/messages")

    assert deleted.status_code == 204
    assert (await client.get("/api/messages")).json() == []


async def test_only_the_most_recent_messages_are_kept(catcher) -> None:
    client, smtp_port = catcher  # capacity 3
    for n in range(5):
        await aiosmtplib.send(email("m@example.it", f"n{n}"), hostname="127.0.0.1", port=smtp_port)

    subjects = [m["subject"] for m in (await client.get("/api/messages")).json()]

    assert subjects == ["n4", "n3", "n2"]


async def test_inbox_page_lists_messages_in_italian(catcher) -> None:
    client, smtp_port = catcher
    await aiosmtplib.send(email("mario@example.it", "Codice OTP"), hostname="127.0.0.1", port=smtp_port)

    page = await client.get("/")

    assert page.headers["content-type"].startswith("text/html")
    assert '<html lang="it">' in page.text
    assert "Mittente" in page.text and "Oggetto" in page.text
    assert "Codice OTP" in page.text
    assert "<script" not in page.text


async def test_message_page_renders_html_in_a_sandboxed_frame(catcher) -> None:
    client, smtp_port = catcher
    html = '<p onclick="x()">Ciao</p><script>alert("x")</script>'
    await aiosmtplib.send(email("m@example.it", "HTML", html=html), hostname="127.0.0.1", port=smtp_port)
    (summary,) = (await client.get("/api/messages")).json()

    page = (await client.get(f"/messages/{summary['id']}")).text

    assert "<iframe" in page and " sandbox " in page
    assert 'srcdoc="&lt;p onclick=&#34;x()&#34;&gt;Ciao&lt;/p&gt;&lt;script&gt;' in page
    assert "<script>" not in page


async def test_links_follow_the_prefix_of_the_gateway(catcher) -> None:
    client, _ = catcher

    page = await client.get("/", headers={"X-Forwarded-Prefix": "/dev/mail"})

    assert 'href="/dev/mail/style.css"' in page.text
    assert 'action="/dev/mail/clear"' in page.text


def test_refuses_to_run_in_production() -> None:
    with pytest.raises(SystemExit, match="ENVIRONMENT=production"):
        create_app(DevmailSettings(environment="production"))


def test_command_exits_with_an_error_in_production() -> None:
    smtp_port, http_port = free_ports(2)
    env = os.environ | {
        "ENVIRONMENT": "production",
        "SMTP_PORT": str(smtp_port),
        "DEVMAIL_PORT": str(http_port),
    }

    result = subprocess.run(
        [sys.executable, "-m", "devtools.devmail"], env=env, capture_output=True, text=True, timeout=30
    )

    assert result.returncode == 2
    assert "ENVIRONMENT=production" in result.stderr
