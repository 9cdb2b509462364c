"""The real path: identity's envelopes published on the run's exchange, the notifications
service consuming them, and e-mails arriving at an SMTP catcher."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import html
import logging
import re
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import aio_pika
import httpx
import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from sqlmodel import col, select

from contracts import Envelope, Event
from contracts.events import (
    EmailChangeRequested,
    InvoiceIssuedV2,
    PasswordResetRequested,
    PaymentCompleted,
    RegistrationOtpResent,
    RegistrationStarted,
    UserRegistered,
)
from devtools.devmail import CatchAllHandler, Mailbox, StoredMessage
from kit.consumer import Consumer, EventHandlers, Topology
from kit.messaging import Broker
from kit.testing.services import running_service
from kit.testing.tokens import TestIssuer
from notifications.domain.emails import Composer
from notifications.domain.messages import CONFIDENTIAL, MessageStatus
from notifications.handlers import build_handlers
from notifications.main import build_runtime, create_app
from notifications.models import Message, MessageAttachment, citizens
from notifications.repository import add_message
from notifications.runtime import Runtime
from notifications.sender import MailSender
from notifications.settings import Settings

T = TypeVar("T")


async def eventually(check: Callable[[], Awaitable[T]], timeout_s: float = 15.0) -> T:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        result = await check()
        if result or asyncio.get_running_loop().time() > deadline:
            return result
        await asyncio.sleep(0.05)


async def messages_in(rt: Runtime, **where: Any) -> list[Message]:
    async with rt.db.session() as session:
        query = select(Message).order_by(col(Message.created_at))
        for name, value in where.items():
            query = query.where(getattr(Message, name) == value)
        return list((await session.exec(query)).all())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Catcher:
    """The development mail catcher's mailbox behind an aiosmtpd server that a test can start
    late (to play an SMTP server that is down) and stop."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.mailbox = Mailbox()
        self.controller: Controller | None = None

    async def start(self) -> None:
        # The catcher plays the remote mail server: its log (every SMTP line at DEBUG) is not ours.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        self.controller = Controller(CatchAllHandler(self.mailbox), hostname="127.0.0.1", port=self.port)
        await asyncio.to_thread(self.controller.start)

    async def stop(self) -> None:
        if self.controller is not None:
            await asyncio.to_thread(self.controller.stop)
            self.controller = None

    def messages(self, to: str | None = None) -> list[StoredMessage]:
        return self.mailbox.list(to)

    async def wait_for(self, to: str, count: int = 1, timeout_s: float = 15.0) -> list[StoredMessage]:
        async def arrived() -> list[StoredMessage]:
            found = self.messages(to)
            return found if len(found) >= count else []

        found = await eventually(arrived, timeout_s)
        assert len(found) >= count, f"{len(self.messages(to))} e-mail per {to}, attese {count}"
        return found


@dataclass
class Service:
    app: FastAPI
    client: httpx.AsyncClient
    settings: Settings

    async def messages(self, **where: Any) -> list[Message]:
        return await messages_in(self.app.state.runtime, **where)

    async def settled(self, **where: Any) -> list[Message]:
        """Wait until every message matching ``where`` is sent or given up: from then on the
        sender never touches them again, so what the catcher holds is final."""

        async def done() -> list[Message]:
            rows = await self.messages(**where)
            return rows if rows and all(r.status != MessageStatus.PENDING for r in rows) else []

        rows = await eventually(done)
        assert rows, f"messages {where} still pending"
        return rows

    async def handled(self, count: int) -> None:
        """Wait until the consumer acknowledged ``count`` deliveries (duplicates included)."""

        async def done() -> bool:
            return self.app.state.consumer.handled >= count

        assert await eventually(done), f"consumer handled {self.app.state.consumer.handled}/{count}"


@pytest.fixture(scope="module")
def issuer() -> TestIssuer:
    return TestIssuer()


