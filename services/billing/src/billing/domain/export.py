"""The payments and the invoices of a period as CSV files that an Italian office opens with a
double click in a spreadsheet: ``;`` between fields, UTF-8 with a byte-order mark, amounts
``1234,56``, dates ``dd/mm/yyyy``; and the invoices' FatturaPA files of a period in one ZIP."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from billing.domain.money import format_amount
from billing.domain.receipts import format_date, rome, rome_date

BOM = "\ufeff"
HEADER = (
    "Numero ricevuta",
    "Data pagamento",
    "Codice fiscale",
    "Cognome e nome",
    "Targa",
    "Descrizione",
    "Numero avviso",
    "IUV",
    "Imponibile",
    "IVA",
    "Aliquota IVA",
    "Totale",
)
# A cell starting with one of these is a formula to a spreadsheet: text from citizens is
# written with a leading apostrophe so it stays text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class PaymentRow:
    receipt_number: str
    paid_at: datetime
    payer_tax_code: str
    payer_name: str
    plate: str
    description: str
    notice_number: str
    iuv: str
    net_cents: int
    vat_cents: int
    vat_rate_percent: int
    amount_cents: int


def _text(value: str) -> str:
    return f"'{value}" if value.startswith(_FORMULA_START) else value


def payments_csv(rows: Iterable[PaymentRow]) -> str:
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow(
            (
                row.receipt_number,
                format_date(rome_date(row.paid_at)),
                _text(row.payer_tax_code),
                _text(row.payer_name),
                _text(row.plate),
                _text(row.description),
                row.notice_number,
                row.iuv,
                format_amount(row.net_cents, thousands=False),
                format_amount(row.vat_cents, thousands=False),
                f"{row.vat_rate_percent}%",
                format_amount(row.amount_cents, thousands=False),
            )
        )
    return out.getvalue()


def export_filename(start: date, end: date) -> str:
    return f"pagamenti-{start.isoformat()}-{end.isoformat()}.csv"


INVOICE_HEADER = (
    "Numero fattura",
    "Data fattura",
    "Intestatario",
    "Tipo",
    "Codice fiscale",
    "Partita IVA",
    "Indirizzo",
    "Codice destinatario",
    "PEC",
    "Descrizione",
    "Targa",
    "Numero ricevuta",
    "Data pagamento",
    "Imponibile",
    "IVA",
    "Aliquota IVA",
    "Totale",
    "File XML",
)
_KIND_LABELS = {"person": "Persona fisica", "company": "Azienda"}


@dataclass(frozen=True)
class InvoiceRow:
    number: str
    issue_date: date
    buyer_name: str
    buyer_kind: str
    buyer_tax_code: str
    buyer_vat_number: str
    buyer_address: str
    recipient_code: str
    pec: str
    description: str
    plate: str
    receipt_number: str
    paid_at: datetime
    net_cents: int
    vat_cents: int
    vat_rate_percent: int
    amount_cents: int
    xml_filename: str


def invoices_csv(rows: Iterable[InvoiceRow]) -> str:
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(INVOICE_HEADER)
    for row in rows:
        writer.writerow(
            (
                row.number,
                format_date(row.issue_date),
                _text(row.buyer_name),
                _KIND_LABELS.get(row.buyer_kind, row.buyer_kind),
                _text(row.buyer_tax_code),
                _text(row.buyer_vat_number),
                _text(row.buyer_address),
                _text(row.recipient_code),
                _text(row.pec),
                _text(row.description),
                _text(row.plate),
                row.receipt_number,
                format_date(rome_date(row.paid_at)),
                format_amount(row.net_cents, thousands=False),
                format_amount(row.vat_cents, thousands=False),
                f"{row.vat_rate_percent}%",
                format_amount(row.amount_cents, thousands=False),
                row.xml_filename,
            )
        )
    return out.getvalue()


def invoices_export_filename(start: date, end: date, extension: str) -> str:
    return f"fatture-{start.isoformat()}-{end.isoformat()}.{extension}"


def xml_zip(files: Iterable[tuple[str, datetime, bytes]]) -> bytes:
    """One ZIP of ``(name, moment, content)`` files, each dated its moment (Europe/Rome): the
    same files always give the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, moment, content in files:
            local = rome(moment)
            # ZIP dates start in 1980 and have no time zone.
            stamp = (max(local.year, 1980), local.month, local.day, local.hour, local.minute, local.second)
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return out.getvalue()
