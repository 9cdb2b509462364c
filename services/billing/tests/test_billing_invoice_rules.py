"""Pure rules of invoices, without database or broker: the partita IVA check digit, the buyer's
billing data, the 10-day window in Rome time, numbers and file names, net and VAT out of the
amount paid, the FatturaPA file (valid for the official schema, read back by a38), the CSV and
the ZIP of a period."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal
from importlib.resources import files

import a38.fattura as fpa
import pytest
from lxml import etree

from billing.domain.buyers import (
    Buyer,
    check_buyer,
    is_valid_company_tax_code,
    is_valid_vat_number,
    latin1_text,
    vat_check_digit,
)
from billing.domain.export import InvoiceRow, invoices_csv, xml_zip
from billing.domain.invoices import (
    invoice_deadline,
    invoice_number,
    invoice_refusal,
    invoice_window_open,
    parse_invoice_number,
    transmission_progressive,
    xml_filename,
)
from billing.domain.money import decimal_amount, vat_split
from billing.domain.places import province_of
from billing.fatturapa import InvoiceData, InvoiceFileRefused, Seller, invoice_xml
from kit.errors import Invalid

SELLER = Seller(
    name="Comune di Caserta",
    tax_code="80002410610",
    vat_number="01272950616",
    address_street="Piazza Vanvitelli",
    address_number="30",
    postcode="81100",
    municipality="Caserta",
    province="CE",
)
PERSON = {
    "kind": "person",
    "first_name": "Anna",
    "last_name": "D'Angelo",
    "tax_code": "DNGNNA80A41B963X",
    "address_street": "Via Roma",
    "address_number": "10",
    "postcode": "81100",
    "municipality": "Caserta",
    "province": "CE",
}
COMPANY = {
    "kind": "company",
    "company_name": "Rossi Trasporti S.r.l.",
    "vat_number": "12345678903",
    "address_street": "Viale Carlo III",
    "postcode": "81020",
    "municipality": "San Nicola la Strada",
    "province": "CE",
    "recipient_code": "abc1234",
}


def errors_of(raw: dict) -> dict[str, str]:
    with pytest.raises(Invalid) as refused:
        check_buyer(raw)
    return {e.field: e.code for e in refused.value.errors}


# --- Partita IVA and codice fiscale -----------------------------------------------------------


@pytest.mark.parametrize(
    ("first_ten", "digit"),
    [
        ("1234567890", 3),  # 1+3+5+7+9 = 25; 2→4, 4→8, 6→12-9=3, 8→16-9=7, 0→0: 22; (10 - 47 % 10) % 10
        ("0074311015", 7),
        ("0243875058", 6),
        ("0000000010", 9),  # the 9th digit is in an odd position: counted as it is
        ("0000000001", 8),  # the 10th is in an even position: doubled
        ("0000000009", 1),  # a doubled 9 counts 18 - 9 = 9
    ],
)
def test_the_partita_iva_check_digit_doubles_even_positions_and_completes_to_ten(
    first_ten: str, digit: int
) -> None:
    assert vat_check_digit(first_ten) == digit
    assert is_valid_vat_number(first_ten + str(digit))


@pytest.mark.parametrize(
    "value",
    [
        "12345678900",
        "12345678904",
        "1234567890",
        "123456789031",
        "1234567890A",
        "00000000000",
        " 12345678903",
        "",
    ],
)
def test_a_partita_iva_with_a_wrong_digit_or_shape_is_refused(value: str) -> None:
    assert not is_valid_vat_number(value)


def test_a_partita_iva_check_digit_needs_ten_digits() -> None:
    with pytest.raises(ValueError):
        vat_check_digit("123456789")


def test_a_company_tax_code_is_numeric_or_a_sole_traders_personal_one() -> None:
    assert is_valid_company_tax_code("12345678903")
    assert is_valid_company_tax_code("DNGNNA80A41B963X")
    assert not is_valid_company_tax_code("12345678904")
    assert not is_valid_company_tax_code("DNGNNA80A41B963U")


# --- The buyer's billing data --------------------------------------------------------------------


def test_a_persons_billing_data_is_cleaned() -> None:
    buyer = check_buyer(
        {
            **PERSON,
            "last_name": " D\u2019Angelo ",
            "tax_code": "dngnna80a41b963x",
            "province": "ce",
            "pec": "",
        }
    )
    assert (buyer.kind, buyer.name, buyer.tax_code, buyer.province) == (
        "person",
        "Anna D'Angelo",
        "DNGNNA80A41B963X",
        "CE",
    )
    assert (buyer.recipient_code, buyer.pec, buyer.country) == ("0000000", None, "IT")
    assert buyer.address_line == "Via Roma 10, 81100 Caserta (CE)"


def test_a_person_needs_a_name_and_a_valid_codice_fiscale() -> None:
    assert errors_of({**PERSON, "first_name": " ", "last_name": None, "tax_code": "DNGNNA80A41B963U"}) == {
        "first_name": "required",
        "last_name": "required",
        "tax_code": "invalid_tax_code",
    }
    assert errors_of({**PERSON, "tax_code": ""}) == {"tax_code": "required"}


def test_a_company_needs_a_name_and_a_valid_partita_iva() -> None:
    buyer = check_buyer(COMPANY)
    assert (buyer.kind, buyer.name, buyer.vat_number, buyer.recipient_code) == (
        "company",
        "Rossi Trasporti S.r.l.",
        "12345678903",
        "ABC1234",
    )
    assert buyer.first_name is None and buyer.tax_code is None
    assert errors_of({**COMPANY, "company_name": "", "vat_number": "12345678904"}) == {
        "company_name": "required",
        "vat_number": "invalid_vat_number",
    }
    assert errors_of({**COMPANY, "vat_number": None}) == {"vat_number": "required"}
    assert errors_of({**COMPANY, "tax_code": "12345"}) == {"tax_code": "invalid_tax_code"}


def test_an_italian_address_needs_a_five_digit_cap_and_an_existing_province() -> None:
    assert errors_of({**PERSON, "postcode": "8110", "province": "Caserta", "address_street": ""}) == {
        "postcode": "invalid_postcode",
        "province": "invalid_province",
        "address_street": "required",
    }
    assert errors_of({**PERSON, "province": "XX"}) == {"province": "unknown_province"}
    assert errors_of({**PERSON, "country": "FR"}) == {"country": "country_not_supported"}
    assert errors_of({**PERSON, "municipality": "x" * 61}) == {"municipality": "too_long"}


def test_the_invoice_goes_to_a_recipient_code_or_a_pec_or_the_reserved_area() -> None:
    assert check_buyer({**PERSON, "recipient_code": "m5uxcr1"}).recipient_code == "M5UXCR1"
    with_pec = check_buyer({**PERSON, "pec": "anna.dangelo@pec.it"})
    assert (with_pec.recipient_code, with_pec.pec) == ("0000000", "anna.dangelo@pec.it")
    with_zeros = check_buyer({**PERSON, "recipient_code": "0000000", "pec": "anna@pec.it"})
    assert (with_zeros.recipient_code, with_zeros.pec) == ("0000000", "anna@pec.it")
    assert errors_of({**PERSON, "recipient_code": "ABC12"}) == {"recipient_code": "invalid_recipient_code"}
    assert errors_of({**PERSON, "pec": "non-una-pec"}) == {"pec": "invalid_pec"}
    assert errors_of({**PERSON, "recipient_code": "M5UXCR1", "pec": "anna@pec.it"}) == {
        "pec": "pec_with_recipient_code"
    }


def test_text_outside_latin_1_is_refused_with_its_field() -> None:
    errors = errors_of({**PERSON, "last_name": "Ковальчук", "address_number": "1ª"})
    assert errors == {"last_name": "not_latin1", "address_number": "not_ascii"}


def test_our_own_text_is_made_fit_for_latin_1() -> None:
    assert latin1_text("Settore A — annuale “2026”", 100) == 'Settore A - annuale "2026"'
    assert latin1_text("Zoë ﬁ ✓", 100) == "Zoë fi ?"
    assert latin1_text("x" * 30, 20) == "x" * 20


def test_the_province_of_a_municipality_is_known_when_unambiguous() -> None:
    assert province_of("Caserta") == "CE"
    assert province_of("san nicola la strada") == "CE"
    assert province_of("Sant'Agata de' Goti") == "BN"
    assert province_of("Samone") is None  # one in Turin's province, one in Trento's
    assert province_of("Atlantide") is None
    assert province_of(None) is None


# --- The window -------------------------------------------------------------------------------


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_the_window_runs_through_the_tenth_day_after_payment_in_rome() -> None:
    paid = _utc(2026, 2, 3, 9, 15)  # 10:15 in Rome, 3 February
    assert invoice_deadline(paid) == date(2026, 2, 13)
    assert invoice_window_open(paid, paid)
    assert invoice_window_open(paid, _utc(2026, 2, 13, 22, 59, 59))  # 23:59:59 in Rome, 13 February
    assert not invoice_window_open(paid, _utc(2026, 2, 13, 23, 0, 0))  # midnight in Rome


def test_a_payment_just_after_midnight_in_rome_counts_from_that_day() -> None:
    paid = _utc(2026, 1, 5, 23, 30)  # 00:30 of 6 January in Rome, still the 5th in UTC
    assert invoice_deadline(paid) == date(2026, 1, 16)
    assert invoice_window_open(paid, _utc(2026, 1, 16, 22, 59, 59))
    assert not invoice_window_open(paid, _utc(2026, 1, 16, 23, 0))
    just_before = _utc(2026, 1, 5, 22, 59, 59)  # 23:59:59 of 5 January in Rome
    assert invoice_deadline(just_before) == date(2026, 1, 15)


def test_the_window_counts_calendar_days_across_the_start_of_summer_time() -> None:
    # Paid at 23:30 of 20 March (UTC+1); clocks go forward on 29 March (UTC+2).
    paid = _utc(2026, 3, 20, 22, 30)
    assert invoice_deadline(paid) == date(2026, 3, 30)
    assert invoice_window_open(paid, _utc(2026, 3, 30, 21, 59, 59))  # 23:59:59 of 30 March, UTC+2
    assert not invoice_window_open(paid, _utc(2026, 3, 30, 22, 0))  # 00:00 of 31 March


def test_the_window_counts_calendar_days_across_the_end_of_summer_time() -> None:
    # Paid at 00:30 of 21 October (UTC+2); clocks go back on 25 October (UTC+1).
    paid = _utc(2026, 10, 20, 22, 30)
    assert invoice_deadline(paid) == date(2026, 10, 31)
    assert invoice_window_open(paid, _utc(2026, 10, 31, 22, 59, 59))  # 23:59:59 of 31 October, UTC+1
    assert not invoice_window_open(paid, _utc(2026, 10, 31, 23, 0))


def test_an_invoice_is_refused_before_payment_once_issued_and_after_the_window() -> None:
    paid = _utc(2026, 2, 3, 9, 15)
    within, after = _utc(2026, 2, 10), _utc(2026, 2, 14)

    def code(status: str, paid_at: datetime | None, invoiced: bool, now: datetime) -> str | None:
        refusal = invoice_refusal(status, paid_at, invoiced=invoiced, now=now)
        return refusal.code if refusal is not None else None

    assert code("paid", paid, False, within) is None
    assert code("created", None, False, within) == "invoice_not_available"
    assert code("checkout_started", None, False, within) == "invoice_not_available"
    assert code("paid", paid, True, within) == "invoice_already_issued"
    assert code("paid", paid, False, after) == "invoice_window_closed"
    closed = invoice_refusal("paid", paid, invoiced=False, now=after)
    assert closed is not None and closed.message == (
        "La fattura può essere richiesta entro 10 giorni dalla data di sottoscrizione dell'abbonamento."
    )


# --- Numbers and files ------------------------------------------------------------------------


def test_invoice_numbers_are_the_series_the_sequence_and_the_year() -> None:
    assert invoice_number(2026, 1) == "FPR 1/2026"
    assert invoice_number(2027, 1234) == "FPR 1234/2027"
    assert parse_invoice_number("FPR 1234/2027") == (2027, 1234)
    with pytest.raises(ValueError):
        invoice_number(2026, 0)
    for wrong in ("FPR 01/2026", "2026/000001", "FPR 1/26", "FPR1/2026"):
        with pytest.raises(ValueError):
            parse_invoice_number(wrong)


def test_file_progressives_are_five_base_36_characters() -> None:
    assert transmission_progressive(1) == "00001"
    assert transmission_progressive(10) == "0000A"
    assert transmission_progressive(36) == "00010"
    assert transmission_progressive(36**5 - 1) == "ZZZZZ"
    for wrong in (0, 36**5):
        with pytest.raises(ValueError):
            transmission_progressive(wrong)
    assert xml_filename("IT", "80002410610", "0000A") == "IT80002410610_0000A.xml"


# --- Net and VAT out of the amount paid ----------------------------------------------------------


@pytest.mark.parametrize(
    ("gross", "net", "vat"),
    [
        (6000, 4918, 1082),
        (3000, 2459, 541),
        (4500, 3689, 811),
        (12000, 9836, 2164),
        (100, 82, 18),
        (1, 1, 0),
        (999_999, 819_671, 180_328),
    ],
)
def test_net_and_vat_add_up_exactly_to_the_amount_paid(gross: int, net: int, vat: int) -> None:
    split = vat_split(gross, 22)
    assert (split.net_cents, split.vat_cents) == (net, vat)
    assert split.net_cents + split.vat_cents == gross


def test_the_vat_stays_within_a_cent_of_the_taxable_amount_times_the_rate() -> None:
    for gross in range(1, 50_000):
        split = vat_split(gross, 22)
        assert abs(Decimal(split.vat_cents) - Decimal(split.net_cents) * 22 / 100) < 1, gross


def test_amounts_are_written_with_exactly_two_decimals() -> None:
    assert [str(decimal_amount(c)) for c in (6000, 4918, 5, 0, 123_456_789)] == [
        "60.00",
        "49.18",
        "0.05",
        "0.00",
        "1234567.89",
    ]


# --- The FatturaPA file -----------------------------------------------------------------------


def _data(buyer: Buyer, **overrides: object) -> InvoiceData:
    values: dict = {
        "progressive": "0000A",
        "number": "FPR 7/2026",
        "issue_date": date(2026, 3, 4),
        "seller": SELLER,
        "buyer": buyer,
        "line_description": "Abbonamento residenti settore A — annuale 2026 - targa AB123CD",
        "period": (date(2026, 1, 1), date(2026, 12, 31)),
        "net_cents": 3689,
        "vat_cents": 811,
        "amount_cents": 4500,
        "vat_rate_percent": 22,
        "currency": "EUR",
        "reason": "Abbonamento sosta residenti: pagato con pagoPA (IUV 01000000000000144)",
        "payment_code": "01000000000000144",
        **overrides,
    }
    return InvoiceData(**values)


def _official_schema() -> etree.XMLSchema:
    folder = files("billing") / "data" / "fatturapa"
    return etree.XMLSchema(etree.parse(str(folder / "Schema_del_file_xml_FatturaPA_v1.2.2.xsd")))


def test_an_invoice_to_a_person_is_valid_for_the_official_schema_and_reads_back() -> None:
    xml = invoice_xml(_data(check_buyer(PERSON)))

    schema = _official_schema()
    assert schema.validate(etree.fromstring(xml)), schema.error_log
    invoice = fpa.auto_from_etree(ET.fromstring(xml))
    assert isinstance(invoice, fpa.FatturaPrivati12)
    header = invoice.fattura_elettronica_header
    assert header.dati_trasmissione.progressivo_invio == "0000A"
    assert (header.dati_trasmissione.codice_destinatario, header.dati_trasmissione.pec_destinatario) == (
        "0000000",
        None,
    )
    seller = header.cedente_prestatore.dati_anagrafici
    assert (seller.id_fiscale_iva.id_codice, seller.codice_fiscale, seller.regime_fiscale) == (
        "01272950616",
        "80002410610",
        "RF01",
    )
    buyer = header.cessionario_committente.dati_anagrafici
    assert (buyer.codice_fiscale, buyer.anagrafica.nome, buyer.anagrafica.cognome) == (
        "DNGNNA80A41B963X",
        "Anna",
        "D'Angelo",
    )
    assert buyer.id_fiscale_iva is None or not buyer.id_fiscale_iva.has_value()
    body = invoice.fattura_elettronica_body[0]
    document = body.dati_generali.dati_generali_documento
    assert (document.tipo_documento, document.numero, document.data) == (
        "TD01",
        "FPR 7/2026",
        date(2026, 3, 4),
    )
    assert document.importo_totale_documento == Decimal("45.00")
    [line] = body.dati_beni_servizi.dettaglio_linee
    assert (line.prezzo_unitario, line.prezzo_totale, line.aliquota_iva) == (
        Decimal("36.89"),
        Decimal("36.89"),
        Decimal("22.00"),
    )
    assert line.descrizione == "Abbonamento residenti settore A - annuale 2026 - targa AB123CD"
    assert (line.data_inizio_periodo, line.data_fine_periodo) == (date(2026, 1, 1), date(2026, 12, 31))
    [summary] = body.dati_beni_servizi.dati_riepilogo
    assert (summary.imponibile_importo, summary.imposta) == (Decimal("36.89"), Decimal("8.11"))
    assert summary.imponibile_importo + summary.imposta == document.importo_totale_documento
    [payment] = body.dati_pagamento[0].dettaglio_pagamento
    assert (payment.modalita_pagamento, payment.importo_pagamento, payment.codice_pagamento) == (
        "MP23",
        Decimal("45.00"),
        "01000000000000144",
    )
    assert b"<AliquotaIVA>22.00</AliquotaIVA>" in xml and b"<PrezzoTotale>36.89</PrezzoTotale>" in xml


def test_an_invoice_to_a_company_carries_its_partita_iva_and_delivery() -> None:
    by_code = invoice_xml(_data(check_buyer(COMPANY)))
    by_pec = invoice_xml(_data(check_buyer({**COMPANY, "recipient_code": None, "pec": "rossi@pec.it"})))

    schema = _official_schema()
    for xml in (by_code, by_pec):
        assert schema.validate(etree.fromstring(xml)), schema.error_log
    header = fpa.auto_from_etree(ET.fromstring(by_code)).fattura_elettronica_header
    buyer = header.cessionario_committente.dati_anagrafici
    assert (buyer.id_fiscale_iva.id_paese, buyer.id_fiscale_iva.id_codice) == ("IT", "12345678903")
    assert buyer.anagrafica.denominazione == "Rossi Trasporti S.r.l."
    assert header.dati_trasmissione.codice_destinatario == "ABC1234"
    pec_header = fpa.auto_from_etree(ET.fromstring(by_pec)).fattura_elettronica_header
    assert (
        pec_header.dati_trasmissione.codice_destinatario,
        pec_header.dati_trasmissione.pec_destinatario,
    ) == (
        "0000000",
        "rossi@pec.it",
    )


def test_a_file_that_breaks_a38s_rules_or_the_schema_is_refused() -> None:
    with pytest.raises(InvoiceFileRefused):  # a38: ProgressivoInvio has at most 10 characters
        invoice_xml(_data(check_buyer(PERSON), progressive="TROPPO-LUNGO-0001"))
    lowercase = Buyer(**{**check_buyer(PERSON).__dict__, "province": "ce"})
    with pytest.raises(InvoiceFileRefused) as refused:  # the schema: a province is [A-Z]{2}
        invoice_xml(_data(lowercase))
    assert any("Provincia" in error for error in refused.value.errors)
    # a38's rule 00426 is let through only for the reserved area (0000000 without PEC).
    both = Buyer(**{**check_buyer(PERSON).__dict__, "recipient_code": "M5UXCR1", "pec": "anna@pec.it"})
    with pytest.raises(InvoiceFileRefused) as refused:
        invoice_xml(_data(both))
    assert any("00426" in error for error in refused.value.errors)


# --- Exports ----------------------------------------------------------------------------------


def test_the_invoices_export_opens_in_an_italian_spreadsheet() -> None:
    row = InvoiceRow(
        number="FPR 1/2026",
        issue_date=date(2026, 3, 4),
        buyer_name="=Rossi S.r.l.",
        buyer_kind="company",
        buyer_tax_code="",
        buyer_vat_number="12345678903",
        buyer_address="Via Roma 10, 81100 Caserta (CE)",
        recipient_code="ABC1234",
        pec="",
        description="Abbonamento; settore A",
        plate="AB123CD",
        receipt_number="2026/000001",
        paid_at=_utc(2026, 3, 1, 23, 30),  # 2 March in Rome
        net_cents=123_456,
        vat_cents=27_160,
        vat_rate_percent=22,
        amount_cents=150_616,
        xml_filename="IT80002410610_00001.xml",
    )

    content = invoices_csv([row])

    assert content.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(content.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:2] == ["Numero fattura", "Data fattura"]
    assert rows[1] == [
        "FPR 1/2026",
        "04/03/2026",
        "'=Rossi S.r.l.",
        "Azienda",
        "",
        "12345678903",
        "Via Roma 10, 81100 Caserta (CE)",
        "ABC1234",
        "",
        "Abbonamento; settore A",
        "AB123CD",
        "2026/000001",
        "02/03/2026",
        "1234,56",
        "271,60",
        "22%",
        "1506,16",
        "IT80002410610_00001.xml",
    ]


def test_the_zip_holds_each_file_under_its_name_and_is_reproducible() -> None:
    moment = _utc(2026, 3, 4, 9, 0)
    files_in = [("IT80002410610_00001.xml", moment, b"<a/>"), ("IT80002410610_00002.xml", moment, b"<b/>")]

    first, second = xml_zip(files_in), xml_zip(files_in)

    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert archive.namelist() == ["IT80002410610_00001.xml", "IT80002410610_00002.xml"]
        assert archive.read("IT80002410610_00002.xml") == b"<b/>"
        assert archive.getinfo("IT80002410610_00001.xml").date_time == (2026, 3, 4, 10, 0, 0)
    assert zipfile.ZipFile(io.BytesIO(xml_zip([]))).namelist() == []