@pytest.fixture
async def catcher() -> AsyncIterator[Catcher]:
    """Not started: tests start it when the SMTP server should be up."""
    catcher = Catcher(free_port())
    yield catcher
    await catcher.stop()


@pytest.fixture
async def smtp(catcher: Catcher) -> Catcher:
    await catcher.start()
    return catcher


ServiceFactory = Callable[..., contextlib.AbstractAsyncContextManager[Service]]


@pytest.fixture
def start_service(make_database, service_env, catcher: Catcher, issuer: TestIssuer) -> ServiceFactory:  # noqa: ANN001
    @contextlib.asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[Service]:
        settings = Settings(
            **{
                **service_env,
                "database_url": await make_database("notifications", migrate="notifications"),
                "public_base_url": "https://parkingcaserta.it",
                "smtp_host": "127.0.0.1",
                "smtp_port": catcher.port,
                "smtp_timeout_s": 5,
                "mail_poll_interval_s": 0.2,
                "mail_retry_base_s": 0.1,
                "mail_retry_max_s": 0.4,
                **overrides,
            }
        )
        app = create_app(settings)
        issuer.install(app)
        async with running_service(app) as client:
            yield Service(app, client, settings)

    return start


@pytest.fixture
async def service(start_service: ServiceFactory) -> AsyncIterator[Service]:
    async with start_service() as running:
        yield running


@pytest.fixture
async def publish(amqp_url: str, exchange_name: str) -> AsyncIterator[Callable[[Envelope], Awaitable[None]]]:
    """Publish an envelope as identity's outbox relay does: persistent, confirmed."""
    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel(publisher_confirms=True)
    exchange = await channel.declare_exchange(exchange_name, aio_pika.ExchangeType.TOPIC, durable=True)

    async def send(envelope: Envelope) -> None:
        await exchange.publish(
            aio_pika.Message(
                envelope.model_dump_json().encode(),
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                message_id=str(envelope.event_id),
                correlation_id=envelope.correlation_id,
                type=envelope.type,
            ),
            routing_key=envelope.routing_key,
        )

    yield send
    await connection.close()


def wrap(event: Event) -> Envelope:
    return Envelope.wrap(event, correlation_id=uuid.uuid4().hex)


def address() -> str:
    return f"cittadino.{uuid.uuid4().hex[:8]}@example.it"


def registration_started(email: str, expires_in: timedelta = timedelta(minutes=10)) -> RegistrationStarted:
    registration_id = uuid.uuid4()
    return RegistrationStarted(
        registration_id=registration_id,
        email=email,
        otp=f"{uuid.uuid4().int % 1_000_000:06d}",
        resume_url=f"https://parkingcaserta.it/registrazione/{registration_id}?t=resume-{uuid.uuid4().hex}",
        expires_at=datetime.now(UTC) + expires_in,
    )


def user_registered(email: str, user_id: uuid.UUID | None = None) -> UserRegistered:
    return UserRegistered(
        user_id=user_id or uuid.uuid4(),
        email=email,
        tax_code="RSSMRA80A01B963X",
        first_name="Mario",
        last_name="Rossi",
        registered_at=datetime.now(UTC),
    )


def password_reset(email: str, user_id: uuid.UUID) -> PasswordResetRequested:
    return PasswordResetRequested(
        user_id=user_id,
        email=email,
        reset_url=f"https://parkingcaserta.it/password/reimposta?t=reset-{uuid.uuid4().hex}",
        expires_at=datetime.now(UTC) + timedelta(minutes=30),
    )


def email_change(new_email: str, user_id: uuid.UUID) -> EmailChangeRequested:
    return EmailChangeRequested(
        user_id=user_id,
        new_email=new_email,
        otp=f"{uuid.uuid4().int % 1_000_000:06d}",
        expires_at=datetime.now(UTC) + timedelta(minutes=10),
    )


