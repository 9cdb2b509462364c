"""Invoices through the API: the form prefilled from the citizens read model, one invoice per
paid order within 10 days (its PDF, its FatturaPA file valid for the official schema, and
``InvoiceIssued`` v2 with the PDF, once), consecutive numbers under concurrent requests, access limited to the
owner and operators, the operators' list, CSV and ZIP."""

from __future__ import annotations

import asyncio
import base64
import csv
import io
import xml.etree.ElementTree as ET
import zipfile
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from importlib.resources import files

import a38.fattura as fpa
from lxml import etree
from pypdf import PdfReader
from sqlalchemy import select

from billing.domain.receipts import format_date, rome_date
from billing.models import Invoice
from kit.clock import ROME, MovableClock, utcnow

ISSUED = "billing.invoice.issued"
WINDOW_CLOSED = (
    "La fattura può essere richiesta entro 10 giorni dalla data di sottoscrizione dell'abbonamento."
)


def _schema() -> etree.XMLSchema:
    folder = files("billing") / "data" / "fatturapa"
    return etree.XMLSchema(etree.parse(str(folder / "Schema_del_file_xml_FatturaPA_v1.2.2.xsd")))


def _pdf_text(content: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def _rome_year() -> int:
    return datetime.now(ROME).year


# --- The form ---------------------------------------------------------------------------------


async def test_the_form_is_prefilled_with_the_citizens_details_and_residence(billing) -> None:  # noqa: ANN001
    user_id = await billing.add_citizen(
        first_name="Anna",
        last_name="D'Angelo",
        tax_code="DNGNNA80A41B963X",
        address_street="Via San Carlo",
        address_number="12",
        postcode="81100",
        municipality="Caserta",
    )
    _, request_id, order = await billing.paid_order(user_id)

    response = await billing.client.get(
        billing.url(f"/invoices/{request_id}/form"), headers=billing.citizen(user_id)
    )

    assert response.status_code == 200
    form = response.json()
    paid_on = rome_date(datetime.fromisoformat(order["paid_at"]))
    assert form["eligible"] is True
    assert form["deadline"] == (paid_on + timedelta(days=10)).isoformat()
    assert form["reason_code"] is None and form["reason_if_not"] is None
    assert form["buyer"] == {
        "kind": "person",
        "name": "Anna D'Angelo",
        "first_name": "Anna",
        "last_name": "D'Angelo",
        "company_name": None,
        "tax_code": "DNGNNA80A41B963X",
        "vat_number": None,
        "address_street": "Via San Carlo",
        "address_number": "12",
        "postcode": "81100",
        "municipality": "Caserta",
        "province": "CE",
        "country": "IT",
        "pec": None,
        "recipient_code": None,
    }


async def test_before_payment_the_invoice_is_neither_offered_nor_issued(billing) -> None:  # noqa: ANN001
    user_id, request_id = await billing.open_order()

    form = await billing.client.get(
        billing.url(f"/invoices/{request_id}/form"), headers=billing.citizen(user_id)
    )
    refused = await billing.request_invoice(user_id, request_id)
    order = await billing.order(user_id, request_id)

    assert form.status_code == 200
    assert (form.json()["eligible"], form.json()["deadline"], form.json()["reason_code"]) == (
        False,
        None,
        "invoice_not_available",
    )
    assert refused.status_code == 409 and refused.json()["code"] == "invoice_not_available"
    assert (order["invoice_available"], order["invoice_requestable"], order["invoice_deadline"]) == (
        False,
        False,
        None,
    )
    assert await billing.payloads(ISSUED, 2, request_id=request_id) == []


# --- Issuing ----------------------------------------------------------------------------------


async def test_an_invoice_for_a_paid_order_has_its_pdf_its_valid_xml_and_one_event(billing) -> None:  # noqa: ANN001
    user_id = await billing.add_citizen(first_name="Anna", last_name="D'Angelo")
    _, request_id, order = await billing.paid_order(user_id, plate="CE123XY")
    assert (order["invoice_available"], order["invoice_requestable"]) == (False, True)

    response = await billing.request_invoice(
        user_id, request_id, first_name="Anna", last_name="D\u2019Angelo", tax_code="dngnna80a41b963x"
    )

    assert response.status_code == 201, response.text
    invoice = response.json()
    year = _rome_year()
    assert invoice["number"].startswith("FPR ") and invoice["number"].endswith(f"/{year}")
    assert (
        invoice["amount_cents"],
        invoice["net_cents"],
        invoice["vat_cents"],
        invoice["vat_rate_percent"],
    ) == (
        6000,
        4918,
        1082,
        22,
    )
    assert invoice["buyer"]["name"] == "Anna D'Angelo" and invoice["buyer"]["tax_code"] == "DNGNNA80A41B963X"
    assert invoice["buyer"]["recipient_code"] == "0000000"
    assert invoice["receipt_number"] == order["receipt_number"]
    assert invoice["xml_filename"].startswith("IT80002410610_") and invoice["xml_filename"].endswith(".xml")
    issued_on = rome_date(datetime.fromisoformat(invoice["issued_at"]))
    assert invoice["issue_date"] == issued_on.isoformat()

    # The order now shows the invoice, and no longer offers to ask for one.
    after = await billing.order(user_id, request_id)
    assert (after["invoice_available"], after["invoice_number"], after["invoice_requestable"]) == (
        True,
        invoice["number"],
        False,
    )
    assert (
        await billing.client.get(billing.url(f"/invoices/{request_id}"), headers=billing.citizen(user_id))
    ).json() == invoice

    # The PDF.
    pdf = await billing.client.get(
        billing.url(f"/invoices/{request_id}/pdf"), headers=billing.citizen(user_id)
    )
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["x-content-type-options"] == "nosniff"
    number_slug = invoice["number"].replace(" ", "-").replace("/", "-")
    assert f'filename="fattura-{number_slug}.pdf"' in pdf.headers["content-disposition"]
    text = _pdf_text(pdf.content)
    for expected in (
        "FATTURA",
        invoice["number"],
        format_date(issued_on),
        "Anna D'Angelo",
        "DNGNNA80A41B963X",
        "Comune di Caserta",
        "80002410610",
        "01272950616",
        "CE123XY",
        "dal 01/01/2026 al 31/12/2026",
        "49,18",
        "10,82",
        "60,00",
        "22%",
        order["receipt_number"],
        "già ricevuto",
    ):
        assert expected in text, expected

    # The XML: valid for the official schema, and read back by a38 with the right totals.
    xml = await billing.client.get(
        billing.url(f"/invoices/{request_id}/xml"), headers=billing.citizen(user_id)
    )
    assert xml.status_code == 200 and xml.headers["content-type"].startswith("application/xml")
    assert f'filename="{invoice["xml_filename"]}"' in xml.headers["content-disposition"]
    schema = _schema()
    assert schema.validate(etree.fromstring(xml.content)), schema.error_log
    parsed = fpa.auto_from_etree(ET.fromstring(xml.content))
    assert isinstance(parsed, fpa.FatturaPrivati12)
    header = parsed.fattura_elettronica_header
    assert header.dati_trasmissione.progressivo_invio == invoice["xml_filename"][len("IT80002410610_") : -4]
    assert header.cessionario_committente.dati_anagrafici.codice_fiscale == "DNGNNA80A41B963X"
    body = parsed.fattura_elettronica_body[0]
    document = body.dati_generali.dati_generali_documento
    assert (document.numero, document.data.isoformat()) == (invoice["number"], invoice["issue_date"])
    assert document.importo_totale_documento == Decimal("60.00")
    [summary] = body.dati_beni_servizi.dati_riepilogo
    assert (summary.aliquota_iva, summary.imponibile_importo, summary.imposta) == (
        Decimal("22.00"),
        Decimal("49.18"),
        Decimal("10.82"),
    )
    [line] = body.dati_beni_servizi.dettaglio_linee
    assert line.prezzo_totale == Decimal("49.18") and "CE123XY" in line.descrizione
    [payment] = body.dati_pagamento[0].dettaglio_pagamento
    assert (payment.modalita_pagamento, payment.importo_pagamento, payment.codice_pagamento) == (
        "MP23",
        Decimal("60.00"),
        order["iuv"],
    )

    # InvoiceIssued (v2, with the PDF for the citizen's e-mail), once.
    [event] = await billing.payloads(ISSUED, 2, request_id=request_id)
    assert (event["invoice_id"], event["number"], event["user_id"], event["amount_cents"]) == (
        invoice["id"],
        invoice["number"],
        str(user_id),
        6000,
    )
    assert event["pdf_filename"] == f"fattura-{number_slug}.pdf"
    assert base64.b64decode(event["pdf_base64"]) == pdf.content
    assert await billing.payloads(ISSUED, 1, request_id=request_id) == []


async def test_the_invoice_line_names_the_plate_once_when_the_description_already_does(billing) -> None:  # noqa: ANN001
    # As subscriptions describes an approved request (subscriptions.request.approved.v1).
    description = (
        "Abbonamento Residenti – semestrale, settore S1, targa NZ845WH, dal 30/11/2026 al 29/05/2027"
    )
    user_id, request_id, _ = await billing.paid_order(plate="NZ845WH", description=description)

    response = await billing.request_invoice(user_id, request_id)

    assert response.status_code == 201, response.text
    xml = await billing.client.get(
        billing.url(f"/invoices/{request_id}/xml"), headers=billing.citizen(user_id)
    )
    [line] = (
        fpa.auto_from_etree(ET.fromstring(xml.content))
        .fattura_elettronica_body[0]
        .dati_beni_servizi.dettaglio_linee
    )
    assert line.descrizione == description.replace("–", "-")
    assert line.descrizione.count("NZ845WH") == 1


async def test_a_company_gets_its_invoice_delivered_to_its_recipient_code(billing) -> None:  # noqa: ANN001
    user_id, request_id, _ = await billing.paid_order()

    invoice = await billing.issued_invoice(
        user_id,
        request_id,
        kind="company",
        first_name=None,
        last_name=None,
        tax_code=None,
        company_name="Rossi Trasporti S.r.l.",
        vat_number="12345678903",
        recipient_code="M5UXCR1",
    )

    assert invoice["buyer"]["kind"] == "company" and invoice["buyer"]["name"] == "Rossi Trasporti S.r.l."
    xml = await billing.client.get(
        billing.url(f"/invoices/{request_id}/xml"), headers=billing.citizen(user_id)
    )
    header = fpa.auto_from_etree(ET.fromstring(xml.content)).fattura_elettronica_header
    assert header.dati_trasmissione.codice_destinatario == "M5UXCR1"
    assert header.cessionario_committente.dati_anagrafici.id_fiscale_iva.id_codice == "12345678903"


async def test_billing_data_is_refused_field_by_field_in_italian(billing) -> None:  # noqa: ANN001
    user_id, request_id, _ = await billing.paid_order()

    refused = await billing.request_invoice(
        user_id,
        request_id,
        tax_code="RSSMRA80A01B963Z",
        postcode="811",
        province="Caserta",
        pec="non-una-pec",
    )

    assert refused.status_code == 422
    errors = {e["field"]: e["message"] for e in refused.json()["errors"]}
    assert errors == {
        "tax_code": "Il codice fiscale non è valido.",
        "postcode": "Il CAP deve avere 5 cifre.",
        "province": "Indica la sigla della provincia: 2 lettere (ad esempio CE).",
        "pec": "Indirizzo PEC non valido.",
    }
    assert (await billing.order(user_id, request_id))["invoice_requestable"] is True
    assert (await billing.issued_invoice(user_id, request_id))["buyer"]["tax_code"] == "RSSMRA80A01B963J"


async def test_a_second_invoice_for_one_order_is_refused(billing) -> None:  # noqa: ANN001
    user_id, request_id, _ = await billing.paid_order()
    first = await billing.issued_invoice(user_id, request_id)

    again = await billing.request_invoice(user_id, request_id, first_name="Maria")
    form = await billing.client.get(
        billing.url(f"/invoices/{request_id}/form"), headers=billing.citizen(user_id)
    )

    assert again.status_code == 409 and again.json()["code"] == "invoice_already_issued"
    assert (form.json()["eligible"], form.json()["reason_code"]) == (False, "invoice_already_issued")
    kept = await billing.client.get(billing.url(f"/invoices/{request_id}"), headers=billing.citizen(user_id))
    assert kept.json()["number"] == first["number"] and kept.json()["buyer"]["first_name"] == "Mario"
    assert len(await billing.payloads(ISSUED, 2, request_id=request_id)) == 1


async def test_two_requests_at_once_for_one_order_issue_one_invoice(billing) -> None:  # noqa: ANN001
    user_id, request_id, _ = await billing.paid_order()

    answers = await asyncio.gather(*(billing.request_invoice(user_id, request_id) for _ in range(2)))

    assert sorted(a.status_code for a in answers) == [201, 409]
    assert [a.json()["code"] for a in answers if a.status_code == 409] == ["invoice_already_issued"]
    async with billing.db.session() as session:
        rows = (await session.exec(select(Invoice).where(Invoice.request_id == request_id))).scalars().all()
    assert len(rows) == 1
    assert len(await billing.payloads(ISSUED, 2, request_id=request_id)) == 1


async def test_fifty_concurrent_invoices_get_fifty_consecutive_numbers(make_billing) -> None:  # noqa: ANN001
    # Its own database: every invoice of the year there is one of these.
    billing = await make_billing()
    paid = [await billing.paid_order() for _ in range(50)]

    answers = await asyncio.gather(
        *(billing.request_invoice(user_id, request_id) for user_id, request_id, _ in paid)
    )

    assert [a.status_code for a in answers] == [201] * 50, [a.text for a in answers if a.status_code != 201]
    year = _rome_year()
    numbers = sorted(int(a.json()["number"].split(" ")[1].split("/")[0]) for a in answers)
    assert numbers == list(range(1, 51))
    assert {a.json()["number"] for a in answers} == {f"FPR {i}/{year}" for i in range(1, 51)}
    assert len({a.json()["xml_filename"] for a in answers}) == 50
    async with billing.db.session() as session:
        rows = (await session.exec(select(Invoice).order_by(Invoice.sequence))).scalars().all()
    assert [r.sequence for r in rows] == list(range(1, 51))
    assert len({r.order_id for r in rows}) == 50
    assert len(await billing.payloads(ISSUED, 2)) == 50


# --- The window --------------------------------------------------------------------------------


def _at_rome(clock: MovableClock, day: date, moment: time) -> None:
    """Move ``clock`` to ``moment`` (Rome time) of ``day``."""
    target = datetime.combine(day, moment, tzinfo=ROME)
    clock.offset = target.astimezone(UTC) - utcnow()


async def test_the_invoice_is_accepted_through_the_tenth_day_and_refused_after(make_billing) -> None:  # noqa: ANN001
    clock = MovableClock()
    billing = await make_billing(clock=clock)
    user_id, request_id, order = await billing.paid_order()
    early_user, early_request, _ = await billing.paid_order()
    deadline = rome_date(datetime.fromisoformat(order["paid_at"])) + timedelta(days=10)

    # The last minute of the 10th day after payment, Rome time: still accepted.
    _at_rome(clock, deadline, time(23, 59))
    last_day = await billing.order(early_user, early_request)
    assert (last_day["invoice_requestable"], last_day["invoice_deadline"]) == (True, deadline.isoformat())
    assert (await billing.request_invoice(early_user, early_request)).status_code == 201

    # Midnight: the window is closed.
    _at_rome(clock, deadline + timedelta(days=1), time(0, 0, 1))
    late = await billing.request_invoice(user_id, request_id)
    form = await billing.client.get(
        billing.url(f"/invoices/{request_id}/form"), headers=billing.citizen(user_id)
    )
    after = await billing.order(user_id, request_id)

    assert late.status_code == 409
    assert (late.json()["code"], late.json()["detail"]) == ("invoice_window_closed", WINDOW_CLOSED)
    assert form.json()["eligible"] is False
    assert (form.json()["reason_code"], form.json()["reason_if_not"]) == (
        "invoice_window_closed",
        WINDOW_CLOSED,
    )
    assert (after["invoice_requestable"], after["invoice_available"]) == (False, False)
    assert await billing.payloads(ISSUED, 2, request_id=request_id) == []


# --- Who sees what ------------------------------------------------------------------------------


async def test_a_citizen_never_reaches_another_citizens_invoice(billing) -> None:  # noqa: ANN001
    owner, request_id, _ = await billing.paid_order()
    await billing.issued_invoice(owner, request_id)
    other = billing.citizen(await billing.add_citizen())

    for path in ("", "/pdf", "/xml", "/form"):
        response = await billing.client.get(billing.url(f"/invoices/{request_id}{path}"), headers=other)
        assert response.status_code == 404, path
        assert response.json()["code"] == "order_not_found"
    posted = await billing.client.post(
        billing.url(f"/invoices/{request_id}"), json=billing.buyer(), headers=other
    )
    assert posted.status_code == 404
    # An operator does get the invoice, its PDF and its XML.
    for path in ("", "/pdf", "/xml"):
        staff = await billing.client.get(
            billing.url(f"/invoices/{request_id}{path}"), headers=billing.operator()
        )
        assert staff.status_code == 200, path


async def test_no_invoice_yet_is_not_found(billing) -> None:  # noqa: ANN001
    user_id, request_id, _ = await billing.paid_order()
    for path in ("", "/pdf", "/xml"):
        response = await billing.client.get(
            billing.url(f"/invoices/{request_id}{path}"), headers=billing.citizen(user_id)
        )
        assert response.status_code == 404, path
        assert response.json()["code"] == "invoice_not_found"


async def test_only_citizens_ask_for_invoices(billing) -> None:  # noqa: ANN001
    user_id, request_id, _ = await billing.paid_order()
    staff = await billing.client.post(
        billing.url(f"/invoices/{request_id}"), json=billing.buyer(), headers=billing.operator()
    )
    anonymous = await billing.client.get(billing.url(f"/invoices/{request_id}/form"))
    assert staff.status_code == 403 and anonymous.status_code == 401


# --- Operators ----------------------------------------------------------------------------------


async def test_operators_list_export_and_download_the_files_of_a_period(make_billing) -> None:  # noqa: ANN001
    billing = await make_billing()
    issued = []
    for i in range(2):
        user_id = await billing.add_citizen(first_name="Maria", last_name=f"Esposito{i}")
        _, request_id, order = await billing.paid_order(
            user_id, description=f"Abbonamento residenti; settore {i}"
        )
        invoice = await billing.issued_invoice(
            user_id, request_id, first_name="Maria", last_name=f"Esposito{i}"
        )
        issued.append((user_id, request_id, order, invoice))
    today = rome_date(datetime.now(UTC))
    period = {"from": (today - timedelta(days=1)).isoformat(), "to": today.isoformat()}
    operator = billing.operator()

    by_citizen = await billing.client.get(
        billing.url("/admin/invoices"), params={"user_id": str(issued[1][0])}, headers=operator
    )
    in_period = await billing.client.get(billing.url("/admin/invoices"), params=period, headers=operator)
    long_ago = await billing.client.get(
        billing.url("/admin/invoices"), params={"from": "2020-01-01", "to": "2020-12-31"}, headers=operator
    )
    export = await billing.client.get(billing.url("/admin/invoices.csv"), params=period, headers=operator)
    archive = await billing.client.get(billing.url("/admin/invoices.zip"), params=period, headers=operator)
    too_long = await billing.client.get(
        billing.url("/admin/invoices.zip"),
        params={"from": "2025-01-01", "to": "2026-01-02"},
        headers=operator,
    )

    [one] = by_citizen.json()["items"]
    assert (one["number"], one["user_id"], one["buyer"]["name"]) == (
        issued[1][3]["number"],
        str(issued[1][0]),
        "Maria Esposito1",
    )
    assert in_period.json()["total"] == 2
    assert [i["number"] for i in in_period.json()["items"]] == [
        issued[1][3]["number"],
        issued[0][3]["number"],
    ]
    assert long_ago.json()["total"] == 0

    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    assert export.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Numero fattura", "Data fattura", "Intestatario"]
    assert [r[0] for r in rows[1:]] == [invoice["number"] for *_, invoice in issued]
    first = rows[1]
    assert (first[1], first[2], first[3], first[4]) == (
        format_date(today),
        "Maria Esposito0",
        "Persona fisica",
        "RSSMRA80A01B963J",
    )
    assert first[9] == "Abbonamento residenti; settore 0"
    assert first[11] == issued[0][2]["receipt_number"]
    assert first[-5:] == ["49,18", "10,82", "22%", "60,00", issued[0][3]["xml_filename"]]

    assert archive.status_code == 200 and archive.headers["content-type"] == "application/zip"
    assert "attachment" in archive.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(archive.content)) as zipped:
        assert zipped.namelist() == [invoice["xml_filename"] for *_, invoice in issued]
        for user_id, request_id, _, invoice in issued:
            xml = await billing.client.get(
                billing.url(f"/invoices/{request_id}/xml"), headers=billing.citizen(user_id)
            )
            assert zipped.read(invoice["xml_filename"]) == xml.content
    assert too_long.status_code == 422 and too_long.json()["errors"][0]["code"] == "period_too_long"

    citizen = billing.citizen(issued[0][0])
    for path in ("/admin/invoices", "/admin/invoices.csv", "/admin/invoices.zip"):
        refused = await billing.client.get(billing.url(path), params=period, headers=citizen)
        assert refused.status_code == 403, path
