"""The "password changed" notice (`identity.password.changed`): what happened, when in Caserta,
and what to do if it was not the citizen; one e-mail per change, even when the event is
delivered again."""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import re
import socket
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import col, select

from contracts.events import PasswordChanged
from devtools.devmail import CatchAllHandler, Mailbox
from kit.consumer import EventHandlers
from kit.db import Database, kit_metadata
from kit.outbox import emit
from kit.testing.pipeline import Pipeline, create_tables, delete_queues
from notifications.domain.emails import DEVELOPMENT_SUPPORT_CONTACT, Composer
from notifications.domain.messages import MessageKind, MessageStatus
from notifications.handlers import build_handlers
from notifications.main import build_runtime
from notifications.models import Message
from notifications.sender import MailSender
from notifications.settings import Settings

PORTAL = "https://parkingcaserta.it"
RECOVERY = f"{PORTAL}/password/dimenticata"
SUBJECT = "Caserta Sosta – La password del tuo account è stata cambiata"
composer = Composer(PORTAL)


def changed(**overrides: object) -> PasswordChanged:
    values: dict[str, object] = {
        "user_id": uuid.uuid4(),
        "email": "mario.rossi@example.it",
        # 14:05 UTC is 15:05 in Caserta in November (CET).
        "changed_at": datetime(2026, 11, 30, 14, 5, tzinfo=UTC),
    }
    return PasswordChanged(**{**values, **overrides})