def invoice_issued(user_id: uuid.UUID, number: str, pdf_base64: str) -> InvoiceIssuedV2:
    return InvoiceIssuedV2(
        invoice_id=uuid.uuid4(),
        number=number,
        user_id=user_id,
        request_id=uuid.uuid4(),
        amount_cents=6000,
        issued_at=datetime.now(UTC),
        pdf_filename=f"fattura-{number.replace('/', '-')}.pdf",
        pdf_base64=pdf_base64,
    )


async def test_registration_otp_email_arrives_with_code_and_resume_link(
    service: Service, smtp: Catcher, publish
) -> None:  # noqa: ANN001
    email = address()
    event = registration_started(email)
    await publish(wrap(event))

    [mail] = await smtp.wait_for(email)
    assert mail.subject == "Caserta Sosta – Codice di verifica per la registrazione"
    assert mail.parsed.get_content_type() == "multipart/alternative"
    assert mail.text is not None and mail.html is not None
    for part in (mail.text, mail.html):
        assert event.otp in part
        assert "Riprendi la registrazione" in part
        assert "10 minuti" in part
    assert event.resume_url in mail.text
    assert html.escape(event.resume_url) in mail.html
    assert '<html lang="it"' in mail.html
    [row] = await service.messages(recipient=email)
    assert mail.parsed["Message-ID"] == f"<{row.id.hex}@{service.settings.mail_id_domain}>"


async def test_sender_wakes_on_notify_without_waiting_for_the_poll(
    start_service: ServiceFactory,
    smtp: Catcher,
    publish,  # noqa: ANN001
) -> None:
    email = address()
    async with start_service(mail_poll_interval_s=60) as service:
        await asyncio.sleep(0.3)  # the sender's first pass is over: it now waits for a NOTIFY
        await publish(wrap(user_registered(email)))
        await smtp.wait_for(email, timeout_s=5)

        # The catcher has the e-mail before the sender has recorded it as sent.
        async def sent() -> list[Message]:
            rows = await service.messages(recipient=email)
            return rows if rows and rows[0].status == MessageStatus.SENT else []

        [row] = await eventually(sent)
        assert row.status == MessageStatus.SENT


async def test_sent_secret_messages_keep_no_body_at_rest(service: Service, smtp: Catcher, publish) -> None:  # noqa: ANN001
    email = address()
    await publish(wrap(registration_started(email)))
    await smtp.wait_for(email)

    async def settled() -> list[Message]:
        rows = await service.messages(recipient=email)
        return rows if rows and rows[0].status == MessageStatus.SENT else []

    [row] = await eventually(settled)
    assert (row.text_body, row.html_body) == (None, None)
    assert row.sent_at is not None and row.attempts == 1


async def test_resent_otp_email_has_its_own_subject(service: Service, smtp: Catcher, publish) -> None:  # noqa: ANN001
    email = address()
    first = registration_started(email)
    await publish(wrap(first))
    await smtp.wait_for(email)
    again = RegistrationOtpResent(**{**first.model_dump(), "otp": "135790"})
    await publish(wrap(again))

    mails = await smtp.wait_for(email, count=2)
    newest = mails[0]
    assert newest.subject == "Caserta Sosta – Nuovo codice di verifica per la registrazione"
    assert "135790" in newest.text and "Riprendi la registrazione" in newest.text


async def test_the_same_envelope_delivered_twice_gives_exactly_one_email(
    service: Service,
    smtp: Catcher,
    publish,  # noqa: ANN001
) -> None:
    email = address()
    envelope = wrap(registration_started(email))
    await publish(envelope)
    await publish(envelope)

    await service.handled(2)
    [row] = await service.settled(event_id=envelope.event_id)
    assert row.status == MessageStatus.SENT
    assert len(smtp.messages(email)) == 1


async def test_a_second_insert_for_the_same_event_and_kind_is_ignored(service: Service) -> None:
    """The unique (event_id, kind) guards even a handler that the inbox would not stop
    (e.g. renamed, hence recorded under a new inbox key)."""
    envelope = wrap(registration_started(address()))
    email = Composer("https://parkingcaserta.it").registration_otp(
        RegistrationStarted.model_validate(envelope.payload), envelope.occurred_at
    )
    async with service.app.state.runtime.db.session() as session:
        first = await add_message(session, email, envelope)
        second = await add_message(session, email, envelope)
        await session.commit()
    assert first is not None and second is None
    assert len(await service.messages(event_id=envelope.event_id)) == 1


