"""Receipts and operators' views: the PDF states what was paid, receipt numbers are consecutive
under concurrent payments, operators list and export payments."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, date, datetime, timedelta

from pypdf import PdfReader
from sqlalchemy import select

from billing.domain.receipts import format_date, rome_date
from billing.models import Receipt, SandboxNotification
from billing.pdf import ReceiptView, receipt_pdf


async def test_the_receipt_states_payer_plate_amount_notice_and_date(billing) -> None:  # noqa: ANN001
    user_id = await billing.add_citizen(first_name="Anna", last_name="D'Angelo", tax_code="DNGNNA80A41B963U")
    _, request_id = await billing.open_order(user_id, plate="CE123XY")
    await billing.pay(user_id, request_id)
    order = await billing.order_reaches(user_id, request_id, "paid")

    response = await billing.client.get(
        billing.url(f"/receipts/{request_id}"), headers=billing.citizen(user_id)
    )

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["x-content-type-options"] == "nosniff"
    number = order["receipt_number"]
    assert f'filename="ricevuta-{number.replace("/", "-")}.pdf"' in response.headers["content-disposition"]
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    paid_on = format_date(rome_date(datetime.fromisoformat(order["paid_at"])))
    for expected in (
        "Anna D'Angelo",
        "DNGNNA80A41B963U",
        "CE123XY",
        "60,00",
        "49,18",  # net
        "10,82",  # VAT 22%
        "IVA inclusa",
        number,
        order["iuv"],
        paid_on,
        "dal 01/01/2026 al 31/12/2026",  # the period named by the description
        "Comune di Caserta",
    ):
        assert expected in text, expected
    assert " ".join(order["notice_number"][i : i + 4] for i in range(0, 18, 4)) in text


async def test_a_receipt_is_rendered_again_identically(billing) -> None:  # noqa: ANN001
    user_id, request_id = await billing.open_order()
    await billing.pay(user_id, request_id)
    order = await billing.order_reaches(user_id, request_id, "paid")
    async with billing.db.session() as session:
        receipt = (
            await session.exec(select(Receipt).where(Receipt.number == order["receipt_number"]))
        ).scalar_one()
    assert receipt_pdf(ReceiptView.of(receipt)) == receipt_pdf(ReceiptView.of(receipt))


async def test_no_receipt_before_payment(billing) -> None:  # noqa: ANN001
    user_id, request_id = await billing.open_order()
    response = await billing.client.get(
        billing.url(f"/receipts/{request_id}"), headers=billing.citizen(user_id)
    )
    assert response.status_code == 404
    assert response.json()["code"] == "receipt_not_available"


async def test_receipt_numbers_under_concurrent_payments_are_consecutive(make_billing) -> None:  # noqa: ANN001
    # Its own database: every receipt of the year there is one of these.
    billing = await make_billing(sandbox_send_notifications=False)
    orders = [await billing.open_order() for _ in range(20)]
    for user_id, request_id in orders:
        await billing.pay(user_id, request_id)
    async with billing.db.session() as session:
        bodies = [row.body for row in (await session.exec(select(SandboxNotification))).scalars().all()]
    assert len(bodies) == 20

    # The provider delivers all twenty at once.
    answers = await asyncio.gather(*(billing.notify(body.encode()) for body in bodies))

    assert [a.json() for a in answers] == [{"result": "applied"}] * 20
    async with billing.db.session() as session:
        receipts = (await session.exec(select(Receipt).order_by(Receipt.sequence))).scalars().all()
    assert [r.sequence for r in receipts] == list(range(1, 21))
    assert [r.number for r in receipts] == [f"{r.year}/{i:06d}" for i, r in enumerate(receipts, start=1)]
    assert len({r.order_id for r in receipts}) == 20
    assert len(await billing.payloads("billing.payment.completed")) == 20


async def _paid_in_own_database(make_billing, count: int):  # noqa: ANN001, ANN202
    billing = await make_billing()
    paid = []
    for i in range(count):
        user_id = await billing.add_citizen(
            first_name="Maria", last_name=f"Esposito{i}", tax_code=f"SPSMRA80A41B96{i}X"
        )
        _, request_id = await billing.open_order(user_id, description=f"Abbonamento residenti; settore {i}")
        await billing.pay(user_id, request_id)
        paid.append((user_id, request_id, await billing.order_reaches(user_id, request_id, "paid")))
    return billing, paid


async def test_operators_export_a_period_for_a_spreadsheet(make_billing) -> None:  # noqa: ANN001
    billing, paid = await _paid_in_own_database(make_billing, 2)
    today = rome_date(datetime.now(UTC))
    period = {"from": (today - timedelta(days=1)).isoformat(), "to": today.isoformat()}

    export = await billing.client.get(
        billing.url("/admin/payments.csv"), params=period, headers=billing.operator()
    )
    citizen = await billing.client.get(
        billing.url("/admin/payments.csv"), params=period, headers=billing.citizen(paid[0][0])
    )
    before = await billing.client.get(
        billing.url("/admin/payments.csv"),
        params={"from": "2020-01-01", "to": "2020-12-31"},
        headers=billing.operator(),
    )
    reversed_period = await billing.client.get(
        billing.url("/admin/payments.csv"),
        params={"from": "2026-02-01", "to": "2026-01-01"},
        headers=billing.operator(),
    )

    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    assert "attachment" in export.headers["content-disposition"]
    assert export.content.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Numero ricevuta", "Data pagamento", "Codice fiscale"]
    assert [r[0] for r in rows[1:]] == [order["receipt_number"] for _, _, order in paid]
    first = rows[1]
    assert first[1] == format_date(today)
    assert first[3] == "Maria Esposito0"
    assert first[5] == "Abbonamento residenti; settore 0"
    assert first[-4:] == ["49,18", "10,82", "22%", "60,00"]
    assert citizen.status_code == 403
    for far in ({"from": "0001-01-01", "to": "2026-01-01"}, {"from": "2026-01-01", "to": "9999-12-31"}):
        refused = await billing.client.get(
            billing.url("/admin/payments.csv"), params=far, headers=billing.operator()
        )
        assert refused.status_code == 422, refused.text
    assert before.status_code == 200 and len(before.content.decode("utf-8-sig").splitlines()) == 1
    assert reversed_period.status_code == 422


async def test_operators_list_payments_by_citizen_and_period(make_billing) -> None:  # noqa: ANN001
    billing, paid = await _paid_in_own_database(make_billing, 2)
    unpaid_user, unpaid_request = await billing.open_order()
    today = rome_date(datetime.now(UTC))
    operator = billing.operator()

    by_citizen = await billing.client.get(
        billing.url("/admin/payments"), params={"user_id": str(unpaid_user)}, headers=operator
    )
    in_period = await billing.client.get(
        billing.url("/admin/payments"),
        params={"from": today.isoformat(), "to": today.isoformat()},
        headers=operator,
    )
    last_year = await billing.client.get(
        billing.url("/admin/payments"), params={"to": date(2020, 1, 1).isoformat()}, headers=operator
    )
    as_citizen = await billing.client.get(
        billing.url("/admin/payments"), headers=billing.citizen(unpaid_user)
    )

    assert by_citizen.status_code == 200
    [unpaid] = by_citizen.json()["items"]
    assert (unpaid["request_id"], unpaid["status"], unpaid["user_id"]) == (
        str(unpaid_request),
        "created",
        str(unpaid_user),
    )
    assert unpaid["payer_name"] == "Mario Rossi"
    assert in_period.json()["total"] == 2
    item = in_period.json()["items"][-1]
    assert item["payer_name"] == "Maria Esposito0" and item["receipt_number"] == paid[0][2]["receipt_number"]
    assert item["transaction_id"].startswith("SBX-")
    assert last_year.json()["total"] == 0
    assert as_citizen.status_code == 403
