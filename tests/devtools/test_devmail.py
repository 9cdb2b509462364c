"""The development mail catcher: SMTP in, JSON API and Italian pages out, never in production."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import httpx
import pytest
from asgi_lifespan import LifespanManager

from devtools.devmail import DevmailSettings, Mailbox, create_app
from devtools.processes import ManagedProcess, ProcessDied, free_ports, stop_all, wait_for_http


@pytest.fixture
async def catcher() -> AsyncIterator[tuple[httpx.AsyncClient, int]]:
    """The catcher app with its SMTP server on a free port; an HTTP client on the app."""
    (smtp_port,) = free_ports(1)
    settings = DevmailSettings(environment="test", devmail_smtp_port=smtp_port)
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


# Probes a local port: not in the fast lane.
@pytest.mark.io
def test_command_exits_with_an_error_in_production() -> None:
    smtp_port, http_port = free_ports(2)
    env = os.environ | {
        "ENVIRONMENT": "production",
        "DEVMAIL_SMTP_PORT": str(smtp_port),
        "DEVMAIL_PORT": str(http_port),
    }

    result = subprocess.run(
        [sys.executable, "-m", "devtools.devmail"], env=env, capture_output=True, text=True, timeout=30
    )

    assert result.returncode == 2
    assert "ENVIRONMENT=production" in result.stderr


# ------------------------------------------------------------ its own address, not SMTP_HOST/SMTP_PORT
# SMTP_HOST/SMTP_PORT tell the services where to send mail and may point at a real relay; the
# catcher listens on DEVMAIL_SMTP_HOST/DEVMAIL_SMTP_PORT, so `make run` starts either way.

DEVMAIL_VARIABLES = ("DEVMAIL_SMTP_HOST", "DEVMAIL_SMTP_PORT", "DEVMAIL_HOST", "DEVMAIL_PORT")


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port another server listens on (the relay, or anything else on this machine)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


def test_settings_ignore_the_services_smtp_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in DEVMAIL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SMTP_HOST", "smtp.comune-caserta.example")
    monkeypatch.setenv("SMTP_PORT", "587")

    settings = DevmailSettings(_env_file=None)

    assert (settings.devmail_smtp_host, settings.devmail_smtp_port) == ("127.0.0.1", 1025)
    assert (settings.devmail_host, settings.devmail_port) == ("127.0.0.1", 8025)


def test_settings_read_the_catchers_own_smtp_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMTP_HOST", "smtp.comune-caserta.example")
    monkeypatch.setenv("SMTP_PORT", "587")
    monkeypatch.setenv("DEVMAIL_SMTP_HOST", "0.0.0.0")
    monkeypatch.setenv("DEVMAIL_SMTP_PORT", "2525")

    settings = DevmailSettings(_env_file=None)

    assert (settings.devmail_smtp_host, settings.devmail_smtp_port) == ("0.0.0.0", 2525)


def test_default_smtp_address_is_where_notifications_sends_by_default() -> None:
    from notifications.settings import Settings as NotificationsSettings

    catcher = DevmailSettings.model_fields
    sender = NotificationsSettings.model_fields

    assert catcher["devmail_smtp_host"].default == sender["smtp_host"].default == "127.0.0.1"
    assert catcher["devmail_smtp_port"].default == sender["smtp_port"].default == 1025


def _catcher_process(tmp_path: Path, env: dict[str, str]) -> ManagedProcess:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("SMTP_", "DEVMAIL_"))}
    return ManagedProcess(
        name="devmail",
        args=[sys.executable, "-m", "devtools.devmail"],
        env=inherited | {"ENVIRONMENT": "test", "LOG_JSON": "true"} | env,
        log_path=tmp_path / "devmail.log",
        cwd=tmp_path,  # no .env of the repository
    ).start()


async def test_catcher_starts_on_its_own_address_when_smtp_port_is_taken(
    tmp_path: Path, taken_port: int
) -> None:
    smtp_port, http_port = free_ports(2)
    process = _catcher_process(
        tmp_path,
        {
            # The services' relay: its port is taken by another server, as a real relay's would be.
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(taken_port),
            "DEVMAIL_SMTP_HOST": "127.0.0.1",
            "DEVMAIL_SMTP_PORT": str(smtp_port),
            "DEVMAIL_HOST": "127.0.0.1",
            "DEVMAIL_PORT": str(http_port),
        },
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{http_port}", timeout=5.0) as client:
            await wait_for_http(client, "/health/live", watch=[process], timeout_s=30)
            await aiosmtplib.send(
                email("mario@example.it", "Benvenuto"), hostname="127.0.0.1", port=smtp_port
            )
            listed = (await client.get("/api/messages")).json()
    finally:
        await asyncio.to_thread(stop_all, [process])

    assert [m["subject"] for m in listed] == ["Benvenuto"]
    assert f'"smtp": "127.0.0.1:{smtp_port}"' in process.tail()


async def test_catcher_stops_when_its_own_smtp_port_is_taken(tmp_path: Path, taken_port: int) -> None:
    """The conflict the previous test avoids is real: a taken port stops the catcher."""
    (http_port,) = free_ports(1)
    process = _catcher_process(
        tmp_path,
        {
            "DEVMAIL_SMTP_HOST": "127.0.0.1",
            "DEVMAIL_SMTP_PORT": str(taken_port),
            "DEVMAIL_PORT": str(http_port),
        },
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{http_port}", timeout=5.0) as client:
            with pytest.raises(ProcessDied):
                await wait_for_http(client, "/health/live", watch=[process], timeout_s=30)
    finally:
        await asyncio.to_thread(stop_all, [process])

    assert process.exit_code != 0
    assert "address already in use" in process.tail(200)