async def test_welcome_email_after_registration(service: Service, smtp: Catcher, publish) -> None:  # noqa: ANN001
    email = address()
    event = user_registered(email)
    await publish(wrap(event))

    [mail] = await smtp.wait_for(email)
    assert mail.subject == "Caserta Sosta – Registrazione completata"
    for part in (mail.text, mail.html):
        assert "Mario Rossi" in part
        assert "Certificazione di residenza" in part
        assert "Associazione targa" in part
        assert "Richiesta abbonamento" in part

    async def citizen_email() -> str | None:
        async with service.app.state.runtime.db.session() as session:
            rows = await session.exec(select(citizens.c.email).where(citizens.c.user_id == event.user_id))
            return rows.first()

    assert await eventually(citizen_email) == email  # the read model is still kept


async def test_password_reset_email(service: Service, smtp: Catcher, publish) -> None:  # noqa: ANN001
    email = address()
    event = password_reset(email, uuid.uuid4())
    await publish(wrap(event))

    [mail] = await smtp.wait_for(email)
    assert mail.subject == "Caserta Sosta – Recupero della password"
    assert event.reset_url in mail.text
    assert html.escape(event.reset_url) in mail.html
    assert "30 minuti" in mail.text
    assert "Se non hai richiesto tu il recupero, ignora questa email" in " ".join(mail.text.split())


async def test_email_change_otp_goes_to_the_new_address(service: Service, smtp: Catcher, publish) -> None:  # noqa: ANN001
    old, new = address(), address()
    user_id = uuid.uuid4()
    await publish(wrap(user_registered(old, user_id)))
    await smtp.wait_for(old)
    event = email_change(new, user_id)
    await publish(wrap(event))

    [mail] = await smtp.wait_for(new)
    assert mail.recipients == [new]
    assert mail.subject == "Caserta Sosta – Conferma il nuovo indirizzo email"
    assert event.otp in mail.text and event.otp in mail.html
    assert len(smtp.messages(old)) == 1  # only the welcome went to the old address


async def test_an_account_event_that_overtakes_the_registration_is_retried_until_the_citizen_is_known(
    start_service: ServiceFactory,
    smtp: Catcher,
    publish,  # noqa: ANN001
) -> None:
    email, user_id = address(), uuid.uuid4()
    payment = wrap(
        PaymentCompleted(
            payment_id=uuid.uuid4(),
            payment_order_id=uuid.uuid4(),
            request_id=uuid.uuid4(),
            user_id=user_id,
            amount_cents=3500,
            receipt_number="2026/000007",
            paid_at=datetime.now(UTC),
        )
    )
    # Retries spread over tens of seconds: the registration arrives while they go on.
    async with start_service(consumer_max_attempts=10, consumer_retry_base_ms=100) as service:
        await publish(payment)
        await publish(payment)  # a duplicate delivery as well
        await asyncio.sleep(0.5)  # both failed at least once: the citizen is unknown
        assert await service.messages(event_id=payment.event_id) == []
        await publish(wrap(user_registered(email, user_id)))

        mails = await smtp.wait_for(email, count=2)  # the welcome and the payment
        await service.handled(3)
        [row] = await service.settled(event_id=payment.event_id)
        assert service.app.state.consumer.dead_lettered == 0

    [paid] = [m for m in mails if m.subject == "Caserta Sosta – Pagamento ricevuto"]
    assert "€ 35,00" in paid.text and "2026/000007" in paid.text
    assert row.status == MessageStatus.SENT and row.user_id == user_id
    assert len(smtp.messages(email)) == 2


