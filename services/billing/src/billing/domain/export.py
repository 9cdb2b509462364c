"""The payments of a period as a CSV file that an Italian office opens with a double click in a
spreadsheet: ``;`` between fields, UTF-8 with a byte-order mark, amounts ``1234,56``, dates
``dd/mm/yyyy``."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from billing.domain.money import format_amount
from billing.domain.receipts import format_date, rome_date

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
