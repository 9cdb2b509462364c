"""The ticket ("contrassegno") as PDF: an HTML template rendered by WeasyPrint, with the QR code
of its signed token drawn as SVG by segno. Rendering takes tens of milliseconds of CPU: callers
run it in a thread. The same ticket always gives the same document."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import jinja2
import segno
from weasyprint import HTML

from subscriptions.domain.catalogue import ALL_SECTORS, ALL_SECTORS_NAME
from subscriptions.domain.periods import format_date, local_date
from subscriptions.domain.tickets import TicketClaims

ISSUER = "Comune di Caserta"
# M: about 15% of the code may be damaged (a scratched or faded dashboard copy) and still read.
QR_ERROR = "m"


@cache
def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("subscriptions", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def qr_code(token: str) -> segno.QRCode:
    """The QR code of a ticket's token (the smallest version that holds it at level M)."""
    return segno.make_qr(token, error=QR_ERROR)


@dataclass(frozen=True)
class TicketView:
    """What the ticket prints, written as a person reads it."""

    issuer: str
    plate: str
    sector: str
    type_name: str
    valid_from: str
    valid_until: str
    serial: str
    issued_on: str
    qr_svg_uri: str

    @classmethod
    def of(cls, claims: TicketClaims, *, sector_name: str, type_name: str, token: str) -> TicketView:
        if claims.sector_code == ALL_SECTORS:
            sector = ALL_SECTORS_NAME
        elif sector_name and sector_name != claims.sector_code:
            sector = f"{claims.sector_code} – {sector_name}"
        else:
            sector = claims.sector_code
        return cls(
            issuer=ISSUER,
            plate=claims.plate,
            sector=sector,
            type_name=type_name,
            valid_from=format_date(claims.valid_from),
            valid_until=format_date(claims.valid_until),
            serial=claims.serial,
            issued_on=format_date(local_date(claims.issued_at)),
            qr_svg_uri=qr_code(token).svg_data_uri(border=4, dark="#000", light="#fff"),
        )


def ticket_html(view: TicketView) -> str:
    return _templates().get_template("ticket.html").render(ticket=view)


def ticket_pdf(view: TicketView) -> bytes:
    return HTML(string=ticket_html(view)).write_pdf()
