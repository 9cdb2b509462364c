"""From an approved request to a paid subscription: the order, the checkout at the sandbox, its
signed notification, the receipt and ``PaymentCompleted``, each exactly once."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from billing.domain.notice import is_valid_notice_number
from billing.models import Receipt
from kit.db import inbox_table


async def test_an_approved_request_opens_one_payment_order(billing, wait) -> None:  # noqa: ANN001
    user_id = await billing.add_citizen(tax_code="VRDLGU75C41B963K")
    envelope = billing.approved(user_id, amount_cents=6000)
    request_id = uuid.UUID(envelope.payload["request_id"])
    consumer = billing.app.state.consumer
    handled = consumer.handled

    await billing.publish(envelope)
    await billing.publish(envelope)  # delivered twice
    await billing.publish(billing.approved(user_id, request_id))  # approved twice (another event)

    assert await wait(lambda: _at_least(consumer, handled + 3))
    assert await billing.orders_of_request(request_id) == 1
    order = await billing.order(user_id, request_id)
    assert order["status"] == "created"
    assert order["status_label"] == "Da pagare"
    assert order["amount_cents"] == 6000
    assert order["currency"] == "EUR"
    assert order["can_pay"] is True
    assert order["receipt_available"] is False
    assert is_valid_notice_number(order["notice_number"])
    assert order["notice_number"] == "3" + order["iuv"]
    assert order["creditor_tax_code"] == "80002410610"
    row = await billing.order_row(request_id)
    assert row.payer_tax_code == "VRDLGU75C41B963K"
    async with billing.db.engine.connect() as conn:
        claimed = await conn.scalar(
            select(func.count()).select_from(inbox_table).where(inbox_table.c.event_id == envelope.event_id)
        )
    assert claimed == 1


async def _at_least(consumer, count: int) -> bool:  # noqa: ANN001
    return consumer.handled >= count


async def test_paying_at_the_sandbox_pays_the_order_once(billing) -> None:  # noqa: ANN001
    user_id, request_id = await billing.open_order()
    path, page = await billing.checkout_page(user_id, request_id)
    order = await billing.order(user_id, request_id)
    assert order["status"] == "checkout_started"
    assert "€ 60,00" in page.text
    assert order["notice_number"] in page.text
    assert "Comune di Caserta" in page.text
    for button in ("Paga", "Annulla", "Carta rifiutata"):
        assert button in page.text
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp and "frame-ancestors 'none'" in csp
    assert "<script" not in page.text

    chosen = await billing.choose(path, page, "pay")
    assert chosen.status_code == 303
    assert chosen.headers["location"] == "https://parking.test/abbonamenti/pagamento/esito?esito=ok"

    paid = await billing.order_reaches(user_id, request_id, "paid")
    assert paid["status_label"] == "Pagato"
    assert paid["receipt_available"] is True
    assert paid["receipt_number"].startswith(f"{paid['paid_at'][:4]}/")
    assert paid["can_pay"] is False
    completed = await billing.payloads("billing.payment.completed", request_id=request_id)
    assert len(completed) == 1
    assert completed[0]["amount_cents"] == 6000
    assert completed[0]["receipt_number"] == paid["receipt_number"]
    assert completed[0]["user_id"] == str(user_id)
    [payment] = await billing.payments_of(request_id)
    assert completed[0]["payment_id"] == str(payment.id)
    assert payment.status == "paid" and payment.outcome_source == "notification"
    async with billing.db.session() as session:
        receipts = (await session.exec(select(Receipt).where(Receipt.number == paid["receipt_number"]))).all()
    assert len(receipts) == 1


async def _paid_order(billing):  # noqa: ANN001, ANN202
    user_id, request_id = await billing.open_order()
    await billing.pay(user_id, request_id)
    order = await billing.order_reaches(user_id, request_id, "paid")
    return user_id, request_id, order


async def test_a_replayed_notification_changes_nothing(billing, wait) -> None:  # noqa: ANN001
    user_id, request_id, order = await _paid_order(billing)
    notifications = await wait(lambda: _delivered(billing, order["notice_number"]))
    assert len(notifications) == 1

    replayed = await billing.notify(notifications[0].body.encode())

    assert replayed.status_code == 200, replayed.text
    assert replayed.json() == {"result": "duplicate"}
    assert await billing.order(user_id, request_id) == order
    assert len(await billing.payloads("billing.payment.completed", request_id=request_id)) == 1


async def _delivered(billing, notice_number: str):  # noqa: ANN001, ANN202
    rows = await billing.sandbox_notifications(notice_number)
    return rows if rows and all(r.delivered_at is not None for r in rows) else None


async def test_a_payment_notified_twice_completes_once(billing) -> None:  # noqa: ANN001
    user_id, request_id, order = await _paid_order(billing)
    [payment] = await billing.payments_of(request_id)

    again = await billing.notify(billing.notification(order, payment.session_id))

    assert again.status_code == 200, again.text
    assert again.json() == {"result": "duplicate"}
    assert len(await billing.payloads("billing.payment.completed", request_id=request_id)) == 1
    assert (await billing.order(user_id, request_id))["receipt_number"] == order["receipt_number"]


async def test_forged_notifications_are_refused_and_change_nothing(billing) -> None:  # noqa: ANN001
    # A checkout whose outcome never comes from the sandbox (the citizen left the page).
    user_id, request_id = await billing.open_order()
    await billing.checkout_page(user_id, request_id)
    order = await billing.order(user_id, request_id)
    [payment] = await billing.payments_of(request_id)
    body = billing.notification(order, payment.session_id)
    stale = billing.runtime.clock.now().replace(year=2025)
    tampered = body.replace(b'"amount_cents": 6000', b'"amount_cents": 1')
    assert tampered != body

    forged = [
        (body, billing.sign(body, secret=b"a guess at the secret")),
        (tampered, billing.sign(body)),
        (body, billing.sign(body, at=stale)),  # outside the tolerance
        (body, billing.sign(body).replace("v1=", "v1=0")),
        (body, "t=1,v1=zz"),
        (body, None),  # unsigned
    ]
    for content, header in forged:
        refused = await billing.notify(content, header=header)
        assert refused.status_code == 401, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["code"] == "invalid_signature"

    assert (await billing.order(user_id, request_id))["status"] == "checkout_started"
    assert await billing.payloads("billing.payment.completed", request_id=request_id) == []
    # The same notification, signed with the shared secret, is accepted.
    accepted = await billing.notify(body)
    assert accepted.json() == {"result": "applied"}
    assert (await billing.order(user_id, request_id))["status"] == "paid"


async def test_a_signed_notification_for_an_unknown_notice_or_amount_changes_nothing(billing) -> None:  # noqa: ANN001
    user_id, request_id = await billing.open_order()
    await billing.checkout_page(user_id, request_id)
    order = await billing.order(user_id, request_id)
    [payment] = await billing.payments_of(request_id)

    unknown = await billing.notify(
        billing.notification({**order, "notice_number": "301999999999999999"}, payment.session_id)
    )
    wrong_amount = await billing.notify(billing.notification(order, payment.session_id, amount_cents=100))
    malformed = await billing.notify(b'{"outcome": "paid"}')
    long_ago = await billing.notify(
        billing.notification(order, payment.session_id, occurred_at="0001-01-01T00:00:00+14:00")
    )

    assert unknown.status_code == 404, unknown.text
    assert wrong_amount.status_code == 409, wrong_amount.text
    assert wrong_amount.json()["code"] == "amount_mismatch"
    assert malformed.status_code == 422, malformed.text
    assert long_ago.status_code == 422, long_ago.text
    assert (await billing.order(user_id, request_id))["status"] == "checkout_started"


async def test_a_cancelled_checkout_can_be_retried_and_then_paid(billing) -> None:  # noqa: ANN001
    user_id, request_id = await billing.open_order()

    cancelled = await billing.pay(user_id, request_id, action="cancel")
    assert cancelled.headers["location"].endswith("?esito=annullato")
    order = await billing.order_reaches(user_id, request_id, "cancelled")
    assert order["status_label"] == "Pagamento annullato"
    assert order["can_pay"] is True

    await billing.pay(user_id, request_id)
    paid = await billing.order_reaches(user_id, request_id, "paid")
    assert paid["receipt_available"] is True
    assert [p.status for p in await billing.payments_of(request_id)] == ["cancelled", "paid"]
    assert len(await billing.payloads("billing.payment.completed", request_id=request_id)) == 1


async def test_a_declined_card_fails_the_payment_which_can_be_retried(billing, wait) -> None:  # noqa: ANN001
    user_id, request_id = await billing.open_order()

    declined = await billing.pay(user_id, request_id, card_number="4000 0000 0000 0002")
    assert declined.headers["location"].endswith("?esito=rifiutato")
    order = await billing.order_reaches(user_id, request_id, "failed")
    assert order["status_label"] == "Pagamento non riuscito"
    failed = await billing.payloads("billing.payment.failed", request_id=request_id)
    assert len(failed) == 1 and failed[0]["reason"]

    refused = await billing.pay(user_id, request_id, action="fail")  # the "Carta rifiutata" button
    assert refused.headers["location"].endswith("?esito=rifiutato")
    assert await wait(lambda: _events(billing, "billing.payment.failed", request_id, 2))

    await billing.pay(user_id, request_id)
    await billing.order_reaches(user_id, request_id, "paid")


async def _events(billing, event_type: str, request_id, count: int) -> bool:  # noqa: ANN001
    return len(await billing.payloads(event_type, request_id=request_id)) >= count


async def test_an_invalid_card_number_shows_the_page_again_and_pays_nothing(billing) -> None:  # noqa: ANN001
    user_id, request_id = await billing.open_order()
    path, page = await billing.checkout_page(user_id, request_id)

    wrong = await billing.choose(path, page, "pay", card_number="1234 5678")

    assert wrong.status_code == 422
    assert "Numero di carta non valido" in wrong.text
    assert (
        await billing.sandbox_notifications((await billing.order(user_id, request_id))["notice_number"])
    ) == []
    paid = await billing.choose(path, wrong, "pay")
    assert paid.status_code == 303


async def test_the_checkout_form_needs_its_own_csrf_token(billing) -> None:  # noqa: ANN001
    user_id, request_id = await billing.open_order()
    path, page = await billing.checkout_page(user_id, request_id)

    forged = await billing.client.post(
        path, data={"csrf_token": "x" * 32, "action": "pay", "card_number": "4242424242424242"}
    )

    assert forged.status_code == 403
    assert forged.json()["code"] == "csrf_invalid"
    assert (await billing.order(user_id, request_id))["status"] == "checkout_started"
    assert (await billing.client.get(path)).status_code == 200  # the session is still open


async def test_submitting_an_ended_checkout_again_pays_nothing_twice(billing, wait) -> None:  # noqa: ANN001
    user_id, request_id = await billing.open_order()
    path, page = await billing.checkout_page(user_id, request_id)
    first = await billing.choose(path, page, "pay")

    second = await billing.choose(path, page, "pay")
    reopened = await billing.client.get(path)

    assert second.status_code == 303
    assert second.headers["location"] == first.headers["location"]
    assert reopened.status_code == 409 and "già conclusa" in reopened.text
    order = await billing.order_reaches(user_id, request_id, "paid")
    assert len(await billing.sandbox_notifications(order["notice_number"])) == 1


async def test_an_unknown_checkout_session_has_no_page(billing) -> None:  # noqa: ANN001
    page = await billing.client.get(billing.url("/sandbox/checkout/nessuna-sessione"))
    submitted = await billing.client.post(
        billing.url("/sandbox/checkout/nessuna-sessione"), data={"csrf_token": "x", "action": "pay"}
    )
    assert page.status_code == 404 and "Sessione non trovata" in page.text
    assert submitted.status_code == 404