async def test_an_invoice_arrives_once_with_its_pdf_attached_and_the_file_is_not_kept_after(
    service: Service,
    smtp: Catcher,
    publish,  # noqa: ANN001
    invoice_pdf: bytes,
) -> None:
    email, user_id = address(), uuid.uuid4()
    await publish(wrap(user_registered(email, user_id)))
    await smtp.wait_for(email)
    invoice = wrap(invoice_issued(user_id, "2027/000012", base64.b64encode(invoice_pdf).decode()))
    await publish(invoice)
    await publish(invoice)  # a duplicate delivery

    await smtp.wait_for(email, count=2)
    await service.handled(3)
    [row] = await service.settled(event_id=invoice.event_id)

    assert len(smtp.messages(email)) == 2
    [mail] = [m for m in smtp.messages(email) if m.subject == "Caserta Sosta – Fattura n. 2027/000012 emessa"]
    assert mail.parsed.get_content_type() == "multipart/mixed"
    assert mail.text is not None and mail.html is not None
    for part in (mail.text, mail.html):
        assert "2027/000012" in part and "€ 60,00" in part and "fattura-2027-000012.pdf" in part
    [pdf] = mail.attachments()
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_filename() == "fattura-2027-000012.pdf"
    assert pdf.get_content() == invoice_pdf  # the very bytes billing sent, decoded
    assert mail.parsed["Message-ID"] == f"<{row.id.hex}@{service.settings.mail_id_domain}>"
    # Sent: the PDF is no longer kept here (billing keeps the invoice).
    async with service.app.state.runtime.db.session() as session:
        kept = await session.exec(
            select(MessageAttachment).where(col(MessageAttachment.message_id) == row.id)
        )
        assert kept.all() == []