def seen(part: str) -> str:
    """What a reader sees of a part, on one line (HTML without its tags)."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", part)).split())


def test_the_notice_says_what_happened_when_and_what_to_do_if_it_was_not_the_citizen() -> None:
    event = changed()
    email = composer.password_changed(event)

    assert (email.kind, email.recipient, email.user_id) == (
        MessageKind.PASSWORD_CHANGED,
        "mario.rossi@example.it",
        event.user_id,
    )
    assert email.subject == SUBJECT
    # Nothing secret inside, nothing that stops working: kept, shown to operators, sent late.
    assert not email.is_secret and email.expires_at is None
    for part in (seen(email.text), seen(email.html)):
        assert "La password del tuo account è stata cambiata" in part
        assert "Abbonamenti sosta residenti del Comune di Caserta" in part
        assert "30/11/2026 15:05" in part
        assert "Se la modifica l'hai fatta tu, non devi fare altro." in part
        assert f"Se non sei stato tu, contatta subito il Comune: {DEVELOPMENT_SUPPORT_CONTACT}." in part
        assert "Recupera la password" in part and RECOVERY in part
        assert "Comune di Caserta – Piazza Vanvitelli 1, 81100 Caserta" in part
    assert f'href="{RECOVERY}"' in email.html
    assert '<html lang="it"' in email.html and "<h1" in email.html
    assert "<" not in email.text


def test_the_time_is_shown_on_the_clocks_of_caserta_in_summer_too() -> None:
    # 22:30 UTC on 31 July is 00:30 of 1 August in Caserta (CEST).
    email = composer.password_changed(changed(changed_at=datetime(2026, 7, 31, 22, 30, tzinfo=UTC)))
    assert "01/08/2026 00:30" in email.text and "01/08/2026 00:30" in email.html


def test_the_notice_gives_the_support_contact_of_the_settings_escaped_in_html() -> None:
    email = Composer(PORTAL, support_contact="<b>Ufficio Mobilità</b>, tel. 0823 000000").password_changed(
        changed()
    )
    text = " ".join(email.text.split())  # verbatim
    assert "contatta subito il Comune: <b>Ufficio Mobilità</b>, tel. 0823 000000." in text
    assert "<b>Ufficio" not in email.html
    assert "&lt;b&gt;Ufficio Mobilità&lt;/b&gt;, tel. 0823 000000" in email.html


# Through the real relay, broker, consumer and mail sender -------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.asynccontextmanager
async def catching_smtp() -> AsyncIterator[tuple[Mailbox, int]]:
    # The catcher plays the remote mail server: its log (every SMTP line at DEBUG) is not ours.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    mailbox, port = Mailbox(), free_port()
    controller = Controller(CatchAllHandler(mailbox), hostname="127.0.0.1", port=port)
    await asyncio.to_thread(controller.start)
    try:
        yield mailbox, port
    finally:
        await asyncio.to_thread(controller.stop)


@pytest.fixture
async def pipeline(
    make_database,  # noqa: ANN001
    service_env: dict[str, str],
    amqp_url: str,
    exchange_name: str,
) -> AsyncIterator[Pipeline]:
    """Identity's side (a database with the kit's outbox and a relay) and this service (its
    migrated database, its handlers, the kit's consumer) on the run's exchange."""
    producer_url = await make_database("password_changed_producer")
    await create_tables(producer_url, kit_metadata)
    consumer_url = await make_database("notifications", migrate="notifications")
    rt = build_runtime(Settings(**service_env, database_url=consumer_url, public_base_url=PORTAL))
    handlers: EventHandlers = build_handlers(rt)
    built = Pipeline(
        Database(producer_url),
        rt.db,
        amqp_url,
        exchange_name,
        f"{service_env['queue_prefix']}notifications.password_changed.{uuid.uuid4().hex[:6]}",
        handlers,
    )
    yield built
    for task in built.relays:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    for consumer in built.consumers:
        await consumer.stop()
    await delete_queues(amqp_url, built.queue, built.max_attempts)
    for broker in built.brokers:
        await broker.close()
    await built.producer_db.dispose()
    await rt.db.dispose()


async def messages_to(db: Database, address: str) -> list[Message]:
    """Every message to ``address`` (each test has its own), whatever event it came from."""
    async with db.session() as session:
        return list((await session.exec(select(Message).where(col(Message.recipient) == address))).all())


async def test_a_password_change_gives_exactly_one_email_even_when_the_event_is_delivered_again(
    pipeline: Pipeline, service_env: dict[str, str]
) -> None:
    consumer = await pipeline.start_consumer()
    pipeline.run_relay(pipeline.relay(await pipeline.broker()))
    event = changed(email=f"cittadino.{uuid.uuid4().hex[:8]}@example.it", changed_at=datetime.now(UTC))
    async with pipeline.producer_db.session() as session:  # as identity's change commits it
        await emit(session, event)
        await session.commit()

    async with asyncio.timeout(20):
        while consumer.handled < 1:
            await asyncio.sleep(0.05)
    await pipeline.wait_until_settled()
    envelope = await pipeline.last_sent_envelope()
    [first] = await messages_to(pipeline.consumer_db, event.email)

    # The relay crashed before marking the row sent: the broker gets the same envelope again.
    await pipeline.redeliver(envelope)
    async with asyncio.timeout(20):
        while consumer.handled < 2:
            await asyncio.sleep(0.05)
    await pipeline.wait_until_settled()

    [again] = await messages_to(pipeline.consumer_db, event.email)
    assert (again.id, again.event_id) == (first.id, envelope.event_id)
    assert (again.kind, again.recipient, again.user_id) == (
        MessageKind.PASSWORD_CHANGED.value,
        event.email,
        event.user_id,
    )
    assert again.subject == SUBJECT

    async with catching_smtp() as (mailbox, port):
        settings = Settings(
            **service_env, database_url=pipeline.consumer_db.url, smtp_host="127.0.0.1", smtp_port=port
        )
        sender = MailSender(build_runtime(settings))
        try:
            assert await sender.send_batch() == 1
            assert await sender.send_batch() == 0
        finally:
            await sender.db.dispose()
        [mail] = mailbox.list(event.email)
    assert mail.subject == SUBJECT
    assert mail.text is not None and RECOVERY in mail.text
    assert mail.html is not None and f'href="{RECOVERY}"' in mail.html
    [sent] = await messages_to(pipeline.consumer_db, event.email)
    assert sent.status == MessageStatus.SENT