async def test_an_invoice_whose_pdf_is_broken_is_dead_lettered_and_no_email_goes_out(
    start_service: ServiceFactory,
    smtp: Catcher,
    publish,  # noqa: ANN001
    invoice_pdf: bytes,
) -> None:
    email, user_id = address(), uuid.uuid4()
    truncated = base64.b64encode(invoice_pdf[: len(invoice_pdf) // 2]).decode()
    broken = wrap(invoice_issued(user_id, "2027/000666", truncated))
    good = wrap(invoice_issued(user_id, "2027/000013", base64.b64encode(invoice_pdf).decode()))
    async with start_service(consumer_max_attempts=2, consumer_retry_base_ms=50) as service:
        await publish(wrap(user_registered(email, user_id)))
        await smtp.wait_for(email)
        await publish(broken)
        await publish(good)

        async def dead_lettered() -> bool:
            return service.app.state.consumer.dead_lettered >= 1

        assert await eventually(dead_lettered)
        await smtp.wait_for(email, count=2)  # the welcome and the good invoice: nothing blocks
        await service.settled(event_id=good.event_id)
        assert await service.messages(event_id=broken.event_id) == []

    subjects = sorted(m.subject for m in smtp.messages(email))
    assert subjects == [
        "Caserta Sosta – Fattura n. 2027/000013 emessa",
        "Caserta Sosta – Registrazione completata",
    ]


async def test_email_queued_while_smtp_is_down_is_delivered_once_when_it_comes_back(
    service: Service,
    catcher: Catcher,
    publish,  # noqa: ANN001
) -> None:
    email = address()
    event = registration_started(email)
    await publish(wrap(event))

    async def failed_once() -> list[Message]:
        rows = await service.messages(recipient=email)
        return rows if rows and rows[0].attempts >= 1 else []

    [row] = await eventually(failed_once)
    assert row.status == MessageStatus.PENDING and row.last_error
    await catcher.start()

    [mail] = await catcher.wait_for(email)
    assert event.otp in mail.text
    [row] = await service.settled(recipient=email)
    assert row.status == MessageStatus.SENT and row.attempts >= 2
    assert len(catcher.messages(email)) == 1


async def test_sender_gives_up_after_max_attempts_and_forgets_the_secret(
    start_service: ServiceFactory,
    publish,  # noqa: ANN001
    capsys: pytest.CaptureFixture[str],
) -> None:
    email = address()
    async with start_service(mail_max_attempts=3) as service:
        await publish(wrap(registration_started(email)))

        async def given_up() -> list[Message]:
            rows = await service.messages(recipient=email)
            return rows if rows and rows[0].status == MessageStatus.FAILED else []

        [row] = await eventually(given_up)
    assert row.attempts == 3
    assert (row.text_body, row.html_body) == (None, None)
    assert row.last_error
    assert "notifications.message_failed" in capsys.readouterr().out


async def test_a_code_that_expired_before_delivery_is_not_sent(
    service: Service,
    smtp: Catcher,
    publish,  # noqa: ANN001
) -> None:
    email = address()
    await publish(wrap(registration_started(email, expires_in=timedelta(seconds=-1))))

    async def settled() -> list[Message]:
        rows = await service.messages(recipient=email)
        return rows if rows and rows[0].status != MessageStatus.PENDING else []

    [row] = await eventually(settled)
    assert row.status == MessageStatus.FAILED and row.text_body is None
    assert smtp.messages(email) == []


async def test_a_message_that_cannot_be_sent_never_blocks_the_others(
    service: Service,
    smtp: Catcher,
    publish,  # noqa: ANN001
) -> None:
    broken, good = f"{address()}\r\nBcc: intruso@example.it", address()
    await publish(wrap(user_registered(broken)))
    await publish(wrap(user_registered(good)))

    await smtp.wait_for(good)

    async def settled() -> list[Message]:
        rows = await service.messages(recipient=broken)
        return rows if rows and rows[0].status != MessageStatus.PENDING else []

    [row] = await eventually(settled)
    assert row.status == MessageStatus.FAILED and row.attempts == 1
    assert smtp.messages("intruso@example.it") == []


async def test_operator_lists_a_citizens_messages_without_secret_bodies(
    service: Service,
    smtp: Catcher,
    publish,  # noqa: ANN001
    issuer: TestIssuer,
) -> None:
    email, user_id = address(), uuid.uuid4()
    otp_event = registration_started(email)
    reset_event = password_reset(email, user_id)
    await publish(wrap(otp_event))
    await smtp.wait_for(email)
    await publish(wrap(user_registered(email, user_id)))
    await smtp.wait_for(email, count=2)
    await publish(wrap(reset_event))
    await smtp.wait_for(email, count=3)
    await publish(wrap(user_registered(address())))  # someone else
    operator = issuer.headers(role="operator")

    async def all_sent() -> list[dict[str, Any]]:
        response = await service.client.get(
            "/api/notifications/admin/messages", params={"user_id": str(user_id)}, headers=operator
        )
        assert response.status_code == 200, response.text
        items = response.json()["items"]
        return items if len(items) == 3 and all(i["status"] == "sent" for i in items) else []

    items = await eventually(all_sent)
    # The registration OTP went out before the account existed: found through its address.
    assert [i["kind"] for i in items] == ["reset", "welcome", "otp"]
    assert {i["recipient"] for i in items} == {email}
    for item in items:
        assert {"recipient", "subject", "kind", "status", "created_at", "sent_at"} <= item.keys()
        assert item["sent_at"] is not None
    bodies = {i["kind"]: i["body"] for i in items}
    assert bodies["otp"] == bodies["reset"] == CONFIDENTIAL
    assert "Mario Rossi" in bodies["welcome"]
    by_user = await service.client.get(
        "/api/notifications/admin/messages", params={"user_id": str(user_id)}, headers=operator
    )
    for secret in (otp_event.otp, otp_event.resume_url, reset_event.reset_url, "resume-", "reset-"):
        assert secret not in by_user.text

    by_email = await service.client.get(
        "/api/notifications/admin/messages",
        params={"email": email.upper().replace("EXAMPLE.IT", "example.it")},
        headers=issuer.headers(role="admin"),
    )
    assert by_email.status_code == 200
    assert [i["kind"] for i in by_email.json()["items"]] == ["reset", "welcome", "otp"]

    limited = await service.client.get(
        "/api/notifications/admin/messages", params={"email": email, "limit": 1}, headers=operator
    )
    assert limited.json()["limit"] == 1 and limited.json()["total"] == 3
    assert [i["kind"] for i in limited.json()["items"]] == ["reset"]
    rest = await service.client.get(
        "/api/notifications/admin/messages", params={"email": email, "offset": 1}, headers=operator
    )
    assert [i["kind"] for i in rest.json()["items"]] == ["welcome", "otp"]


async def test_citizen_gets_403_on_the_operator_listing(service: Service, issuer: TestIssuer) -> None:
    response = await service.client.get(
        "/api/notifications/admin/messages", headers=issuer.headers(role="citizen")
    )
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "forbidden"
    anonymous = await service.client.get("/api/notifications/admin/messages")
    assert anonymous.status_code == 401


async def test_operator_listing_refuses_bad_filters(service: Service, issuer: TestIssuer) -> None:
    operator = issuer.headers(role="operator")
    for params in ({"user_id": "non-un-uuid"}, {"email": "non-una-email"}, {"limit": "0"}, {"limit": "1000"}):
        response = await service.client.get(
            "/api/notifications/admin/messages", params=params, headers=operator
        )
        assert response.status_code == 422, params
        assert response.json()["code"] == "validation_error"


async def test_citizen_lists_only_their_own_messages(
    service: Service,
    smtp: Catcher,
    publish,  # noqa: ANN001
    issuer: TestIssuer,
) -> None:
    mine, theirs = uuid.uuid4(), uuid.uuid4()
    my_email, their_email = address(), address()
    await publish(wrap(user_registered(my_email, mine)))
    await publish(wrap(user_registered(their_email, theirs)))
    await publish(wrap(password_reset(my_email, mine)))
    await smtp.wait_for(my_email, count=2)
    await smtp.wait_for(their_email)

    response = await service.client.get(
        "/api/notifications/me/messages", headers=issuer.headers(mine, role="citizen", email=my_email)
    )
    assert response.status_code == 200
    items = response.json()["items"]
    assert sorted(i["kind"] for i in items) == ["reset", "welcome"]
    assert {i["recipient"] for i in items} == {my_email}
    assert next(i for i in items if i["kind"] == "reset")["body"] == CONFIDENTIAL
    assert (await service.client.get("/api/notifications/me/messages")).status_code == 401


async def test_no_otp_or_link_ever_reaches_the_logs(
    start_service: ServiceFactory,
    catcher: Catcher,
    publish,  # noqa: ANN001
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The service logs to stdout (kit.logging): everything it printed is inspected."""
    user_id = uuid.uuid4()
    email, new_email = address(), address()
    otp_event = registration_started(email)
    resent = RegistrationOtpResent(**{**otp_event.model_dump(), "otp": "246802"})
    reset_event = password_reset(email, user_id)
    change_event = email_change(new_email, user_id)
    # DEBUG: the most a developer may turn on, and where libraries are the most talkative.
    async with start_service(log_level="DEBUG") as service:
        envelope = wrap(otp_event)
        await publish(envelope)
        await publish(envelope)  # a duplicate delivery
        await publish(wrap(resent))

        async def failed_once() -> bool:  # the SMTP server is down: failures get logged too
            rows = await service.messages(recipient=email)
            return len(rows) == 2 and all(r.attempts >= 1 for r in rows)

        assert await eventually(failed_once)
        await catcher.start()
        await publish(wrap(reset_event))
        await publish(wrap(change_event))
        await catcher.wait_for(email, count=3)
        await catcher.wait_for(new_email)
        await service.settled()  # every outcome, hence every log line, is written

    logs = capsys.readouterr().out
    # The capture works: the service's own log lines are there.
    assert "notifications.message_queued" in logs
    assert "notifications.message_sent" in logs
    assert "notifications.message_retry" in logs
    for otp in (otp_event.otp, resent.otp, change_event.otp):
        # Not inside a longer hex string (ids and timestamps are full of digits).
        assert not re.search(rf"(?<![0-9a-f]){otp}(?![0-9a-f])", logs), otp
    for secret in (
        otp_event.resume_url,
        reset_event.reset_url,
        otp_event.resume_url.split("?t=")[1],
        reset_event.reset_url.split("?t=")[1],
    ):
        assert secret not in logs


@contextlib.asynccontextmanager
async def consuming(rt: Runtime, handlers: EventHandlers, queue: str) -> AsyncIterator[Consumer]:
    """The kit's consumer alone, without the app, on the run's exchange; ``queue`` removed after."""
    s = rt.settings
    broker = Broker(s.amqp_url, s.events_exchange, connection_name="notifications-test")
    await broker.connect()
    topology = Topology(queue, s.events_exchange, s.consumer_max_attempts, s.consumer_retry_base_ms)
    consumer = Consumer(broker, rt.db, handlers, topology)
    await consumer.start()
    try:
        yield consumer
    finally:
        await consumer.stop()
        await consumer.delete_topology()
        await broker.close()


async def all_settled(consumer: Consumer, count: int) -> None:
    """Until the consumer acknowledged ``count`` deliveries (duplicates included)."""

    async def done() -> bool:
        return consumer.handled >= count

    assert await eventually(done), f"consumer handled {consumer.handled}/{count}"


async def test_a_handler_moved_to_another_function_does_not_apply_a_redelivered_event_again(
    make_database,  # noqa: ANN001
    service_env: dict[str, str],
    publish,  # noqa: ANN001
) -> None:
    settings = Settings(
        **service_env, database_url=await make_database("notifications", migrate="notifications")
    )
    rt = build_runtime(settings)
    queue = f"{settings.queue_prefix}notifications.moved.{uuid.uuid4().hex[:6]}"
    envelope = wrap(registration_started(address()))
    async with consuming(rt, build_handlers(rt), queue) as before:
        await publish(envelope)
        await all_settled(before, 1)
    [row] = await messages_in(rt, event_id=envelope.event_id)

    calls: list[uuid.UUID] = []

    async def queue_otp_after_a_refactoring(session, event: RegistrationStarted, envelope: Envelope) -> None:  # noqa: ANN001
        calls.append(envelope.event_id)
        await add_message(session, rt.composer.registration_otp(event, envelope.occurred_at), envelope)

    after = EventHandlers()
    after.add(RegistrationStarted, "mail.registration_started", queue_otp_after_a_refactoring)
    async with consuming(rt, after, queue) as redelivered:
        await publish(envelope)
        await all_settled(redelivered, 1)

    assert calls == []  # the inbox knew the name: the new function never ran
    assert [m.id for m in await messages_in(rt, event_id=envelope.event_id)] == [row.id]
    await rt.db.dispose()


async def test_two_senders_on_one_database_send_every_message_exactly_once(
    make_database,  # noqa: ANN001
    service_env: dict[str, str],
    smtp: Catcher,
) -> None:
    settings = Settings(
        **service_env,
        database_url=await make_database("notifications", migrate="notifications"),
        smtp_port=smtp.port,
        mail_batch_size=3,
    )
    rt = build_runtime(settings)
    events = [user_registered(address()) for _ in range(10)]
    async with rt.db.session() as session:
        for event in events:
            await add_message(session, rt.composer.welcome(event), wrap(event))
        await session.commit()
    replicas = [MailSender(rt), MailSender(rt)]

    for _ in range(10):  # 10 messages, 3 a batch, two replicas: two rounds suffice
        if not await messages_in(rt, status=MessageStatus.PENDING):
            break
        await asyncio.gather(*(replica.send_batch() for replica in replicas))
    await rt.db.dispose()

    ids = [mail.parsed["Message-ID"] for mail in smtp.messages()]
    assert len(ids) == len(set(ids)) == len(events)
